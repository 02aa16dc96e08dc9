"""`mlpath classroom collect`: what each student submitted, and when mlpath saw it.

A deadline is measured against the moment mlpath collected a commit from the student's remote,
never against the commit's own dates: a student can set those to anything (`git commit --date`,
GIT_COMMITTER_DATE). Run `collect` at the deadline (cron, `at`) for on-time work; every later
`collect` records a changed submission as late by (collection time - deadline). The submitted
commit is recorded in the manifest and as `refs/mlpath/submitted` in the student's local copy,
and `classroom grade` grades it instead of whatever `main` holds later.

The late policy is the class's: a penalty in percent per started day late, capped (a cap of 100
lets late work fall to zero). The gradebook shows the raw and the final score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import git

from ..errors import UserError
from . import manifest, repos
from .manifest import Classroom, StudentRecord

SUBMITTED_REF = "refs/mlpath/submitted"
DAY_S = 86_400
RESULTS = ("on time", "late", "unchanged", "failed")


class CollectError(UserError):
    pass


@dataclass(frozen=True)
class LatePolicy:
    penalty_per_day: float = 0.0  # percent of the raw score, per started day late
    cap: float = 100.0  # percent: the most a late submission loses

    def final(self, raw: float, late_s: int) -> float:
        days = math.ceil(late_s / DAY_S) if late_s > 0 else 0
        return raw * (1 - min(self.cap, self.penalty_per_day * days) / 100)


@dataclass(frozen=True)
class Collected:
    handle: str
    result: str  # on time, late, unchanged, failed
    commit: str = ""
    detail: str = ""


def parse_deadline(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise CollectError(
            f"--deadline {text!r}: expected an ISO date and time with its timezone, "
            "e.g. 2027-01-15T23:59+01:00"
        ) from None
    if when.tzinfo is None:
        raise CollectError(
            f"--deadline {text!r}: no timezone; add one (2027-01-15T23:59+01:00, or Z for UTC)"
        )
    return when


def check_policy(penalty: float, cap: float) -> LatePolicy:
    if not 0 <= penalty <= 100:
        raise CollectError(f"--late-penalty {penalty:g}: expected a percent per day, 0 to 100")
    if not 0 <= cap <= 100:
        raise CollectError(f"--late-cap {cap:g}: expected a percent, 0 to 100")
    return LatePolicy(penalty, cap)


def policy_of(room: Classroom) -> LatePolicy:
    return LatePolicy(float(room.late_penalty or 0), float(room.late_cap or 100))


def pushed_commit(project: Path) -> str:
    """The commit on the student's remote main (fetched now), or the local main without one."""
    repo = git.Repo(project)
    if not repos.has_remote(project):
        return str(repo.commit("main").hexsha)
    repo.git.fetch("--quiet", repos.REMOTE_NAME, env=repos.NO_PROMPT)
    return str(repo.commit(f"{repos.REMOTE_NAME}/main").hexsha)


def collect_one(
    folder: Path, record: StudentRecord, deadline: datetime, now: datetime
) -> tuple[StudentRecord, Collected]:
    project = folder / record.path
    try:
        commit = pushed_commit(project)
    except (git.GitCommandError, git.BadName, ValueError) as err:
        why = repos.first_line(err) if isinstance(err, git.GitCommandError) else str(err)
        return record, Collected(record.handle, "failed", record.submitted, why)
    if commit == record.submitted:
        return record, Collected(record.handle, "unchanged", commit)
    late_s = max(0, math.ceil((now - deadline).total_seconds()))
    git.Repo(project).git.update_ref(SUBMITTED_REF, commit)
    collected = replace(
        record, submitted=commit, collected_at=now.isoformat(timespec="seconds"), late_s=late_s
    )
    result = "late" if late_s else "on time"
    detail = f"late by {late_s / 3600:.1f} h" if late_s else ""
    return collected, Collected(record.handle, result, commit, detail)


def collect_class(
    folder: Path, deadline_text: str, penalty: float, cap: float, now: datetime | None = None
) -> list[Collected]:
    folder = folder.absolute()
    deadline = parse_deadline(deadline_text)
    policy = check_policy(penalty, cap)
    room = manifest.load(folder)
    if room.deadline and datetime.fromisoformat(room.deadline) != deadline:
        raise CollectError(
            f"--deadline {deadline_text}: this class's deadline is {room.deadline}; a class has "
            "one deadline (start a new class folder for the next assignment)"
        )
    now = now or datetime.now(UTC)
    room = replace(
        room,
        deadline=deadline.isoformat(timespec="seconds"),
        late_penalty=f"{policy.penalty_per_day:g}",
        late_cap=f"{policy.cap:g}",
    )
    rows = []
    for record in room.students:
        if not record.has_repo:
            continue
        updated, row = collect_one(folder, record, deadline, now)
        room = room.with_student(updated)
        manifest.save(folder, room)  # each student as collected: an interrupt loses nothing
        rows.append(row)
    manifest.save(folder, room)
    return rows
