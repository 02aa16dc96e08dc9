"""The class roster: a CSV with columns handle, name, email, plus answers for the template.

Each handle names a folder and a git repository, so it must be one: letters, digits, `.`, `_`
and `-`, starting with a letter or digit (GitHub's usernames fit). Handles are compared without
case, since a case-insensitive file system would put two of them in one folder, and none may be a
name mlpath writes in the class folder itself (`classroom.toml`, `gradebook.csv`, `feedback`,
`_grading`, `update-*.txt`, `export-*.csv`, `similarity.*`), in any case. No cell may hold a
control character (a newline, a tab): names and addresses go into TOML, YAML, git and CSV files.
Every student needs an e-mail address (it is the project's author and their commits'). Every
problem is one line naming the file, the row and what was expected; nothing is read past the
first one.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError

REQUIRED_COLUMNS = ("handle", "name", "email")
# The student's name and address fill the project's author answers (pyproject.toml, README).
ANSWER_OF_COLUMN = {"name": "author_name", "email": "author_email"}
HANDLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# What mlpath writes in a class folder besides the students' folders (compared without case).
CLASS_FOLDER_NAMES = ("classroom.toml", "gradebook.csv", "feedback", "_grading")
CLASS_FOLDER_PATTERN = re.compile(r"update-.*\.txt|export-.*\.csv|similarity\..*", re.IGNORECASE)


class RosterError(UserError):
    pass


@dataclass(frozen=True)
class Student:
    handle: str
    name: str
    email: str
    extra: dict[str, str] = field(default_factory=dict)  # the other columns, by header name


def check_handle(handle: str, where: str) -> str:
    if not HANDLE.fullmatch(handle) or handle.endswith((".", ".lock")) or ".." in handle:
        raise RosterError(
            f"{where}: handle {handle!r} is not a valid folder and git name; expected letters, "
            "digits, '.', '_' and '-', starting with a letter or digit"
        )
    if handle.casefold() in CLASS_FOLDER_NAMES or CLASS_FOLDER_PATTERN.fullmatch(handle):
        raise RosterError(
            f"{where}: handle {handle!r} is a name mlpath writes in the class folder "
            f"({', '.join(CLASS_FOLDER_NAMES)}, update-*.txt, export-*.csv, similarity.*); "
            "choose another handle"
        )
    return handle


def check_cells(cells: dict[str, str], where: str) -> None:
    for column, cell in cells.items():
        bad = next((c for c in cell if unicodedata.category(c) == "Cc"), None)
        if bad is not None:
            raise RosterError(
                f"{where}: column {column!r} holds a control character ({bad!r}); expected "
                "one line of text"
            )
    if not cells["email"]:
        raise RosterError(
            f"{where}: empty email; expected the student's address (it is the author of their "
            "project and commits)"
        )


def read_text(path: Path, option: str = "--roster") -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RosterError(f"{option} {path}: no such file") from None
    except OSError as err:
        raise RosterError(f"{option} {path}: cannot be read ({err.strerror})") from None
    if raw.startswith(UTF16_BOMS):
        raise RosterError(f"{option} {path}: UTF-16 text; save it as CSV UTF-8")
    try:
        return raw.decode("utf-8-sig")  # a UTF-8 BOM (Excel's "CSV UTF-8") is dropped
    except UnicodeDecodeError as err:
        raise RosterError(
            f"{option} {path}: not UTF-8 (byte {err.start}); save it as CSV UTF-8"
        ) from None


def parse_roster(path: Path) -> list[Student]:
    """The students in file order, each with the roster's other columns (empty cells left out)."""
    text = read_text(path)
    if not text.strip():
        raise RosterError(f"--roster {path}: empty; expected a header row: handle,name,email")
    rows = list(csv.reader(io.StringIO(text)))
    header = [column.strip().lower() for column in rows[0]]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise RosterError(
            f"--roster {path}: no {', '.join(missing)} column; the header row must name "
            f"handle, name and email (it has: {', '.join(rows[0]) or 'nothing'})"
        )
    repeated = sorted({column for column in header if header.count(column) > 1})
    if repeated:
        raise RosterError(f"--roster {path}: column {repeated[0]!r} appears twice in the header")
    extra = [column for column in header if column not in REQUIRED_COLUMNS]
    students: list[Student] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines, common at the end of a file
        where = f"--roster {path}, row {number}"
        if len(row) != len(header):
            raise RosterError(f"{where}: {len(row)} fields; the header has {len(header)}")
        cells = dict(zip(header, (cell.strip() for cell in row), strict=True))
        handle = check_handle(cells["handle"], where)
        check_cells(cells, where)
        if handle.casefold() in seen:
            raise RosterError(
                f"{where}: handle {handle!r} is already on row {seen[handle.casefold()]} "
                "(handles are compared without case)"
            )
        seen[handle.casefold()] = number
        others = {column: cells[column] for column in extra if cells[column]}
        students.append(Student(handle, cells["name"], cells["email"], others))
    if not students:
        raise RosterError(f"--roster {path}: a header row but no students")
    return students


def extra_columns(students: list[Student]) -> list[str]:
    return sorted({column for student in students for column in student.extra})


def student_answers(student: Student, questions: set[str]) -> dict[str, str]:
    """The answers this student's row gives: author name and e-mail, and the extra columns
    named like one of the template's questions (the others are the instructor's own notes)."""
    data = {ANSWER_OF_COLUMN["name"]: student.name, ANSWER_OF_COLUMN["email"]: student.email}
    data = {key: value for key, value in data.items() if value}
    return {**data, **{k: v for k, v in student.extra.items() if k in questions}}
