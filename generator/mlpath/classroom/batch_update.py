"""`mlpath classroom update`: every student repository to a newer template version.

Each repository goes through the core's update (`update.update_project`), in worker processes,
and one that fails is reported while the others go on. A repository with uncommitted changes is
skipped and its files named: nothing a student has not committed is touched.

Without `--remote`, a repository is updated in place: a clean update is committed (authored by the
instructor), one with conflicts is left for the student to resolve, as `mlpath update` leaves it.
With `--remote`, the student's pushed work is fetched first (main fast-forwards to it), the update
is made and committed on a branch `mlpath-update-<version>` (conflict markers included, the commit
message names the files) and that branch is pushed for the student to merge. main is never
rewritten, and nothing is force-pushed: a branch of that name already on the remote is refused
by git and reported.

Most students need no Copier at all: their class's change is computed once and merged into each
(fast_update.py); those it cannot merge cleanly go through Copier's update here.

Copier's clones and renderings of each update (scratch folders, thousands of files and folders
per student, made and removed) go to memory-backed storage (/dev/shm) when the machine has one
with room and TMPDIR is not set: on a disk that discards freed blocks, removing them was a third
of each update's time (measured: 7.4-8.6 s -> 5.2-6.0 s per student, 3.1 s of it CPU).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import git

from .. import answers, history
from ..errors import MlpathError, UserError
from ..generate import new_project
from ..options import NewOptions, UpdateOptions
from ..update import UpdateResult, update_project
from . import fast_update, manifest, parallel, repos, suites, tables
from .handout import REFERENCE_DIR
from .manifest import Classroom

UPDATED = "updated"
CONFLICTS = "conflicts"
SKIPPED = "skipped (uncommitted changes)"
CURRENT = "current"
FAILED = "failed"
RESULTS = (UPDATED, CONFLICTS, SKIPPED, CURRENT, FAILED)
WORK_BRANCH = "mlpath-update"
HEADERS = ["student", "result", "versions", "files / why"]


@dataclass(frozen=True)
class BatchOptions:
    folder: Path
    to: str | None = None
    remote: bool = False
    jobs: int | None = None


@dataclass(frozen=True)
class UpdateJob:
    project: Path
    handle: str
    to: str | None
    remote: bool
    author: repos.Identity
    plans: Path | None = None  # the class's fast-update plans (fast_update.py), if any


@dataclass(frozen=True)
class UpdateRow:
    handle: str
    result: str
    from_version: str = ""
    to_version: str = ""
    files: tuple[str, ...] = ()
    detail: str = ""
    branch: str = ""
    merged: bool = False  # by the class's fast path, without Copier

    def row(self) -> list[str]:
        versions = (
            f"{self.from_version} -> {self.to_version}" if self.to_version else self.from_version
        )
        shown = ", ".join(self.files[:6]) + (
            f" +{len(self.files) - 6}" if len(self.files) > 6 else ""
        )
        extra = [
            part for part in (shown, self.detail, self.branch and f"branch {self.branch}") if part
        ]
        return [self.handle, self.result, versions or "-", "; ".join(extra)]


MEMORY_TMP = Path("/dev/shm")
MEMORY_TMP_MIN_FREE = 1 << 30  # a container's 64 MB /dev/shm is not used


def memory_tmpdir() -> Path | None:
    if os.environ.get("TMPDIR") or not MEMORY_TMP.is_dir() or not os.access(MEMORY_TMP, os.W_OK):
        return None
    try:
        found = os.statvfs(MEMORY_TMP)
    except OSError:
        return None
    return MEMORY_TMP if found.f_bavail * found.f_frsize >= MEMORY_TMP_MIN_FREE else None


@contextmanager
def scratch_in_memory() -> Iterator[None]:
    previous, chosen = tempfile.tempdir, memory_tmpdir()
    if chosen is not None:
        tempfile.tempdir = str(chosen)
    try:
        yield
    finally:
        tempfile.tempdir = previous


def branch_name(version: str) -> str:
    return f"mlpath-update-{version}"


def update_one(job: UpdateJob) -> UpdateRow:
    with scratch_in_memory():
        return update_student(job)


LOADED_PLANS: dict[Path, dict[str, fast_update.Plan]] = {}  # per worker process, read once


def run_update(job: UpdateJob) -> tuple[UpdateResult, bool]:
    """The class's merged update where it applies (True), else Copier's (update_project)."""
    if job.plans is not None:
        if job.plans not in LOADED_PLANS:
            LOADED_PLANS[job.plans] = fast_update.load_plans(job.plans)
        merged = fast_update.update_student(job.project, LOADED_PLANS[job.plans])
        if merged is not None:
            return merged, True
    return update_project(UpdateOptions(dest=job.project, to=job.to)), False


def update_student(job: UpdateJob) -> UpdateRow:
    project = job.project
    try:
        if job.remote:
            if not repos.has_remote(project):
                return UpdateRow(job.handle, FAILED, detail="no remote to fetch from")
            repos.fetch_latest(project)
        dirty = repos.dirty_files(project)
        if dirty:
            return UpdateRow(job.handle, SKIPPED, files=tuple(dirty))
        before = str(answers.read_answers(project)["_commit"])
        if job.remote:
            return update_on_branch(job, before)
        return update_in_place(job, before)
    except git.GitCommandError as err:
        return UpdateRow(job.handle, FAILED, detail=f"git: {repos.first_line(err)}")
    except (MlpathError, ValueError) as err:
        return UpdateRow(job.handle, FAILED, detail=str(err))


def update_in_place(job: UpdateJob, before: str) -> UpdateRow:
    result, merged = run_update(job)
    if result.up_to_date:
        return UpdateRow(job.handle, CURRENT, before)
    if result.conflicts:
        return UpdateRow(
            job.handle,
            CONFLICTS,
            before,
            result.to_version,
            tuple(result.conflicts),
            "left uncommitted to resolve",
        )
    message = f"Update mlpath template {before} -> {result.to_version}"
    repos.commit_all(job.project, message, job.author)
    return UpdateRow(job.handle, UPDATED, before, result.to_version, merged=merged)


def update_on_branch(job: UpdateJob, before: str) -> UpdateRow:
    repo = git.Repo(job.project)
    start = repo.active_branch.name
    repo.git.checkout("--quiet", "-b", WORK_BRANCH)
    try:
        result, merged = run_update(job)
        if result.up_to_date:
            return UpdateRow(job.handle, CURRENT, before)
        branch = branch_name(result.to_version)
        remote_branches = {ref.remote_head for ref in repo.remote(repos.REMOTE_NAME).refs}
        if branch in remote_branches or branch in [head.name for head in repo.heads]:
            detail = f"{branch} was pushed before; waiting for the student to merge it"
            return UpdateRow(job.handle, CURRENT, before, result.to_version, detail=detail)
        message = f"Update mlpath template {before} -> {result.to_version}"
        if result.conflicts:
            message += "\n\nResolve the conflict markers in: " + ", ".join(result.conflicts)
        repos.commit_all(job.project, message, job.author)
        repo.git.branch("-m", WORK_BRANCH, branch)  # refuses when the branch exists already
        repos.push_branch(job.project, branch)
        kind = CONFLICTS if result.conflicts else UPDATED
        return UpdateRow(
            job.handle,
            kind,
            before,
            result.to_version,
            tuple(result.conflicts),
            branch=branch,
            merged=merged,
        )
    finally:
        repo.git.reset("--quiet", "--hard")  # only the update's own uncommitted files
        repo.git.clean("-q", "-fd")
        repo.git.checkout("--quiet", start)
        if WORK_BRANCH in [head.name for head in repo.heads]:
            repo.git.branch("-D", WORK_BRANCH)


def update_failed(job: UpdateJob, err: BaseException) -> UpdateRow:
    return UpdateRow(job.handle, FAILED, detail=f"{type(err).__name__}: {err}")


def update_classroom(opts: BatchOptions) -> tuple[Classroom, list[UpdateRow]]:
    folder = opts.folder.absolute()
    room = manifest.load(folder)
    if opts.remote and not room.remote:
        raise UserError(f"--remote: {folder} was made without --remote; its repos have no remote")
    who = repos.instructor_identity()
    records = [r for r in room.students if r.has_repo]
    with tempfile.TemporaryDirectory(prefix="mlpath-class-update-") as tmp:
        plans = class_plans(room, [folder / r.path for r in records], opts.to, Path(tmp))
        jobs = [
            UpdateJob(folder / r.path, r.handle, opts.to, opts.remote, who, plans) for r in records
        ]
        finished = parallel.run_all(update_one, jobs, update_failed, opts.jobs)
    done = {row.handle: row for row in finished}
    rows = [
        done.get(r.handle, UpdateRow(r.handle, FAILED, detail=r.detail or "no repository"))
        for r in room.students
        if r.state != manifest.REMOVED
    ]
    for row in rows:
        if row.result in (UPDATED, CONFLICTS) and not opts.remote:
            record = next(r for r in room.students if r.handle == row.handle)
            room = room.with_student(replace(record, version=row.to_version))
    targets = Counter(row.to_version for row in rows if row.to_version)
    if targets and room.exercises:
        refresh_grading(folder, room, targets.most_common(1)[0][0])
    manifest.save(folder, room)
    return room, rows


def class_plans(room: Classroom, projects: list[Path], to: str | None, tmp: Path) -> Path | None:
    """The class's fast-update plans, saved for the workers; None when no group has one."""
    if os.environ.get("MLPATH_CLASSROOM_NO_MERGE"):  # every student through Copier (tests, bench)
        return None
    recorded = []
    for project in projects:
        try:
            recorded.append(answers.read_answers(project))
        except (MlpathError, OSError, ValueError):
            continue  # that student's own update says why
    if history.is_builtin(room.source):
        history.install_history(room.template)
    with scratch_in_memory():
        plans = fast_update.make_plans(room.template, room.source, to, recorded, tmp / "stamps")
    if not plans:
        return None
    path = tmp / "plans.pickle"
    fast_update.save_plans(plans, path)
    return path


def refresh_grading(folder: Path, room: Classroom, version: str) -> None:
    """The reference solution at the new version (and the installed grading suite)."""
    grading = folder / manifest.GRADING_DIR
    staging = Path(tempfile.mkdtemp(prefix=".mlpath-reference-", dir=grading))
    try:
        made = new_project(
            NewOptions(
                template=room.template,
                dest=staging / REFERENCE_DIR,
                data=dict(room.data),
                defaults=True,
                source=None if history.is_builtin(room.source) else room.source,
                vcs_ref=version,
                git=False,
            )
        )
        old = grading / REFERENCE_DIR
        if old.exists():
            shutil.rmtree(old)
        shutil.move(str(made.path), old)
        suites.place(room.template, grading)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_table(folder: Path, rows: list[UpdateRow]) -> tuple[str, Path]:
    text = tables.render(HEADERS, [row.row() for row in rows])
    versions = sorted({row.to_version for row in rows if row.to_version})
    path = folder / f"update-{versions[-1] if versions else 'report'}.txt"
    path.write_text(text + "\n")
    return text, path
