"""classroom.toml: what a class folder holds, read by every `mlpath classroom` command.

    [classroom]               template, source, version, exercises, remote pattern, --data
    [[students]]              handle, name, email, path, remote, state, detail, version

The writer is a few lines for the few shapes used here (strings, booleans, a table of strings);
tests read its output back with tomllib. It is written to a temporary file and renamed, so an
interrupted command never leaves half a manifest.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import UserError

MANIFEST_FILE = "classroom.toml"
GRADING_DIR = "_grading"

# Student states. Only these have a repository to grade, update or show.
GENERATED = "generated"  # no remote asked for
PUSHED = "pushed"
PUSH_FAILED = "push failed"  # the repository is there, its remote did not take the push
FAILED = "failed"  # generation failed: no repository
REMOVED = "removed"  # archived by `classroom remove`: kept in _archive/, graded no more
HAS_REPO = (GENERATED, PUSHED, PUSH_FAILED)


class NotAClassroomError(UserError):
    pass


@dataclass(frozen=True)
class StudentRecord:
    handle: str
    name: str
    email: str
    path: str  # relative to the class folder
    remote: str = ""
    state: str = GENERATED
    detail: str = ""
    version: str = ""
    submitted: str = ""  # the commit `classroom collect` recorded (graded instead of main)
    collected_at: str = ""  # when mlpath saw it on the remote (ISO, UTC)
    late_s: int = 0  # seconds after the deadline it was collected

    @property
    def has_repo(self) -> bool:
        return self.state in HAS_REPO


@dataclass(frozen=True)
class Classroom:
    template: str
    source: str
    version: str
    exercises: bool
    remote: str = ""
    data: dict[str, str] = field(default_factory=dict)
    students: tuple[StudentRecord, ...] = ()
    deadline: str = ""  # ISO with timezone, set by `classroom collect`
    late_penalty: str = ""  # percent per started day late
    late_cap: str = ""  # the most percent a late submission loses

    def with_student(self, record: StudentRecord) -> Classroom:
        students = tuple(record if s.handle == record.handle else s for s in self.students)
        return replace(self, students=students)


def toml_string(value: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also wants DEL escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, int):
        return str(value)
    raise TypeError(
        f"manifest values are strings, integers or booleans, not {type(value).__name__}"
    )


def to_toml(room: Classroom) -> str:
    head = {k: v for k, v in asdict(room).items() if k not in {"students", "data"}}
    lines = ["# mlpath classroom manifest: written by `mlpath classroom`, read by it too.", ""]
    lines += ["[classroom]", *(f"{k} = {toml_value(v)}" for k, v in head.items())]
    lines += [
        "",
        "[classroom.data]",
        *(f"{toml_string(k)} = {toml_string(v)}" for k, v in room.data.items()),
    ]
    for student in room.students:
        lines += [
            "",
            "[[students]]",
            *(f"{k} = {toml_value(v)}" for k, v in asdict(student).items()),
        ]
    return "\n".join(lines) + "\n"


def save(folder: Path, room: Classroom) -> None:
    path = folder / MANIFEST_FILE
    staged = path.with_name(f".{MANIFEST_FILE}.tmp")
    staged.write_text(to_toml(room))
    os.replace(staged, path)


def load(folder: Path) -> Classroom:
    path = folder / MANIFEST_FILE
    if not folder.is_dir():
        raise NotAClassroomError(f"{folder}: no such folder")
    if not path.is_file():
        raise NotAClassroomError(
            f"{folder}: not a classroom (no {MANIFEST_FILE}); create one with "
            "`mlpath classroom new TEMPLATE --roster roster.csv --out DIR`"
        )
    try:
        doc = tomllib.loads(path.read_text())
        head = dict(doc["classroom"])
        data = {str(k): str(v) for k, v in head.pop("data", {}).items()}
        students = tuple(StudentRecord(**row) for row in doc.get("students", []))
        return Classroom(**head, data=data, students=students)
    except (tomllib.TOMLDecodeError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise NotAClassroomError(f"{path}: not a valid classroom manifest ({err})") from None
