"""`mlpath classroom ...`: thin commands over the classroom modules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import answers, reporting
from . import (
    batch_update,
    collect,
    enrolment,
    export,
    feedback_push,
    gradebook,
    grading,
    handout,
    manifest,
    points,
    sandbox,
    similarity,
    status,
    suites,
    tables,
)

classroom_app = typer.Typer(
    help="Hand out a repository per student, grade them, keep them updated all term.",
    no_args_is_help=True,
)

# What an interrupt leaves. `new` cleans up after itself (handout.interrupted says so when it
# cannot); the others record each student in the manifest as they finish.
reports_errors = reporting.reports_errors(
    {
        "new": "interrupted; nothing was written (no class folder was made)",
        **{
            name: "interrupted; the manifest lists what was done"
            for name in ("grade", "update", "status")
        },
        "export": "interrupted; no export file was written",
        "similarity": "interrupted; no report was written",
        "feedback": "interrupted; students whose feedback was pushed keep it, rerun for the rest",
        "add": "interrupted; the manifest lists who was handed out (status shows the rest)",
        "remove": "interrupted; the manifest lists who was archived",
        "collect": "interrupted; the manifest lists who was collected, rerun for the rest",
    }
)


@classroom_app.command("new")
@reports_errors
def new(
    template: Annotated[
        str, typer.Argument(help="serving-api, feature-pipeline, lora-finetune or rag-eval")
    ],
    roster_csv: Annotated[
        Path, typer.Option("--roster", help="CSV with columns handle,name,email (+ answers).")
    ],
    out: Annotated[Path, typer.Option("--out", help="The class folder to create (new or empty).")],
    exercises: Annotated[
        bool,
        typer.Option("--exercises", help="Exercise mode: TODO starters, hidden grading suite."),
    ] = False,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data", "-d", metavar="KEY=VALUE", help="An answer for every student (repeatable)."
        ),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="A template repository (path or git URL).")
    ] = None,
    vcs_ref: Annotated[
        str | None, typer.Option("--vcs-ref", help="Template version (default: the newest).")
    ] = None,
    remote: Annotated[
        str | None,
        typer.Option(help="Remote URL pattern with {handle}; each repo is pushed there."),
    ] = None,
    jobs: Annotated[
        int | None, typer.Option(help="Worker processes (default: one per CPU).")
    ] = None,
) -> None:
    """Generate one repository per student of the roster."""
    room = handout.new_classroom(
        handout.NewClassOptions(
            template=template,
            roster=roster_csv,
            out=out,
            exercises=exercises,
            data=answers.parse_data(data or []),
            source=source,
            vcs_ref=vcs_ref,
            remote=remote,
            jobs=jobs,
        )
    )
    rows = [
        [s.handle, s.state, s.version or "-", s.detail or s.remote or s.path] for s in room.students
    ]
    typer.echo(tables.render(["student", "state", "version", "detail"], rows))
    failed = [s for s in room.students if s.state in (manifest.FAILED, manifest.PUSH_FAILED)]
    mode = "exercise mode, grading suite in _grading/" if room.exercises else "full template"
    typer.echo(
        f"{len(room.students) - len(failed)} of {len(room.students)} students ready in {out} "
        f"({room.template} {room.version}, {mode})"
    )
    if failed:
        raise typer.Exit(1)


@classroom_app.command("status")
@reports_errors
def status_command(
    folder: Annotated[Path, typer.Argument(help="The class folder.")],
    fetch: Annotated[bool, typer.Option("--fetch", help="Fetch each remote first.")] = False,
) -> None:
    """Each repository's template version, last commit, clean or dirty, ahead/behind its remote."""
    room, rows = status.class_status(folder.absolute(), fetch)
    typer.echo(f"{room.template}: handed out at {room.version}; {len(rows)} students")
    typer.echo(tables.render(status.HEADERS, [row.row() for row in rows]))
    waiting = sum(bool(row.waiting) for row in rows)
    pushed = sum(row.feedback == "pushed" for row in rows)
    typer.echo(
        f"update branches wait to be merged for {waiting} of {len(rows)} students; "
        f"feedback pushed for {pushed}"
    )


