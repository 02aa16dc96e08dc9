"""Points per exercise with partial credit per test: points.toml beside a suite; the gradebook and
the feedback show them; a broken points file stops `grade` before any student runs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.classroom import points, suites
from mlpath.classroom.grading import Grade
from mlpath.classroom.grading import TestResult as Result
from mlpath.cli import app
from tests.generator.test_classroom_support import (
    classroom_env,  # noqa: F401  (fixture)
    commit,
    new_class,
    solve,
)

runner = CliRunner()


def grade_of(outcomes: dict[str, list[bool]]) -> Grade:
    results = tuple(
        Result(f"test_{name}.py::test_{i}", name, "passed" if ok else "failed")
        for name, oks in outcomes.items()
        for i, ok in enumerate(oks)
    )
    return Grade("ada", "0" * 40, results)


def test_partial_credit_is_shared_by_the_exercise_tests() -> None:
    grade = grade_of({"mrr": [True, True, False], "ndcg": [True, False]})
    worth = points.Worth({"mrr": 3.0, "ndcg": 6.0})
    assert points.exercise_score(grade, "mrr", worth) == (2.0, 3.0)
    assert points.exercise_score(grade, "ndcg", worth) == (3.0, 6.0)
    assert points.total_score(grade, ["mrr", "ndcg"], worth) == (5.0, 9.0)
    assert points.total_score(grade, ["mrr", "ndcg"], points.Worth()) == (3.0, 5.0)  # 1 a test


def test_hidden_tests_carry_their_share_and_visible_ones_the_rest() -> None:
    # mrr: test_0 and test_1 visible (one passes), test_2 hidden (fails); ndcg: all visible.
    grade = grade_of({"mrr": [True, False, False], "ndcg": [True, False]})
    worth = points.Worth({"mrr": 10.0, "ndcg": 4.0}, frozenset({"test_2"}), 0.4)
    assert points.exercise_score(grade, "mrr", worth) == pytest.approx((3.0, 10.0))  # 6 * 1/2
    assert points.exercise_score(grade, "ndcg", worth) == (2.0, 4.0)  # no hidden test: all visible
    passing_hidden = grade_of({"mrr": [False, False, True]})
    assert points.exercise_score(passing_hidden, "mrr", worth) == pytest.approx((4.0, 10.0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[points]\nmrr = 4\n", "none for ndcg"),
        ("[points]\nmrr = 4\nndcg = 6\nbleu = 1\n", "points for bleu"),
        ("[points]\nmrr = 0\nndcg = 6\n", "mrr = 0; expected a number above 0"),
        ("[points]\nmrr = true\nndcg = 6\n", "mrr = True; expected a number above 0"),
        ("mrr = 4\n", "expected a [points] table"),
        ("[points\n", "not valid TOML"),
        ("[points]\nmrr = 4\nndcg = 6\n[hidden]\ntests = 'x'\nshare = 0.5\n", "list of test names"),
        ("[points]\nmrr = 4\nndcg = 6\n[hidden]\ntests = ['x']\nshare = 1\n", "between 0 and 1"),
    ],
)
def test_a_bad_points_file_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / points.POINTS_FILE).write_text(text)
    with pytest.raises(points.PointsError, match=message.replace("[", r"\[")):
        points.read_points(tmp_path, ["mrr", "ndcg"])


@pytest.mark.parametrize(
    "template", ["serving-api", "feature-pipeline", "lora-finetune", "rag-eval"]
)
def test_every_shipped_suite_has_valid_points(template: str) -> None:
    suite = suites.suite_for(template)
    worth = points.read_points(suite, suites.exercises_of(suite))
    assert worth.points is not None and set(worth.points) == set(suites.exercises_of(suite))
    names = {path.read_text() for path in suite.glob("test_*.py")}
    assert all(any(f"def {test}(" in text for text in names) for test in worth.hidden)


@pytest.mark.usefixtures("classroom_env")
def test_the_gradebook_and_feedback_show_points(tmp_path: Path) -> None:
    out = new_class(tmp_path, ["ada"])
    solve(out / "ada", mul=False)
    commit(out / "ada", "add only")
    suite = out / "_grading" / "tests"
    (suite / points.POINTS_FILE).write_text("[points]\nadd = 3\nmul = 1\n")

    graded = runner.invoke(app, ["classroom", "grade", str(out), "--jobs", "1"])

    assert graded.exit_code == 0, graded.output
    row = next(csv.DictReader((out / "gradebook.csv").open()))
    assert (row["points"], row["points_possible"], row["raw_score"]) == ("3.00", "4", "75.00")
    feedback = (out / "feedback" / "ada.md").read_text()
    assert "Points: 3.00 of 4" in feedback
    assert "## mul: not yet (0 of 2 tests pass, 0.00 of 1 points)" in feedback

    hide = "[points]\nadd = 3\nmul = 1\n[hidden]\ntests = ['test_zero']\nshare = 0.5\n"
    (suite / points.POINTS_FILE).write_text(hide)
    assert runner.invoke(app, ["classroom", "grade", str(out), "--jobs", "1"]).exit_code == 0
    feedback = (out / "feedback" / "ada.md").read_text()
    assert "mul by zero" not in feedback and "1 hidden test(s) fail" in feedback
    assert "mul(7, 3)" in feedback or "not implemented yet" in feedback  # the visible one

    (suite / points.POINTS_FILE).write_text("[points]\nadd = 3\n")
    before = (out / "gradebook.csv").read_bytes()
    refused = runner.invoke(app, ["classroom", "grade", str(out), "--jobs", "1"])
    assert refused.exit_code == 2 and "none for mul" in refused.output, refused.output
    assert (out / "gradebook.csv").read_bytes() == before
