"""Points per exercise, with partial credit per test.

A suite may carry `points.toml` beside its tests:

    [points]
    mrr = 4
    ndcg = 6

Each exercise's points are shared equally by its tests, so a student who passes 5 of an
exercise's 7 tests earns 5/7 of its points. Without the file every test is worth one point (the
score is then the share of tests passed). The gradebook shows the points earned and possible,
the feedback shows them per exercise.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from ..errors import UserError
from .grading import Grade

POINTS_FILE = "points.toml"


class PointsError(UserError):
    pass


def read_points(suite: Path, exercises: list[str]) -> dict[str, float] | None:
    """The points per exercise from the suite's points.toml, or None when it has none."""
    path = suite / POINTS_FILE
    if not path.is_file():
        return None
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("points")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise PointsError(f"{path}: not valid TOML ({err})") from None
    if not isinstance(table, dict):
        raise PointsError(f"{path}: expected a [points] table, exercise = points")
    unknown = sorted(set(table) - set(exercises))
    missing = sorted(set(exercises) - set(table))
    if unknown or missing:
        raise PointsError(
            f"{path}: points for {', '.join(unknown) or 'no unknown exercise'}, none for "
            f"{', '.join(missing) or 'no missing one'}; expected one line per exercise of the "
            f"suite ({', '.join(exercises)})"
        )
    bad = [name for name, value in table.items() if isinstance(value, bool)
           or not isinstance(value, int | float) or value <= 0]  # fmt: skip
    if bad:
        raise PointsError(f"{path}: {bad[0]} = {table[bad[0]]!r}; expected a number above 0")
    return {name: float(value) for name, value in table.items()}


def exercise_score(
    grade: Grade, exercise: str, points: dict[str, float] | None
) -> tuple[float, float]:
    """(earned, possible) for one exercise: its points shared equally by its tests."""
    mine = [r for r in grade.results if r.exercise == exercise]
    possible = points[exercise] if points is not None else float(len(mine))
    if not mine:
        return 0.0, possible
    return possible * sum(r.passed for r in mine) / len(mine), possible


def total_score(
    grade: Grade, exercises: list[str], points: dict[str, float] | None
) -> tuple[float, float]:
    scores = [exercise_score(grade, name, points) for name in exercises]
    return sum(e for e, _ in scores), sum(p for _, p in scores)
