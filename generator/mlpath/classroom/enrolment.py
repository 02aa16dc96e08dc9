"""`mlpath classroom add` and `remove`: the roster changes during the term.

`add` hands out to new students exactly as `new` did to the others: the class's template,
answers, exercise mode and remote pattern, at the class's current version (the reference
solution's in an exercise-mode class, which follows `classroom update`; else the newest version a
student has been updated to). `remove` archives a student: their repository moves to
`_archive/<handle>` untouched (its history and remote stay), and the manifest marks them removed,
so grade, update, status and export pass them by.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from packaging.version import InvalidVersion, Version

from .. import answers, history
from ..errors import MlpathError, UserError
from . import handout, manifest, parallel, repos, roster
from .manifest import Classroom, StudentRecord

ARCHIVE_DIR = "_archive"
REMOVED = manifest.REMOVED


class EnrolmentError(UserError):
    pass


def current_version(folder: Path, room: Classroom) -> str:
    reference = folder / manifest.GRADING_DIR / handout.REFERENCE_DIR
    if room.exercises and reference.is_dir():
        return str(answers.read_answers(reference)["_commit"])
    versions = [room.version, *(s.version for s in room.students if s.version)]
    try:
        return max(versions, key=Version)
    except InvalidVersion:
        return room.version


def template_questions(folder: Path, room: Classroom) -> set[str]:
    """The questions the class's projects answer (so a roster column can answer one)."""
    for record in room.students:
        try:
            recorded = answers.read_answers(folder / record.path)
        except MlpathError:
            continue
        return set(answers.user_answers(recorded)) | {"exercises"}
    return {"exercises"}


def add_students(folder: Path, roster_csv: Path, jobs: int | None = None) -> list[StudentRecord]:
    """Hand out to the roster's students; returns their records (also saved in the manifest)."""
    folder = folder.absolute()
    room = manifest.load(folder)
    students = roster.parse_roster(roster_csv)
    taken = {s.handle.casefold() for s in room.students}
    again = [s.handle for s in students if s.handle.casefold() in taken]
    if again:
        raise EnrolmentError(
            f"--roster {roster_csv}: {', '.join(again)} already in {folder} (remove them from "
            "this roster; `classroom remove` archives a student)"
        )
    remotes = {
        s.handle: room.remote.format(handle=s.handle) if room.remote else "" for s in students
    }
    if room.remote:
        handout.check_remotes(list(remotes.values()))
    who = repos.instructor_identity()
    version = current_version(folder, room)
    questions = template_questions(folder, room)
    extra = {"exercises": True} if room.exercises else {}
    source = None if history.is_builtin(room.source) else room.source
    records = [handout.pending_record(s, remotes[s.handle]) for s in students]
    room = replace(room, students=(*room.students, *records))
    manifest.save(folder, room)  # an interrupt leaves them listed as not generated
    work = [
        handout.StudentJob(
            template=room.template,
            dest=folder / record.path,
            data={**room.data, **roster.student_answers(student, questions), **extra},
            source=source,
            version=version,
            author=who,
            record=record,
        )
        for student, record in zip(students, records, strict=True)
    ]
    done = parallel.run_all(handout.hand_out, work, handout.generation_failed, jobs)
    for record in done:
        room = room.with_student(record)
    manifest.save(folder, room)
    return done


def remove_students(folder: Path, handles: list[str]) -> list[StudentRecord]:
    """Archive each student: their repository moves to _archive/, nothing is deleted."""
    folder = folder.absolute()
    room = manifest.load(folder)
    known = {s.handle: s for s in room.students}
    unknown = [h for h in handles if h not in known]
    if unknown:
        raise EnrolmentError(f"{', '.join(unknown)}: not a student of {folder}")
    gone = [h for h in handles if known[h].state == REMOVED]
    if gone:
        raise EnrolmentError(f"{', '.join(gone)}: already removed (in {folder / ARCHIVE_DIR})")
    archived = []
    for handle in handles:
        record = known[handle]
        target = Path(ARCHIVE_DIR) / handle
        if (folder / record.path).exists():
            (folder / ARCHIVE_DIR).mkdir(exist_ok=True)
            if (folder / target).exists():
                raise EnrolmentError(f"{folder / target}: already exists; move it away first")
            shutil.move(str(folder / record.path), str(folder / target))
        record = replace(record, path=str(target), state=REMOVED, detail="archived")
        room = room.with_student(record)
        manifest.save(folder, room)  # one student at a time: an interrupt loses no move
        archived.append(record)
    return archived
