"""`classroom update`'s fast path: the template's change computed once per class, then merged
into each student's repository.

Students differ only in their own strings (stamping.py), so the class's current version and the
target version are each rendered once as a stamp, and a student's update is a 3-way merge of
those two stamped renderings into their files, one file at a time:

- unchanged by the template: left as the student has it;
- changed: the student's copy untouched -> the new one; already the new one -> kept; otherwise
  `git merge-file`, taken only when it merges cleanly;
- added: written where the student has no file of that name;
- deleted: removed where the student did not change it; a file the student deleted stays gone.

Anything else (a conflict, a student's own file where the template adds one, a changed file the
template deletes, a binary merge, answers other than the class's) sends that student through
Copier's update as before, which treats it as `mlpath update` does. A merged student is landed
like any update (landing.py: all files or, after a crash, none).

tests/generator/test_classroom_fast_update.py updates the same class both ways, on every
template, and compares the commits' trees.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import answers, history, landing
from ..errors import MlpathError
from ..landing import Change
from ..update import UpdateResult, target_version
from . import stamping

Tree = dict[str, tuple[bytes | None, int]]  # path -> (content, mode); None: a folder
MIN_GROUP = 3  # a plan costs four renders; fewer students than this go through Copier


@dataclass(frozen=True)
class Plan:
    """A class's update from one version with one set of shared answers."""

    from_version: str
    to_version: str
    old: stamping.Stamp
    new: stamping.Stamp


def group_key(recorded: Mapping[str, Any]) -> str:
    """The version and the answers that are not the student's own, as one comparable string."""
    shared = class_answers(recorded)
    return json.dumps([str(recorded.get("_commit")), shared], sort_keys=True, default=str)


def class_answers(recorded: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in answers.user_answers(recorded).items()
        if key not in stamping.ANSWER_KEYS and key != "template"
    }


def student_values(recorded: Mapping[str, Any]) -> dict[str, str] | None:
    name = recorded.get("project_name")
    if not isinstance(name, str):
        return None
    own = {key: recorded.get(key) for key in ("author_name", "author_email")}
    values = stamping.student_values(name, own)
    if values is None or recorded.get(stamping.DERIVED_KEY) != values[stamping.DERIVED_KEY]:
        return None
    return values


def make_plans(
    template: str,
    source: str,
    to: str | None,
    recorded: Sequence[Mapping[str, Any]],
    staging: Path,
) -> dict[str, Plan]:
    """One plan per group of at least MIN_GROUP stampable students that the update moves."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for answers_of in recorded:
        if student_values(answers_of) is not None:
            groups.setdefault(group_key(answers_of), []).append(answers_of)
    given = None if history.is_builtin(source) else source
    plans = {}
    for number, (key, members) in enumerate(groups.items()):
        first = members[0]
        current = str(first["_commit"])
        try:
            target = target_version(source, current, to)
        except MlpathError:  # each student's own update reports it
            continue
        if len(members) < MIN_GROUP or current == target:
            continue
        data = class_answers(first)
        stamps = [
            stamping.build_stamp(
                template, data, given, version, staging / f"{number}-{side}", False
            )
            for side, version in (("old", current), ("new", target))
        ]
        old, new = stamps
        if old is not None and new is not None:
            plans[key] = Plan(current, target, old, new)
    return plans


def save_plans(plans: dict[str, Plan], path: Path) -> None:
    path.write_bytes(pickle.dumps(plans, protocol=pickle.HIGHEST_PROTOCOL))


def load_plans(path: Path) -> dict[str, Plan]:
    loaded: dict[str, Plan] = pickle.loads(path.read_bytes())  # written by this class's update
    return loaded


def update_student(project: Path, plans: Mapping[str, Plan]) -> UpdateResult | None:
    """The student's update through their class's plan, or None when they need Copier."""
    landing.recover(project)
    recorded = answers.read_answers(project)
    plan = plans.get(group_key(recorded))
    values = student_values(recorded)
    if plan is None or values is None:
        return None
    old = files_only(stamping.stamp_tree(plan.old.entries, values))
    new = files_only(stamping.stamp_tree(plan.new.entries, values))
    if not same_file(project / answers.ANSWERS_FILE, old.get(answers.ANSWERS_FILE)):
        return None  # not the answers the plan was rendered with: Copier reads them itself
    with tempfile.TemporaryDirectory(prefix="mlpath-merge-") as tmp:
        scratch = Path(tmp)
        changes = merge_all(project, old, new, scratch)
        if changes is None:
            return None
        landing.land(project, scratch / "result", changes)
    return UpdateResult(project, plan.from_version, plan.to_version, changes)


def files_only(tree: Tree) -> dict[str, tuple[bytes, int]]:
    return {path: (content, mode) for path, (content, mode) in tree.items() if content is not None}


def same_file(path: Path, entry: tuple[bytes, int] | None) -> bool:
    if entry is None:
        return not (path.exists() or path.is_symlink())
    if path.is_symlink() or not path.is_file():
        return False
    return path.read_bytes() == entry[0] and executable(path.stat().st_mode) == executable(entry[1])


def executable(mode: int) -> bool:
    return bool(mode & 0o111)


def merge_all(
    project: Path,
    old: dict[str, tuple[bytes, int]],
    new: dict[str, tuple[bytes, int]],
    scratch: Path,
) -> list[Change] | None:
    """Each template file's 3-way merge, written under scratch/result; None: one needs Copier."""
    changes = []
    for path in sorted(old.keys() | new.keys()):
        base, theirs = old.get(path), new.get(path)
        if base == theirs or (base and theirs and same_content_and_bit(base, theirs)):
            continue
        mine = project / path
        if mine.is_symlink() or mine.is_dir():
            return None
        if not mine.exists():
            if base is None and theirs is not None:  # added by the template
                changes.append(write(scratch, path, theirs, "A"))
            continue  # deleted by the student: Copier does not bring it back either
        if same_file(mine, theirs):
            continue
        if theirs is None:  # deleted by the template
            if not same_file(mine, base):
                return None  # changed by the student: kept as a conflict, by Copier's path
            changes.append(Change("D", path))
            continue
        if base is None:  # the student made a file the template now adds
            return None
        merged = merge_file(mine, base[0], theirs[0], scratch)
        if merged is None:
            return None
        kept_bit = executable(mine.stat().st_mode) == executable(base[1])
        mode = theirs[1] if kept_bit else mine.stat().st_mode
        changes.append(write(scratch, path, (merged, mode), "M"))
    return changes


def same_content_and_bit(a: tuple[bytes, int], b: tuple[bytes, int]) -> bool:
    return a[0] == b[0] and executable(a[1]) == executable(b[1])


def write(scratch: Path, path: str, entry: tuple[bytes, int], status: str) -> Change:
    target = scratch / "result" / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(entry[0])
    target.chmod(0o755 if executable(entry[1]) else 0o644)
    return Change(status, path)


def merge_file(mine: Path, base: bytes, theirs: bytes, scratch: Path) -> bytes | None:
    """git merge-file's clean merge of the template's change into the student's file, or None."""
    if mine.read_bytes() == base:
        return theirs
    base_file, theirs_file = scratch / "base", scratch / "theirs"
    base_file.write_bytes(base)
    theirs_file.write_bytes(theirs)
    proc = subprocess.run(
        ["git", "merge-file", "-p", "--", str(mine), str(base_file), str(theirs_file)],
        capture_output=True,
        check=False,
    )
    return proc.stdout if proc.returncode == 0 else None  # >0: conflicts; <0: binary, error
