"""`mlpath classroom grade`: honest, broken, hanging and hostile students in one class.

Every run is recorded, none stops the others, the students' repositories and `_grading/` are
only read, and grading the same commits twice writes the same gradebook.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.cli import app
from tests.conftest import git
from tests.generator.test_classroom_support import (
    classroom_env,  # noqa: F401  (fixture)
    commit,
    solve,
    write_roster,
)

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("classroom_env")

PREAMBLE = {
    "syntax": "def add(a, b) -> int\n",
    "exits": "import sys\nsys.exit(3)\n",
    "hardexit": "import os\nos._exit(0)\n",
    # The suite is read-only in the sandbox: deleting it fails and the student is graded as usual.
    "tamper": (
        "import shutil\nfor where in ('../grading', '/grading'):\n"
        "    shutil.rmtree(where, ignore_errors=True)\n"
    ),
    # Blocks SIGALRM, so the limit per test cannot stop it: the limit on the whole run does.
    "stubborn": "import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n",
    "deleter": (
        "import os, shutil\nshutil.rmtree(os.path.expanduser('~'), ignore_errors=True)\n"
        "shutil.rmtree('src', ignore_errors=True)\n"
    ),
}
LOOP = "def add(a: int, b: int) -> int:\n    while True:\n        pass\n"
# Hangs on negative numbers only: one test times out, the student's other tests still run.
LOOP_ON_NEGATIVE = (
    "def add(a: int, b: int) -> int:\n    while a < 0:\n        pass\n    return a + b\n"
)
NOISE = "def add(a: int, b: int) -> int:\n    while True:\n        print('x' * 10000)\n"
STUDENTS = ["solved", "partial", "untouched", "syntax", "exits", "hardexit", "loops", "stubborn",
            "noisy", "tamper", "deleter"]  # fmt: skip
LOOPS = {"loops": LOOP_ON_NEGATIVE, "stubborn": LOOP, "noisy": NOISE}
GRADE = ["--timeout", "25", "--test-timeout", "8", "--jobs", "2"]


def script_students(out: Path) -> None:
    """What each student commits (the untouched one solves it without committing)."""
    for handle in STUDENTS:
        project = out / handle
        calc = next(project.glob("src/*/calc.py"))
        if handle == "untouched":
            solve(project)  # in the working tree only: not graded
            continue
        solve(project, mul=handle != "partial")
        text = calc.read_text()
        if handle in PREAMBLE:
            text = text.replace('"""Two small functions a student writes."""\n', PREAMBLE[handle])
        if handle in LOOPS:
            text = text + "\n\n" + LOOPS[handle]
        calc.write_text(text)
        commit(project, f"{handle}'s work")


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".venv" not in p.parts):
        if "env" in path.relative_to(folder).parts[:1]:
            continue
        h.update(str(path).encode() + path.read_bytes())
    return h.hexdigest()


def test_grade_records_every_kind_of_student_and_is_repeatable(tmp_path: Path) -> None:
    roster_csv = write_roster(tmp_path / "roster.csv", STUDENTS)
    out = tmp_path / "class"
    made = runner.invoke(
        app,
        ["classroom", "new", "rag-eval", "--roster", str(roster_csv), "--out", str(out),
         "--exercises", "--jobs", "2"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    script_students(out)
    heads = {h: git(out / h, "rev-parse", "HEAD").strip() for h in STUDENTS}
    statuses = {h: git(out / h, "status", "--porcelain") for h in STUDENTS}
    grading_before = digest(out / "_grading" / "tests") + digest(out / "_grading" / "reference")

    first = runner.invoke(app, ["classroom", "grade", str(out), *GRADE])

    assert first.exit_code == 0, first.output
    assert "has no probe/ folder" in first.output  # this suite is not split: the CLI says so
    book = (out / "gradebook.csv").read_text()
    rows = {row["handle"]: row for row in csv.DictReader(book.splitlines())}
    assert list(rows) == STUDENTS  # roster order
    assert list(rows["solved"]) == [
        "handle", "add", "mul", "tests_passed", "tests_total", "errors", "timed_out", "problem",
        "commit", "points", "points_possible", "days_late", "raw_score", "final_score",
    ]  # fmt: skip
    summary = {
        h: (r["add"], r["mul"], r["tests_passed"], r["tests_total"]) for h, r in rows.items()
    }
    assert summary == {
        "solved": ("pass", "pass", "4", "4"),
        "partial": ("pass", "fail", "2", "4"),
        "untouched": ("fail", "fail", "0", "4"),
        "syntax": ("fail", "fail", "0", "4"),
        "exits": ("fail", "fail", "0", "4"),
        "hardexit": ("fail", "fail", "0", "4"),
        # A test that hangs fails as timed out and the others run; a run that hangs past the
        # limit per test, or floods, is stopped: the tests after that point did not run.
        "loops": ("fail", "pass", "3", "4"),
        "stubborn": ("fail", "fail", "0", "4"),
        "noisy": ("fail", "fail", "0", "4"),
        "tamper": ("pass", "pass", "4", "4"),
        "deleter": ("pass", "pass", "4", "4"),
    }
    assert rows["syntax"]["errors"] == "4"  # the import fails in each test's setup
    assert "ended early (exit code 0)" in rows["hardexit"]["problem"]
    assert rows["loops"]["timed_out"] == "test_add.py::test_negative"
    assert rows["loops"]["problem"] == ""
    others = {h: r["timed_out"] for h, r in rows.items() if h != "loops"}
    assert others == dict.fromkeys(others, "")
    assert "stopped after 25 s" in rows["stubborn"]["problem"]
    assert "printed more than 10 MB" in rows["noisy"]["problem"]
    assert rows["tamper"]["problem"] == ""
    assert all(rows[h]["commit"] == heads[h] for h in STUDENTS)

    feedback = {h: (out / "feedback" / f"{h}.md").read_text() for h in STUDENTS}
    assert "not implemented yet" in feedback["partial"] and "mul(2, 3) is 6." in feedback["partial"]
    assert "## add: done (2 of 2 tests pass, 2.00 of 2 points)" in feedback["partial"]
    assert "could not be imported" in feedback["syntax"]
    assert "sys.exit()" in feedback["exits"]
    assert "did not run" in feedback["hardexit"]
    assert "## add: not yet (1 of 2 tests pass, 1.00 of 2 points)" in feedback["loops"]
    assert "took longer than the time limit per test" in feedback["loops"]
    assert "## mul: done (2 of 2 tests pass, 2.00 of 2 points)" in feedback["loops"]
    assert "endless loop" in feedback["stubborn"]

    # Nothing of the students' or of _grading/ changed, and HOME survived the deleter.
    assert {h: git(out / h, "rev-parse", "HEAD").strip() for h in STUDENTS} == heads
    assert {h: git(out / h, "status", "--porcelain") for h in STUDENTS} == statuses
    assert digest(out / "_grading" / "tests") + digest(out / "_grading" / "reference") == (
        grading_before
    )
    assert Path.home().is_dir()

    second = runner.invoke(app, ["classroom", "grade", str(out), *GRADE])
    assert second.exit_code == 0, second.output
    assert (out / "gradebook.csv").read_text() == book  # same commits, same gradebook


def test_a_class_without_exercises_has_nothing_to_grade(tmp_path: Path) -> None:
    roster_csv = write_roster(tmp_path / "roster.csv", ["ada"])
    out = tmp_path / "class"
    made = runner.invoke(
        app, ["classroom", "new", "rag-eval", "--roster", str(roster_csv), "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    result = runner.invoke(app, ["classroom", "grade", str(out)])
    assert result.exit_code == 2
    assert "not an exercise-mode class" in result.output
