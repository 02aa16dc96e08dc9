"""`mlpath classroom new`: one repository per student from a roster, through `mlpath new`.

Everything that can be wrong with the input is checked before anything is written: the roster,
the class folder, the remote pattern and every remote, the instructor's git identity, and the
template answers (the reference solution is rendered first, in a staging folder; its recorded
answers also name the template's questions, which the roster's extra columns may answer). Then
the students are generated in worker processes; one whose generation or push fails is recorded
as such in the manifest and the others go on.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import git

from .. import answers, catalog
from ..errors import DestinationExistsError, MlpathError, UserError
from ..generate import new_project
from ..options import NewOptions
from . import manifest, parallel, repos, roster, suites
from .manifest import Classroom, StudentRecord

REFERENCE_DIR = "reference"


@dataclass(frozen=True)
class NewClassOptions:
    template: str
    roster: Path
    out: Path
    exercises: bool = False
    data: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    vcs_ref: str | None = None
    remote: str | None = None
    jobs: int | None = None


@dataclass(frozen=True)
class StudentJob:
    """What a worker process needs to hand out one student's repository."""

    template: str
    dest: Path
    data: dict[str, Any]
    source: str | None
    version: str
    author: repos.Identity
    record: StudentRecord


def check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise DestinationExistsError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        raise DestinationExistsError(
            f"--out {out}: exists and is not empty; a class gets a new folder of its own"
        )


def check_pattern(pattern: str) -> None:
    if "{handle}" not in pattern:
        raise UserError(
            f"--remote {pattern}: no {{handle}} in the pattern; expected something like "
            "git@github.com:my-course/{handle}-rag.git"
        )
    try:
        pattern.format(handle="x")
    except (KeyError, IndexError, ValueError):
        raise UserError(
            f"--remote {pattern}: only {{handle}} may appear in braces in the pattern"
        ) from None


def check_remotes(urls: list[str]) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        problems = list(pool.map(repos.check_remote, urls))
    for url, problem in zip(urls, problems, strict=True):
        if problem is not None:
            raise UserError(f"--remote: {url} is unreachable ({problem})")


def first_missing(path: Path) -> Path | None:
    missing = None
    while not path.exists():
        missing, path = path, path.parent
    return missing


def new_classroom(opts: NewClassOptions) -> Classroom:
    catalog.check_template_name(opts.template)
    students = roster.parse_roster(opts.roster)
    out = opts.out.absolute()
    check_out_dir(out)
    if opts.remote is not None:
        check_pattern(opts.remote)
    remotes = {
        s.handle: opts.remote.format(handle=s.handle) if opts.remote else "" for s in students
    }
    who = repos.instructor_identity()
    suite = suites.suite_for(opts.template) if opts.exercises else None
    if opts.remote is not None:
        check_remotes(list(remotes.values()))
    parent = out.parent
    created = first_missing(parent)
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mlpath-classroom-", dir=parent))
    try:
        reference = new_project(
            NewOptions(
                template=opts.template,
                dest=staging / REFERENCE_DIR,
                data=dict(opts.data),
                defaults=True,
                source=opts.source,
                vcs_ref=opts.vcs_ref,
                git=False,
            )
        )
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    recorded = answers.read_answers(reference.path)
    questions = set(answers.user_answers(recorded)) | {"exercises"}
    out.mkdir(exist_ok=True)
    room = Classroom(
        template=opts.template,
        source=str(recorded["_src_path"]),
        version=reference.version,
        exercises=opts.exercises,
        remote=opts.remote or "",
        data=dict(opts.data),
        students=tuple(
            StudentRecord(
                s.handle,
                s.name,
                s.email,
                s.handle,
                remotes[s.handle],
                manifest.FAILED,
                "not generated yet",
            )
            for s in students
        ),
    )
    if suite is not None:
        grading = out / manifest.GRADING_DIR
        grading.mkdir()
        shutil.move(str(reference.path), grading / REFERENCE_DIR)
        suites.place(opts.template, grading)
    shutil.rmtree(staging, ignore_errors=True)
    manifest.save(out, room)
    extra = {"exercises": True} if opts.exercises else {}
    jobs = [
        StudentJob(
            template=opts.template,
            dest=out / record.path,
            data={**opts.data, **roster.student_answers(student, questions), **extra},
            source=opts.source,
            version=reference.version,
            author=who,
            record=record,
        )
        for student, record in zip(students, room.students, strict=True)
    ]
    for record in parallel.run_all(hand_out, jobs, generation_failed, opts.jobs):
        room = room.with_student(record)
    manifest.save(out, room)
    return room


def hand_out(job: StudentJob) -> StudentRecord:
    """Generate, commit and (when asked) push one student's repository."""
    try:
        made = new_project(
            NewOptions(
                template=job.template,
                dest=job.dest,
                data=job.data,
                defaults=True,
                source=job.source,
                vcs_ref=job.version,
                git=False,  # the class folder may sit in a repository; each student gets their own
            )
        )
    except MlpathError as err:
        return replace(job.record, state=manifest.FAILED, detail=str(err))
    message = f"Starter for {job.record.handle}: mlpath template {job.template} {made.version}"
    repos.init_and_commit(made.path, message, job.author)
    record = replace(job.record, state=manifest.GENERATED, detail="", version=made.version)
    if not job.record.remote:
        return record
    try:
        repos.add_remote_and_push(made.path, job.record.remote)
    except git.GitCommandError as err:
        return replace(record, state=manifest.PUSH_FAILED, detail=repos.first_line(err))
    return replace(record, state=manifest.PUSHED)


def generation_failed(job: StudentJob, err: BaseException) -> StudentRecord:
    return replace(job.record, state=manifest.FAILED, detail=f"{type(err).__name__}: {err}")
