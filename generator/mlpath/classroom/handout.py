"""`mlpath classroom new`: one repository per student from a roster, through `mlpath new`.

Everything that can be wrong with the input is checked before anything is written: the roster,
the class folder, the remote pattern and every remote, the instructor's git identity, and the
template answers (the reference solution is rendered first, in a staging folder; its recorded
answers also name the template's questions, which the roster's extra columns may answer). Then
the students are generated; one whose generation or push fails is recorded as such in the
manifest and the others go on. An interrupt (Ctrl-C) removes the class folder again, unless
students were being pushed to remotes (then the folder stays, for `classroom status`).

A student whose answers differ from the class's only in their own name, e-mail and handle is
stamped from one verified Copier rendering of the class (stamping.py), with a uv.lock rewritten
from one `uv lock`; a byte-for-byte check against Copier decides whether the template allows
that. Everyone else is rendered through `mlpath new` in worker processes, with a `uv lock` of
their own.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import git

from .. import answers, catalog, generate
from ..errors import DestinationExistsError, InterruptedWorkError, MlpathError, UserError
from ..generate import Generated, new_project
from ..options import NewOptions
from . import manifest, parallel, repos, roster, stamping, suites
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
    stamp_values: dict[str, str] | None = None  # set: stamped, not rendered through Copier


def check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise DestinationExistsError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        raise DestinationExistsError(
            f"--out {out}: exists and is not empty; a class gets a new folder of its own"
        )
    above = next((p for p in out.absolute().parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise DestinationExistsError(f"--out {out}: {above} is a file, not a folder")


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
    try:
        return hand_out_class(opts, out, students, remotes, who, suite, reference, staging)
    except KeyboardInterrupt:
        shutil.rmtree(staging, ignore_errors=True)
        raise interrupted(opts, out, created) from None


def interrupted(opts: NewClassOptions, out: Path, created: Path | None) -> InterruptedWorkError:
    """What an interrupt leaves: nothing, unless students were already pushed to remotes."""
    if opts.remote is not None:
        return InterruptedWorkError(
            f"interrupted; some students may already be pushed: see mlpath classroom status {out}"
        )
    shutil.rmtree(out, ignore_errors=True)
    if created is not None:
        shutil.rmtree(created, ignore_errors=True)
    return InterruptedWorkError("interrupted; nothing was written (no class folder was made)")


def hand_out_class(
    opts: NewClassOptions,
    out: Path,
    students: list[roster.Student],
    remotes: dict[str, str],
    who: repos.Identity,
    suite: Path | None,
    reference: Generated,
    staging: Path,
) -> Classroom:
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
        students=tuple(pending_record(s, remotes[s.handle]) for s in students),
    )
    if suite is not None:
        grading = out / manifest.GRADING_DIR
        grading.mkdir()
        shutil.move(str(reference.path), grading / REFERENCE_DIR)
        suites.place(opts.template, grading)
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
    try:
        stamp, jobs = plan_stamping(jobs, {**opts.data, **extra}, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    stamped = [job for job in jobs if job.stamp_values is not None]
    rendered = [job for job in jobs if job.stamp_values is None]
    done: dict[str, StudentRecord] = {}
    if stamp is not None and stamped:
        workers = opts.jobs or parallel.default_jobs(len(stamped))
        with ThreadPoolExecutor(max_workers=workers) as pool:  # git and the disk, not Python
            work = partial(parallel.call, partial(stamp_out, stamp), on_error=generation_failed)
            try:
                for record in pool.map(work, stamped):
                    done[record.handle] = record
            except KeyboardInterrupt:  # start no more students; the running ones finish
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    for record in parallel.run_all(hand_out, rendered, generation_failed, opts.jobs):
        done[record.handle] = record
    for job in jobs:
        room = room.with_student(done[job.record.handle])
    manifest.save(out, room)
    return room


def pending_record(student: roster.Student, remote: str) -> StudentRecord:
    """A student not handed out yet: what the manifest says if the hand-out is interrupted."""
    return StudentRecord(
        student.handle,
        student.name,
        student.email,
        student.handle,
        remote,
        manifest.FAILED,
        "not generated yet",
    )


def plan_stamping(
    jobs: list[StudentJob], class_data: dict[str, Any], staging: Path
) -> tuple[stamping.Stamp | None, list[StudentJob]]:
    """The class's stamp (when the template allows one) and the jobs that may use it."""
    candidates = {}
    for job in jobs:
        own = {k: v for k, v in job.data.items() if k not in class_data or class_data[k] != v}
        if set(own) <= {"author_name", "author_email"}:  # the project name is the handle's
            name = default_project_name(job.dest)
            values = stamping.student_values(name, own) if name else None
            if values is not None:
                candidates[job.record.handle] = values
    if not candidates:
        return None, jobs
    first = jobs[0]
    stamp = stamping.build_stamp(
        first.template, class_data, first.source, first.version, staging / "probes"
    )
    if stamp is None:
        return None, jobs
    return stamp, [replace(job, stamp_values=candidates.get(job.record.handle)) for job in jobs]


def default_project_name(dest: Path) -> str:
    return str(generate.default_project_name(dest).get("project_name", ""))


def stamp_out(stamp: stamping.Stamp, job: StudentJob) -> StudentRecord:
    """Write, commit and (when asked) push one stamped student's repository."""
    assert job.stamp_values is not None
    try:
        note = stamping.write_student(stamp, job.stamp_values, job.dest)
    except (MlpathError, OSError, ValueError) as err:
        return replace(job.record, state=manifest.FAILED, detail=f"{type(err).__name__}: {err}")
    return commit_and_push(job, job.version, note)


def commit_and_push(job: StudentJob, version: str, lock_note: str | None) -> StudentRecord:
    message = f"Starter for {job.record.handle}: mlpath template {job.template} {version}"
    repos.init_and_commit(job.dest, message, job.author)
    detail = f"no uv.lock ({lock_note})" if lock_note else ""
    record = replace(job.record, state=manifest.GENERATED, detail=detail, version=version)
    if not job.record.remote:
        return record
    try:
        repos.add_remote_and_push(job.dest, job.record.remote)
    except git.GitCommandError as err:
        return replace(record, state=manifest.PUSH_FAILED, detail=repos.first_line(err))
    return replace(record, state=manifest.PUSHED, detail=detail)


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
                lock=True,
            )
        )
    except MlpathError as err:
        return replace(job.record, state=manifest.FAILED, detail=str(err))
    return commit_and_push(job, made.version, made.lock_note)


def generation_failed(job: StudentJob, err: BaseException) -> StudentRecord:
    return replace(job.record, state=manifest.FAILED, detail=f"{type(err).__name__}: {err}")