@classroom_app.command("grade")
@reports_errors
def grade(
    folder: Annotated[Path, typer.Argument(help="The class folder (made with --exercises).")],
    timeout: Annotated[
        int, typer.Option(help="Seconds each student's run may take.")
    ] = grading.DEFAULT_TIMEOUT_S,
    test_timeout: Annotated[
        int,
        typer.Option(
            help="Seconds each test may take; a test past it is recorded as timed out and the "
            "run goes on."
        ),
    ] = grading.DEFAULT_TEST_TIMEOUT_S,
    fetch: Annotated[
        bool, typer.Option("--fetch", help="Fetch each student's pushed work first.")
    ] = False,
    jobs: Annotated[int | None, typer.Option(help="Runs at once (default: one per CPU).")] = None,
    unsafe_no_sandbox: Annotated[
        bool,
        typer.Option(
            sandbox.UNSAFE_FLAG,
            help="Run student code without the bubblewrap sandbox: it can then read the hidden "
            "suite, change files and forge its grade. Only for code you trust.",
        ),
    ] = False,
) -> None:
    """Run the hidden grading suite on every student's commit; write gradebook.csv and feedback."""
    if unsafe_no_sandbox:
        typer.echo(
            f"WARNING: {sandbox.UNSAFE_FLAG}: student code runs unsandboxed, with your files "
            "and the hidden suite in reach; these grades can be forged",
            err=True,
        )
    opts = grading.GradeOptions(
        folder=folder,
        timeout_s=timeout,
        test_timeout_s=test_timeout,
        fetch=fetch,
        jobs=jobs,
        sandboxed=not unsafe_no_sandbox,
    )
    _, suite, _ = grading.grading_paths(folder.absolute())
    worth = points.read_points(suite, suites.exercises_of(suite))  # a bad file stops us first
    room, exercises, grades = grading.grade_classroom(opts)
    if not grading.is_split(suite):
        typer.echo(
            f"warning: {suite} has no probe/ folder: its tests ran inside the sandbox beside the "
            "student's code, which could have forged its verdict (see grading/README.md)",
            err=True,
        )
    book = gradebook.write_gradebook(folder, exercises, grades, room, worth)
    feedback = gradebook.write_feedback(folder, exercises, grades, room, worth)
    rows = [
        [
            g.handle,
            *("pass" if g.exercise_passed(e) else "fail" for e in exercises),
            f"{g.passed}/{g.total}",
            (g.problem or (f"{len(g.timed_out)} timed out" if g.timed_out else ""))[:60],
        ]
        for g in grades
    ]
    typer.echo(tables.render(["student", *exercises, "tests", "problem"], rows))
    for g in grades:
        if g.problem:
            typer.echo(f"problem: {g.handle}: {g.problem}")
    complete = sum(all(g.exercise_passed(e) for e in exercises) for g in grades)
    typer.echo(
        f"{complete} of {len(grades)} students pass every exercise; wrote {book} and {feedback}/"
    )


@classroom_app.command("update")
@reports_errors
def update(
    folder: Annotated[Path, typer.Argument(help="The class folder.")],
    to: Annotated[str | None, typer.Option(help="Template version (default: the newest).")] = None,
    remote: Annotated[
        bool,
        typer.Option(
            "--remote", help="Fetch each student's work first; push the update to a branch."
        ),
    ] = False,
    jobs: Annotated[
        int | None, typer.Option(help="Worker processes (default: one per CPU).")
    ] = None,
) -> None:
    """Update every student repository to a newer template version, keeping their work."""
    opts = batch_update.BatchOptions(folder=folder, to=to, remote=remote, jobs=jobs)
    _room, rows = batch_update.update_classroom(opts)
    text, path = batch_update.write_table(folder, rows)
    typer.echo(text)
    counts = {kind: sum(r.result == kind for r in rows) for kind in batch_update.RESULTS}
    merged = sum(row.merged for row in rows)
    how = f" ({merged} merged from one rendering of the class)" if merged else ""
    typer.echo(", ".join(f"{n} {kind}" for kind, n in counts.items()) + f"{how}; table in {path}")
    if counts[batch_update.FAILED]:
        raise typer.Exit(1)
    if counts[batch_update.CONFLICTS]:
        raise typer.Exit(3)


@classroom_app.command("export")
@reports_errors
def export_command(
    folder: Annotated[Path, typer.Argument(help="The class folder (graded).")],
    format: Annotated[str, typer.Option("--format", help="canvas, moodle or csv.")] = "csv",
    out: Annotated[
        Path | None, typer.Option(help="The file to write (default: FOLDER/export-FORMAT.csv).")
    ] = None,
    ids: Annotated[
        Path | None,
        typer.Option(
            help="CSV: handle, and any of canvas_id, sis_user_id, sis_login_id, section, idnumber."
        ),
    ] = None,
    assignment: Annotated[
        str, typer.Option(help="The assignment's name in the LMS (default: the template).")
    ] = "",
    assignment_id: Annotated[
        str, typer.Option("--assignment-id", help="Canvas's assignment id, to update it.")
    ] = "",
    points: Annotated[float, typer.Option(help="Points the assignment is worth.")] = 100.0,
) -> None:
    """Write the gradebook as a file Canvas or Moodle imports (or a plain CSV)."""
    opts = export.ExportOptions(
        folder=folder,
        format=format,
        out=out,
        ids=ids,
        assignment=assignment,
        assignment_id=assignment_id,
        points=points,
    )
    done = export.export(opts)
    for note in done.notes:
        typer.echo(f"export: {note}", err=True)
    typer.echo(f"wrote {done.written} students to {done.path} ({format})")
    if done.notes:
        raise typer.Exit(1)


