"""`mlpath classroom similarity`: a copy with renamed variables and a copy with its functions
reordered are caught; independent solutions of the same exercise are not flagged; the hand-out's
own code never counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.cli import app
from tests.generator.test_classroom_support import (
    classroom_env,  # noqa: F401  (fixture)
    commit,
    new_class,
)

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("classroom_env")

ORIGINAL = '''"""Two small functions a student writes."""


def add(a: int, b: int) -> int:
    """a + b."""
    total = a
    steps = abs(b)
    direction = 1 if b >= 0 else -1
    for _ in range(steps):
        total = total + direction
    return total


def mul(a: int, b: int) -> int:
    """a * b."""
    product = 0
    negative = (a < 0) != (b < 0)
    for _ in range(abs(b)):
        product = add(product, abs(a))
    return -product if negative else product
'''
RENAMED = (
    ORIGINAL.replace("total", "acc")
    .replace("steps", "n_times")
    .replace("direction", "sign")
    .replace("product", "result")
    .replace("negative", "flip")
)
_HEAD, _ADD, _MUL = ORIGINAL.split("\n\n\ndef ")
REORDERED = f"{_HEAD}\n\n\ndef {_MUL.rstrip()}\n\n\ndef {_ADD}"
HONEST_ONE = '''"""Two small functions a student writes."""


def add(a: int, b: int) -> int:
    """a + b."""
    return sum((a, b))


def mul(a: int, b: int) -> int:
    """a * b."""
    import operator

    return operator.mul(a, b)
'''
HONEST_TWO = '''"""Two small functions a student writes."""


def add(a: int, b: int) -> int:
    """a + b."""
    values = [a, b]
    while len(values) > 1:
        values = [values[0] + values[1]]
    return values[0]


def mul(a: int, b: int) -> int:
    """a * b."""
    if b == 0 or a == 0:
        return 0
    half = mul(a, b // 2) if abs(b) > 1 else 0
    return half + half + (a if b % 2 else 0) if b > 0 else -mul(a, -b)
'''
SOLUTIONS = {
    "orig": ORIGINAL,
    "renamer": RENAMED,
    "reorderer": REORDERED,
    "honest1": HONEST_ONE,
    "honest2": HONEST_TWO,
}


def make_class(tmp_path: Path, exercises: bool = True) -> Path:
    return new_class(tmp_path, [*SOLUTIONS, "untouched"], exercises=exercises)


def test_copies_are_caught_and_honest_work_is_not(tmp_path: Path) -> None:
    out = make_class(tmp_path)
    for handle, code in SOLUTIONS.items():
        next((out / handle).glob("src/*/calc.py")).write_text(code)
        commit(out / handle, f"{handle}'s solution")

    result = runner.invoke(app, ["classroom", "similarity", str(out)])

    assert result.exit_code == 0, result.output
    assert "3 pair(s) at or above 50%" in result.output
    report = (out / "similarity.md").read_text()
    flagged = {line.split("|")[1].strip() for line in report.splitlines() if "% |" in line}
    assert flagged == {"orig / renamer", "orig / reorderer", "renamer / reorderer"}
    assert "honest" not in report and "untouched" not in report  # the hand-out is not a match
    # The matching lines side by side, each student's own text.
    assert "total = total + direction" in report and "acc = acc + sign" in report

    html = runner.invoke(app, ["classroom", "similarity", str(out), "--format", "html"])
    assert html.exit_code == 0, html.output
    assert "<h2>orig / renamer: 100%</h2>" in (out / "similarity.html").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threshold", "0"], "--threshold 0: expected a share above 0, at most 1"),
        (["--threshold", "1.5"], "--threshold 1.5: expected a share above 0, at most 1"),
        (["--format", "pdf"], "--format 'pdf': expected md or html"),
    ],
)
def test_bad_options_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    out = make_class(tmp_path)
    result = runner.invoke(app, ["classroom", "similarity", str(out), *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not list(out.glob("similarity.*"))


def test_a_class_without_exercises_is_refused(tmp_path: Path) -> None:
    out = make_class(tmp_path, exercises=False)
    result = runner.invoke(app, ["classroom", "similarity", str(out)])
    assert result.exit_code == 2 and "not an exercise-mode class" in result.output
