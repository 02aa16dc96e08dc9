"""One Copier rendering per class, stamped out for every student whose answers differ only in
the strings that are the student's own: the project name (from the handle), the package name
Copier derives from it, the author's name and e-mail.

Rendering a template through Copier takes a second or two (Jinja compiles every path part and
file, git runs once per file, the template is cloned); a class of 300 would spend minutes on
300 renderings that differ only in those strings. So the class is rendered twice through Copier,
with two sets of distinctive probe values. The first rendering, with each probe value replaced
by a marker, is the stamp. It is trusted only if stamping the second probe's values into it
gives the second rendering byte for byte (paths, contents, file modes): a template that
transforms one of these answers in any way the markers do not see (title case, an escape, a
length, a condition on the value) fails that check, and then every student is rendered through
Copier as before. A student's values are stamped only when they are made of characters the
probes exercised and the answers file writes them as plain YAML; anyone else (a roster row with
extra answer columns, an accent in a name, a handle that is not a project name) is rendered
through Copier.

uv.lock: the lock does not depend on the project's own name except for its own entry, so one
`uv lock` of the first probe is rewritten per student (lockfiles.py).
"""

from __future__ import annotations

import keyword
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import answers, generate
from ..errors import MlpathError
from ..generate import new_project
from ..options import NewOptions
from . import lockfiles

STUDENT_KEYS = ("project_name", "author_name", "author_email")
DERIVED_KEY = "package_name"  # Copier's default: the project name with "_" for "-"
PROBES: tuple[dict[str, str], ...] = (
    {
        "project_name": "zqprobe-alpha-7",
        "author_name": "Zqa Probe-Alpha Jr.",
        "author_email": "zqa.probe-alpha+7@alpha.example",
    },
    {
        "project_name": "zqprobe-bravo-nine-22",
        "author_name": "Zqb Bravo Probe-Name",
        "author_email": "zqb_bravo.probe@bravo-mail.example",
    },
)
PROJECT_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*\Z")
MAX_NAME = 40
ANSWER_KEYS = (*STUDENT_KEYS, DERIVED_KEY)


def marker(key: str) -> bytes:
    return f"\x00mlpath-stamp:{key}\x00".encode()


@dataclass(frozen=True)
class Entry:
    path: str  # with markers, posix
    content: bytes | None  # None: a folder
    mode: int


@dataclass(frozen=True)
class Stamp:
    entries: tuple[Entry, ...]
    lock: str | None  # the first probe's uv.lock, or None
    lock_note: str | None  # why there is no lock
    project_name: str  # the first probe's, as its lock names it


def probe_values(probe: Mapping[str, str]) -> dict[str, str]:
    return {**probe, DERIVED_KEY: probe["project_name"].replace("-", "_")}


def allowed_characters() -> dict[str, set[str]]:
    alnum = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    return {
        key: alnum | {c for probe in PROBES for c in probe_values(probe)[key]}
        for key in ANSWER_KEYS
    }


ALLOWED = allowed_characters()


