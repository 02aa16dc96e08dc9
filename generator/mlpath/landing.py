"""Landing an update computed elsewhere onto the user's project, in one uninterruptible step.

`mlpath update` runs Copier on a scratch clone; what it produced is read back here as a list of
changes (git's letters: A, M, D, R) and then applied to the real project while SIGINT, SIGTERM
and SIGHUP wait. Before the first file is touched a journal is written to the repository's git
folder; it is removed after the last one. If the process dies anyway (SIGKILL, power loss), the
next mlpath command on that project finds the journal and puts the files it names back as they
are at HEAD: the project is then exactly at its previous HEAD, as if the update never ran.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import git

from . import vcs
from .errors import NotAProjectError

JOURNAL = "mlpath-update-journal.json"
DEFERRED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class Change:
    """One file of an update, relative to the project. `old_path` is set for renames."""

    status: str  # A, M, D or R
    path: str
    old_path: str | None = None
    conflict: bool = False
    note: str = ""
    kept: bool = False  # a deleted (or renamed-away) file the user changed stays in place

    @property
    def letter(self) -> str:
        return "C" if self.conflict else self.status

    def shown(self) -> str:
        name = f"{self.old_path} -> {self.path}" if self.old_path else self.path
        return f"{self.letter} {name}" + (f"  ({self.note})" if self.note else "")


@dataclass
class Landing:
    """What was applied, and whether a signal arrived while it was."""

    changes: list[Change]
    interrupted_by: list[int] = field(default_factory=list)


def read_changes(scratch_project: Path) -> list[Change]:
    """The scratch clone's working tree against its HEAD, within the project folder."""
    repo = vcs.open_repo(scratch_project)
    prefix = vcs.project_prefix(repo, scratch_project)
    pathspec = prefix or "."
    repo.git.add("--all", "--", pathspec)
    out = repo.git.diff(
        "--cached", "--name-status", "-M", "--no-ext-diff", "-z", "HEAD", "--", pathspec
    )
    repo.git.reset("--quiet", "HEAD", "--", pathspec)
    fields = [item for item in out.split("\0") if item]

    def local(name: str) -> str:
        return name.removeprefix(f"{prefix}/") if prefix else name

    changes = []
    i = 0
    while i < len(fields):
        code = fields[i]
        if code.startswith("R"):
            changes.append(Change("R", local(fields[i + 2]), old_path=local(fields[i + 1])))
            i += 3
            continue
        status = "M" if code[0] == "T" else code[0]
        changes.append(Change(status, local(fields[i + 1])))
        i += 2
    marked = []
    for change in changes:
        target = scratch_project / change.path
        conflict = change.path.endswith(".rej") or (
            change.status != "D" and vcs.has_conflict_markers(target)
        )
        marked.append(Change(change.status, change.path, change.old_path, conflict))
    return marked


def writes_and_removals(changes: list[Change]) -> tuple[list[str], list[str]]:
    writes = [c.path for c in changes if c.status in {"A", "M", "R"}]
    removals = [c.old_path or c.path for c in changes if c.status in {"D", "R"} and not c.kept]
    return writes, [name for name in removals if name not in writes]


@contextmanager
def signals_deferred(landing: Landing) -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP until the block is done; remember which came."""
    previous = {}

    def remember(signum: int, _frame: FrameType | None) -> None:
        landing.interrupted_by.append(signum)

    for signum in DEFERRED_SIGNALS:
        previous[signum] = signal.signal(signum, remember)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def land(project: Path, scratch_project: Path, changes: list[Change]) -> Landing:
    """Apply `changes` from the scratch clone to the project; all of them or, after a crash,
    none (see recover)."""
    repo = vcs.open_repo(project)
    writes, removals = writes_and_removals(changes)
    landing = Landing(changes)
    journal = Path(repo.git_dir) / JOURNAL
    with signals_deferred(landing):
        journal.write_text(
            json.dumps(
                {
                    "project": str(project.resolve()),
                    "head": repo.head.commit.hexsha,
                    "paths": sorted({*writes, *removals}),
                },
                indent=1,
            )
        )
        for name in writes:
            copy_file(scratch_project / name, project / name)
        for name in removals:
            remove_file(project, name)
        journal.unlink()
    return landing


def copy_file(source: Path, target: Path) -> None:
    """Write `target` through a temporary file beside it and one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.mlpath-partial")
    if source.is_symlink():
        if partial.is_symlink() or partial.exists():
            partial.unlink()
        os.symlink(os.readlink(source), partial)
    else:
        shutil.copyfile(source, partial)
        os.chmod(partial, stat.S_IMODE(source.stat().st_mode))
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    os.replace(partial, target)


def remove_file(project: Path, name: str) -> None:
    path = project / name
    if path.is_symlink() or path.exists():
        path.unlink()
    parent = path.parent
    while parent != project and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def recover(project: Path) -> bool:
    """Undo a landing that died half-way; True if there was one to undo."""
    try:
        repo = vcs.open_repo(project)
    except NotAProjectError:  # not a repository: nothing mlpath could have landed
        return False
    journal = Path(repo.git_dir) / JOURNAL
    if not journal.is_file():
        return False
    record = json.loads(journal.read_text())
    root = vcs.worktree_root(repo)
    landed_project = Path(record["project"])
    prefix = landed_project.relative_to(root).as_posix() if landed_project != root else ""
    at_head = set(
        str(repo.git.ls_tree("-r", "--name-only", record["head"], "--", prefix or ".")).split("\n")
    )
    for name in record["paths"]:
        repo_path = f"{prefix}/{name}" if prefix else name
        if repo_path in at_head:
            try:
                repo.git.checkout(record["head"], "--", repo_path)
            except git.GitCommandError:
                continue
        else:
            remove_file(landed_project, name)
        partial = (landed_project / name).with_name(f".{Path(name).name}.mlpath-partial")
        if partial.exists() or partial.is_symlink():
            partial.unlink()
    journal.unlink()
    return True