@classroom_app.command("similarity")
@reports_errors
def similarity_command(
    folder: Annotated[Path, typer.Argument(help="The class folder (made with --exercises).")],
    threshold: Annotated[
        float, typer.Option(help="Report pairs sharing at least this share of their code.")
    ] = similarity.DEFAULT_THRESHOLD,
    format: Annotated[str, typer.Option("--format", help="md or html.")] = "md",
    out: Annotated[
        Path | None, typer.Option(help="The report (default: FOLDER/similarity.FORMAT).")
    ] = None,
) -> None:
    """Rank pairs of students whose exercise solutions match, with the matching lines."""
    path, flagged = similarity.write_report(folder, threshold, format, out)
    typer.echo(f"{flagged} pair(s) at or above {threshold:.0%}; report in {path}")


@classroom_app.command("feedback")
@reports_errors
def feedback_command(
    folder: Annotated[Path, typer.Argument(help="The class folder (graded).")],
    push: Annotated[
        bool, typer.Option("--push", help="Push each branch to the student's remote.")
    ] = False,
) -> None:
    """Commit each student's feedback to a `feedback` branch (never `main`); --push sends it."""
    rows = feedback_push.deliver_class(folder, push)
    typer.echo(
        tables.render(
            ["student", "result", "detail"], [[r.handle, r.result, r.detail] for r in rows]
        )
    )
    counts = {kind: sum(r.result == kind for r in rows) for kind in feedback_push.RESULTS}
    typer.echo(", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "no students")
    if counts[feedback_push.FAILED]:
        raise typer.Exit(1)


@classroom_app.command("add")
@reports_errors
def add(
    folder: Annotated[Path, typer.Argument(help="The class folder.")],
    roster_csv: Annotated[
        Path, typer.Option("--roster", help="CSV of the new students: handle,name,email.")
    ],
    jobs: Annotated[
        int | None, typer.Option(help="Worker processes (default: one per CPU).")
    ] = None,
) -> None:
    """Hand out to late students, at the class's current version, like the others."""
    records = enrolment.add_students(folder, roster_csv, jobs)
    rows = [[r.handle, r.state, r.version or "-", r.detail or r.remote or r.path] for r in records]
    typer.echo(tables.render(["student", "state", "version", "detail"], rows))
    failed = [r for r in records if r.state in (manifest.FAILED, manifest.PUSH_FAILED)]
    typer.echo(f"{len(records) - len(failed)} of {len(records)} new students ready in {folder}")
    if failed:
        raise typer.Exit(1)


@classroom_app.command("remove")
@reports_errors
def remove(
    folder: Annotated[Path, typer.Argument(help="The class folder.")],
    handles: Annotated[list[str], typer.Argument(help="The students to archive.")],
) -> None:
    """Archive students: their repository moves to _archive/, nothing is deleted."""
    for record in enrolment.remove_students(folder, handles):
        typer.echo(f"{record.handle}: archived in {folder / record.path}")


@classroom_app.command("collect")
@reports_errors
def collect_command(
    folder: Annotated[Path, typer.Argument(help="The class folder.")],
    deadline: Annotated[
        str, typer.Option(help="ISO date and time with timezone, e.g. 2027-01-15T23:59+01:00.")
    ],
    late_penalty: Annotated[
        float, typer.Option(help="Percent of the score lost per started day late.")
    ] = 0.0,
    late_cap: Annotated[float, typer.Option(help="The most percent late work loses.")] = 100.0,
) -> None:
    """Record each student's submitted commit and when mlpath saw it (late after the deadline)."""
    rows = collect.collect_class(folder, deadline, late_penalty, late_cap)
    cells = [[r.handle, r.result, r.commit[:12] or "-", r.detail] for r in rows]
    typer.echo(tables.render(["student", "result", "commit", "detail"], cells))
    counts = {kind: sum(r.result == kind for r in rows) for kind in collect.RESULTS}
    typer.echo(", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "no students")
    if counts["failed"]:
        raise typer.Exit(1)