def read_tree(root: Path) -> dict[str, tuple[bytes | None, int]]:
    tree: dict[str, tuple[bytes | None, int]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            rel = path.relative_to(root).as_posix()
            if stat.S_ISLNK(info.st_mode):
                raise ValueError(f"{rel} is a symbolic link")
            content = None if stat.S_ISDIR(info.st_mode) else path.read_bytes()
            tree[rel] = (content, stat.S_IMODE(info.st_mode))
    return tree


def replace_all(data: bytes, pairs: list[tuple[bytes, bytes]]) -> bytes:
    for old, new in pairs:
        data = data.replace(old, new)
    return data


def to_markers(values: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    pairs = [(value.encode(), marker(key)) for key, value in values.items()]
    return sorted(pairs, key=lambda pair: -len(pair[0]))  # the longest value first


def from_markers(values: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    return [(marker(key), value.encode()) for key, value in values.items()]


def stamp_tree(entries: tuple[Entry, ...], values: Mapping[str, str]) -> dict[str, Any]:
    pairs = from_markers(values)
    return {
        replace_all(e.path.encode(), pairs).decode(): (
            None if e.content is None else replace_all(e.content, pairs),
            e.mode,
        )
        for e in entries
    }


def build_stamp(
    template: str,
    data: Mapping[str, Any],
    source: str | None,
    version: str,
    staging: Path,
    with_lock: bool = True,
) -> Stamp | None:
    """The class's stamp, or None when this template cannot be stamped (see the module doc)."""
    if any(key in data for key in ANSWER_KEYS):
        return None  # the instructor fixed one of them for everyone
    rendered = []
    for number, probe in enumerate(PROBES):
        dest = staging / f"probe-{number}"
        try:
            made = new_project(
                NewOptions(
                    template=template,
                    dest=dest,
                    data={**data, **probe},
                    defaults=True,
                    source=source,
                    vcs_ref=version,
                    git=False,
                )
            )
        except MlpathError:
            return None
        if (
            str(answers.read_answers(made.path).get(DERIVED_KEY))
            != probe_values(probe)[DERIVED_KEY]
        ):
            return None
        try:
            rendered.append(read_tree(made.path))
        except ValueError:
            return None
    first, second = rendered
    pairs = to_markers(probe_values(PROBES[0]))
    entries = tuple(
        Entry(
            replace_all(path.encode(), pairs).decode(),
            None if content is None else replace_all(content, pairs),
            mode,
        )
        for path, (content, mode) in sorted(first.items())
    )
    if stamp_tree(entries, probe_values(PROBES[1])) != second:
        return None
    if not with_lock:  # an update keeps the student's uv.lock, as Copier's does
        return Stamp(entries, None, "not locked", PROBES[0]["project_name"])
    lock_note = generate.write_lock(staging / "probe-0")
    lock_path = staging / "probe-0" / "uv.lock"
    lock = lock_path.read_text() if lock_note is None and lock_path.is_file() else None
    return Stamp(entries, lock, lock_note, PROBES[0]["project_name"])


def student_values(project_name: str, data: Mapping[str, Any]) -> dict[str, str] | None:
    """The values to stamp for one student, or None when the student needs Copier."""
    values = {key: data.get(key) for key in STUDENT_KEYS}
    values["project_name"] = project_name
    if not all(isinstance(value, str) and value for value in values.values()):
        return None
    full = {**{k: str(v) for k, v in values.items()}, DERIVED_KEY: project_name.replace("-", "_")}
    if not PROJECT_NAME.match(project_name) or len(project_name) > MAX_NAME:
        return None
    if keyword.iskeyword(full[DERIVED_KEY]):
        return None
    for key, value in full.items():
        if not set(value) <= ALLOWED[key] or value != value.strip() or "  " in value:
            return None
        plain = yaml.safe_dump({key: value}, allow_unicode=True, default_flow_style=False)
        if plain != f"{key}: {value}\n":
            return None
    return full


def write_student(stamp: Stamp, values: Mapping[str, str], dest: Path) -> str | None:
    """The student's project into `dest` (new), atomically; returns why uv.lock is missing."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mlpath-new-", dir=dest.parent))
    try:
        project = staging / "project"
        project.mkdir()
        for path, (content, mode) in stamp_tree(stamp.entries, values).items():
            target = project / path
            if content is None:
                target.mkdir(exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            target.chmod(mode)
        note = stamp.lock_note
        if stamp.lock is not None:
            try:
                lock = lockfiles.rename_project(
                    stamp.lock, stamp.project_name, values["project_name"]
                )
            except ValueError:  # a lock that names the project elsewhere: lock this one itself
                note = generate.write_lock(project)
            else:
                (project / "uv.lock").write_text(lock)
        generate.check_destination(dest, force=False)
        generate.move_into_place(project, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return note
