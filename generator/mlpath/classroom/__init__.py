"""`mlpath classroom`: a folder with a manifest and one repository per student.

roster (the CSV), manifest (classroom.toml), handout (`new`), status, grading (`grade`: the
hidden suite against each student's commit), gradebook (the CSV and feedback files),
batch_update (`update`), repos (the git operations), parallel (a process pool that keeps going
past failures), tables (the plain-text tables the commands print), cli (the typer sub-app).
"""
