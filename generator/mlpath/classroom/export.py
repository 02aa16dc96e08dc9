"""`mlpath classroom export`: the gradebook as a file an LMS imports.

The score is the share of the hidden suite's tests that passed, after the class's late policy
(the gradebook's final_score), scaled to the assignment's points (`--points`, 100 by default),
two decimals. Formats:

- canvas: Canvas's gradebook CSV. Columns `Student`, `ID`, `SIS User ID`, `SIS Login ID`,
  `Section`, then the assignment (`Name (assignment id)` when `--assignment-id` is given, as
  Canvas exports it, so the import updates that assignment instead of creating one), and a
  `Points Possible` row first, as in Canvas's own export. Canvas matches a row on ID, SIS User
  ID or SIS Login ID: every student needs at least one, from the `--ids` CSV.
- moodle: Moodle's grade import CSV: `Full name`, `Email address`, `ID number`, the grade item,
  and a `Feedback` column (the import maps "Email address" or "ID number" to the user).
- csv: every figure, for a spreadsheet: handle, name, email, score, points possible, tests passed,
  tests total, problem.

`--ids` maps roster handles to LMS ids: a CSV with a `handle` column and any of `canvas_id`,
`sis_user_id`, `sis_login_id`, `section`, `idnumber`. A student without an id the format needs,
and a handle in `--ids` that is not in the class, is one line each; students without an id are
left out of the file (it is still written for the others) and the exit status says so.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from . import gradebook, manifest
from .roster import read_text

FORMATS = ("canvas", "moodle", "csv")
ID_COLUMNS = ("canvas_id", "sis_user_id", "sis_login_id", "section", "idnumber")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_IDS = ("canvas_id", "sis_user_id", "sis_login_id")
MOODLE_COLUMNS = ("Full name", "Email address", "ID number")
CSV_COLUMNS = (
    "handle", "name", "email", "score", "points_possible", "tests_passed", "tests_total", "problem",
)  # fmt: skip


class ExportError(UserError):
    pass


@dataclass(frozen=True)
class ExportOptions:
    folder: Path
    format: str
    out: Path | None = None
    ids: Path | None = None
    assignment: str = ""
    assignment_id: str = ""
    points: float = 100.0


@dataclass(frozen=True)
class Row:
    handle: str
    name: str
    email: str
    tests_passed: int
    tests_total: int
    problem: str
    ids: dict[str, str] = field(default_factory=dict)

    final_percent: float | None = None  # after the late policy, when the gradebook has it

    def score(self, points: float) -> str:
        share = self.tests_passed / self.tests_total if self.tests_total else 0.0
        if self.final_percent is not None:
            share = self.final_percent / 100
        return f"{points * share:.2f}"


@dataclass(frozen=True)
class Export:
    path: Path
    written: int
    notes: list[str]  # one line per student left out or unknown


def check_options(opts: ExportOptions) -> None:
    if opts.format not in FORMATS:
        raise ExportError(f"--format {opts.format!r}: expected one of {', '.join(FORMATS)}")
    if not opts.points > 0:
        raise ExportError(f"--points {opts.points:g}: expected a number above 0")
    if any(c in opts.assignment + opts.assignment_id for c in "\r\n"):
        raise ExportError("--assignment and --assignment-id: expected one line of text")


def read_gradebook(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / gradebook.GRADEBOOK_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExportError(
            f"{path}: no gradebook yet; run `mlpath classroom grade {folder}` first"
        ) from None
    rows = list(csv.DictReader(io.StringIO(text)))
    needed = {"handle", "tests_passed", "tests_total", "problem"}
    if not rows or not needed <= set(rows[0]):
        raise ExportError(f"{path}: not a gradebook mlpath wrote (expected {sorted(needed)})")
    return {row["handle"]: row for row in rows}


def read_ids(path: Path, handles: set[str]) -> tuple[dict[str, dict[str, str]], list[str]]:
    """handle -> {id column: value}, and one note per handle the class does not have."""
    rows = list(csv.reader(io.StringIO(read_text(path, option="--ids"))))
    header = [column.strip().lower() for column in rows[0]] if rows else []
    if "handle" not in header or not set(header) & set(ID_COLUMNS):
        raise ExportError(
            f"--ids {path}: expected a header with handle and any of {', '.join(ID_COLUMNS)}"
        )
    ids: dict[str, dict[str, str]] = {}
    notes = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {column: cell.strip() for column, cell in zip(header, row, strict=False)}
        handle = cells.get("handle", "")
        if not handle:
            continue
        if handle not in handles:
            notes.append(f"--ids {path} row {number}: {handle!r} is not a student of this class")
            continue
        ids[handle] = {c: cells[c] for c in ID_COLUMNS if cells.get(c)}
    return ids, notes


def class_rows(opts: ExportOptions) -> tuple[list[Row], list[str]]:
    room = manifest.load(opts.folder)
    graded = read_gradebook(opts.folder)
    handles = {s.handle for s in room.students}
    ids, notes = read_ids(opts.ids, handles) if opts.ids else ({}, [])
    rows = []
    for student in room.students:
        if student.state == manifest.REMOVED:
            continue
        grade = graded.get(student.handle)
        if grade is None:
            notes.append(f"{student.handle}: not in the gradebook (not graded); left out")
            continue
        rows.append(
            Row(
                student.handle,
                student.name,
                student.email,
                int(grade["tests_passed"]),
                int(grade["tests_total"]),
                grade["problem"],
                ids.get(student.handle, {}),
                float(grade["final_score"]) if grade.get("final_score") else None,
            )
        )
    return rows, notes


def assignment_column(opts: ExportOptions, template: str) -> str:
    name = opts.assignment or template
    return f"{name} ({opts.assignment_id})" if opts.assignment_id else name


def canvas(rows: list[Row], opts: ExportOptions, column: str) -> tuple[list[list[str]], list[str]]:
    table = [[*CANVAS_COLUMNS, column], ["    Points Possible", "", "", "", "", f"{opts.points:g}"]]
    notes = []
    for row in rows:
        if not any(row.ids.get(c) for c in CANVAS_IDS):
            notes.append(
                f"{row.handle}: no Canvas id (canvas_id, sis_user_id or sis_login_id in --ids); "
                "left out"
            )
            continue
        table.append(
            [
                row.name,
                row.ids.get("canvas_id", ""),
                row.ids.get("sis_user_id", ""),
                row.ids.get("sis_login_id", ""),
                row.ids.get("section", ""),
                row.score(opts.points),
            ]
        )
    return table, notes


def moodle(rows: list[Row], opts: ExportOptions, column: str) -> tuple[list[list[str]], list[str]]:
    table = [[*MOODLE_COLUMNS, column, "Feedback"]]
    for row in rows:
        feedback = f"{row.tests_passed} of {row.tests_total} tests pass"
        if row.problem:
            feedback += f"; {row.problem}"
        table.append(
            [row.name, row.email, row.ids.get("idnumber", ""), row.score(opts.points), feedback]
        )
    return table, []


def plain(rows: list[Row], opts: ExportOptions, column: str) -> tuple[list[list[str]], list[str]]:
    table = [list(CSV_COLUMNS)]
    for row in rows:
        table.append(
            [
                row.handle,
                row.name,
                row.email,
                row.score(opts.points),
                f"{opts.points:g}",
                str(row.tests_passed),
                str(row.tests_total),
                row.problem,
            ]
        )
    return table, []


WRITERS: dict[str, Callable[[list[Row], ExportOptions, str], tuple[list[list[str]], list[str]]]]
WRITERS = {"canvas": canvas, "moodle": moodle, "csv": plain}


def export(opts: ExportOptions) -> Export:
    check_options(opts)
    room = manifest.load(opts.folder)
    rows, notes = class_rows(opts)
    table, left_out = WRITERS[opts.format](rows, opts, assignment_column(opts, room.template))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(table)
    path = opts.out or opts.folder / f"export-{opts.format}.csv"
    try:
        gradebook.write_atomically(path, buffer.getvalue())
    except OSError as err:
        raise ExportError(f"--out {path}: cannot be written ({err.strerror})") from None
    return Export(path, len(table) - (2 if opts.format == "canvas" else 1), notes + left_out)
