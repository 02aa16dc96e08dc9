"""`mlpath diff`: the user's changes against a pristine render of the recorded version.

One Copier render, offline, of the version and answers the project records, in a temporary
folder; then every file of the project (git's view of it: tracked and untracked, ignored files
left out) is compared with it. Edits, files the user deleted and files the user added all show,
as a unified diff `git apply` accepts on a fresh render.

`uv.lock` is not the template's: `mlpath new` writes it with `uv lock` into the first commit and
`make setup` rewrites it, so it is left out unless the template itself renders one or the user
names it in PATHS.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import copier
from copier.errors import CopierError
from plumbum import ProcessExecutionError

from . import answers
from .check import Record, read_record
from .errors import GenerationError

NOT_THE_TEMPLATES = ("uv.lock",)  # written by `mlpath new` and `make setup`, not rendered
STAT_BARS = 40  # the longest +/- bar of --stat; longer changes are scaled down, as git does


@dataclass(frozen=True)
class FileDiff:
    path: str
    status: str  # git's letters: A (the user added it), M, D (the user deleted it)
    text: str  # the unified diff of this file, headers included
    added: int
    removed: int
    binary: bool = False


@dataclass(frozen=True)
class ProjectDiff:
    record: Record
    files: list[FileDiff]

    @property
    def text(self) -> str:
        return "".join(f.text for f in self.files)

    def stat(self) -> str:
        if not self.files:
            return ""
        width = max(len(f.path) for f in self.files)
        scale = min(1.0, STAT_BARS / max(1, max(f.added + f.removed for f in self.files)))
        lines = []
        for f in self.files:
            bars = "+" * bar(f.added, scale) + "-" * bar(f.removed, scale)
            shown = "Bin" if f.binary else f"{f.added + f.removed} {bars}"
            lines.append(f" {f.path:<{width}} | {shown.rstrip()}")
        added = sum(f.added for f in self.files)
        removed = sum(f.removed for f in self.files)
        count = len(self.files)
        lines.append(
            f" {count} file{'s' if count != 1 else ''} changed, "
            f"{added} insertion{'s' if added != 1 else ''}(+), "
            f"{removed} deletion{'s' if removed != 1 else ''}(-)"
        )
        return "\n".join(lines) + "\n"


def bar(count: int, scale: float) -> int:
    return max(1, round(count * scale)) if count else 0


def split_arguments(args: Sequence[str]) -> tuple[Path, list[str]]:
    """`mlpath diff [DEST] [PATHS...]`: the first argument is DEST when it is a project folder."""
    if args and (Path(args[0]) / answers.ANSWERS_FILE).is_file():
        return Path(args[0]), list(args[1:])
    return Path(), list(args)


def diff_project(
    project: Path, paths: Sequence[str] = (), source: str | None = None
) -> ProjectDiff:
    record = read_record(project, source)
    wanted = [relative_to_project(record.project, path) for path in paths]
    with tempfile.TemporaryDirectory(prefix="mlpath-diff-") as tmp:
        pristine = Path(tmp) / "pristine"
        render_pristine(record, pristine)
        rendered = set(walk(pristine))
        present = set(project_files(record.project))
        candidates = rendered | {
            name for name in present if name not in NOT_THE_TEMPLATES or name in wanted
        }
        names = sorted(name for name in candidates if selected(name, wanted))
        files = [
            d
            for name in names
            if (d := compare(name, pristine / name, record.project / name)) is not None
        ]
    return ProjectDiff(record, files)


def render_pristine(record: Record, dest: Path) -> None:
    """The project as the template rendered it at the recorded version with the recorded answers."""
    try:
        copier.run_copy(
            record.source,
            dest,
            data=answers.user_answers(record.answers),
            vcs_ref=record.version,
            defaults=True,
            quiet=True,
            unsafe=False,
        )
    except (CopierError, ProcessExecutionError, OSError, ValueError) as err:
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        raise GenerationError(
            f"rendering {record.template} {record.version} from {record.source} failed: "
            f"{lines[-1] if lines else type(err).__name__}"
        ) from None


def project_files(project: Path) -> list[str]:
    """The project's files as git sees them (tracked and untracked, not ignored), else all."""
    proc = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=project,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:  # not under git: every file but a .git folder
        return list(walk(project))
    names = [name for name in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if name]
    return [name for name in names if (project / name).is_file()]  # a staged deletion is gone


def walk(root: Path) -> Iterable[str]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            yield (Path(folder) / name).relative_to(root).as_posix()


def relative_to_project(project: Path, path: str) -> str:
    """A PATH as given (from the working directory, or from the project) relative to the project."""
    here = Path(path).absolute().resolve()
    try:
        return here.relative_to(project.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def selected(name: str, wanted: list[str]) -> bool:
    if not wanted:
        return True
    return any(w in ("", ".") or name == w or name.startswith(w.rstrip("/") + "/") for w in wanted)


def compare(name: str, old: Path, new: Path) -> FileDiff | None:
    before = old.read_bytes() if old.is_file() else None
    after = new.read_bytes() if new.is_file() else None
    if before == after:
        return None
    status = "A" if before is None else "D" if after is None else "M"
    header = [f"diff --git a/{name} b/{name}\n"]
    if status == "A":
        header.append(f"new file mode {file_mode(new)}\n")
    elif status == "D":
        header.append(f"deleted file mode {file_mode(old)}\n")
    elif file_mode(old) != file_mode(new):
        header += [f"old mode {file_mode(old)}\n", f"new mode {file_mode(new)}\n"]
    old_text, new_text = as_text(before), as_text(after)
    if old_text is None or new_text is None:
        header.append(
            f"Binary files {'/dev/null' if before is None else 'a/' + name} and "
            f"{'/dev/null' if after is None else 'b/' + name} differ\n"
        )
        return FileDiff(name, status, "".join(header), 0, 0, binary=True)
    old_lines = old_text.splitlines(keepends=True)
    new_lines = new_text.splitlines(keepends=True)
    body = list(
        difflib.unified_diff(
            old_lines,
            new_lines,
            "/dev/null" if before is None else f"a/{name}",
            "/dev/null" if after is None else f"b/{name}",
        )
    )
    added = sum(1 for line in body[2:] if line.startswith("+"))
    removed = sum(1 for line in body[2:] if line.startswith("-"))
    return FileDiff(name, status, "".join(header) + "".join(mark_last_lines(body)), added, removed)


def mark_last_lines(lines: list[str]) -> Iterable[str]:
    """git's marker for a last line without a newline (difflib leaves the line unterminated)."""
    for line in lines:
        if line.endswith("\n"):
            yield line
        else:
            yield line + "\n\\ No newline at end of file\n"


def as_text(data: bytes | None) -> str | None:
    if data is None:
        return ""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def file_mode(path: Path) -> str:
    return "100755" if os.access(path, os.X_OK) else "100644"
