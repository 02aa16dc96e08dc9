"""`mlpath classroom export`: the gradebook in the column layouts Canvas and Moodle import.

The class folder is written by the classroom's own writers (manifest.save, write_gradebook), so
the export reads exactly what `classroom grade` leaves."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.classroom import gradebook, manifest
from mlpath.classroom.grading import Grade
from mlpath.classroom.grading import TestResult as Result
from mlpath.cli import app

runner = CliRunner()
# Canvas's gradebook CSV (as Canvas exports it and its import reads it): these five identity
# columns first, then one column per assignment headed "Name (assignment id)".
CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def results(passed: int, total: int) -> tuple[Result, ...]:
    return tuple(
        Result(f"test_x.py::test_{i}", "add", "passed" if i < passed else "failed")
        for i in range(total)
    )


@pytest.fixture
def graded_class(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    students = tuple(
        manifest.StudentRecord(handle, f"Student {handle}", f"{handle}@school.example", handle)
        for handle in ("ada", "bob", "cyd")
    )
    room = manifest.Classroom("rag-eval", "src", "v0.3.0", True, students=students)
    manifest.save(folder, room)
    grades = [
        Grade("ada", "a" * 40, results(4, 4)),
        Grade("bob", "b" * 40, results(1, 3), problem="the run was stopped after 25 s"),
        Grade("cyd", "c" * 40, ()),
    ]
    gradebook.write_gradebook(folder, ["add"], grades)
    return folder


def read(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open(encoding="utf-8")))


def write_ids(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_canvas_layout_scores_and_ids(graded_class: Path, tmp_path: Path) -> None:
    ids = write_ids(
        tmp_path / "ids.csv",
        "handle,canvas_id,sis_user_id,sis_login_id,section\n"
        "ada,101,S-1,ada@uni,Lab A\nbob,,S-2,,Lab B\ncyd,103,,,\n",
    )
    result = runner.invoke(
        app,
        ["classroom", "export", str(graded_class), "--format", "canvas", "--ids", str(ids),
         "--assignment", "RAG lab", "--assignment-id", "4711", "--points", "10"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = read(graded_class / "export-canvas.csv")
    assert rows[0] == [*CANVAS_IDENTITY, "RAG lab (4711)"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5] == "10"
    assert rows[2:] == [
        ["Student ada", "101", "S-1", "ada@uni", "Lab A", "10.00"],
        ["Student bob", "", "S-2", "", "Lab B", "3.33"],
        ["Student cyd", "103", "", "", "", "0.00"],  # no tests ran: no credit
    ]
    assert "wrote 3 students" in result.output


def test_canvas_students_without_an_id_and_unknown_handles_are_one_line_each(
    graded_class: Path, tmp_path: Path
) -> None:
    ids = write_ids(tmp_path / "ids.csv", "handle,sis_user_id\nada,S-1\nzed,S-9\n")
    out = tmp_path / "canvas.csv"
    result = runner.invoke(
        app,
        ["classroom", "export", str(graded_class), "--format", "canvas", "--ids", str(ids),
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("export:")]
    assert len(lines) == 3
    assert any("'zed' is not a student of this class" in line for line in lines)
    assert any(line.startswith("export: bob: no Canvas id") for line in lines)
    assert any(line.startswith("export: cyd: no Canvas id") for line in lines)
    assert [row[0] for row in read(out)[2:]] == ["Student ada"]  # the others still exported


def test_moodle_layout_with_feedback(graded_class: Path, tmp_path: Path) -> None:
    ids = write_ids(tmp_path / "ids.csv", "handle,idnumber\nada,2024001\n")
    result = runner.invoke(
        app, ["classroom", "export", str(graded_class), "--format", "moodle", "--ids", str(ids)]
    )
    assert result.exit_code == 0, result.output
    rows = read(graded_class / "export-moodle.csv")
    # Moodle's grade import maps one identity column (email or ID number) to its users.
    assert rows[0] == ["Full name", "Email address", "ID number", "rag-eval", "Feedback"]
    assert rows[1] == [
        "Student ada",
        "ada@school.example",
        "2024001",
        "100.00",
        "4 of 4 tests pass",
    ]
    assert rows[2][3] == "33.33" and "stopped after 25 s" in rows[2][4]


def test_plain_csv_has_every_figure(graded_class: Path) -> None:
    result = runner.invoke(app, ["classroom", "export", str(graded_class)])
    assert result.exit_code == 0, result.output
    rows = read(graded_class / "export-csv.csv")
    assert rows[0][:4] == ["handle", "name", "email", "score"]
    assert rows[2] == [
        "bob", "Student bob", "bob@school.example", "33.33", "100", "1", "3",
        "the run was stopped after 25 s",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "blackboard"], "--format 'blackboard': expected one of canvas, moodle, csv"),
        (["--points", "0"], "--points 0: expected a number above 0"),
        (["--ids", "missing.csv"], "--ids missing.csv: no such file"),
        (["--assignment", "a\nb"], "expected one line of text"),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(
    graded_class: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(graded_class.parent)
    result = runner.invoke(app, ["classroom", "export", str(graded_class), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not list(graded_class.glob("export-*"))


def test_an_ungraded_class_and_a_folder_that_is_no_class(
    graded_class: Path, tmp_path: Path
) -> None:
    (graded_class / gradebook.GRADEBOOK_FILE).unlink()
    result = runner.invoke(app, ["classroom", "export", str(graded_class)])
    assert result.exit_code == 2 and "run `mlpath classroom grade" in result.output
    result = runner.invoke(app, ["classroom", "export", str(tmp_path)])
    assert result.exit_code == 2 and "not a classroom" in result.output
