"""Points per exercise, with partial credit per test.

A suite may carry `points.toml` beside its tests:

    [points]
    mrr = 4
    ndcg = 6

    [hidden]                     # optional
    tests = ["test_random_rankings"]
    share = 0.5

Each exercise's points are shared equally by its tests, so a student who passes 5 of an
exercise's 7 tests earns 5/7 of its points. Without the file every test is worth one point (the
score is then the share of tests passed). The gradebook shows the points earned and possible,
the feedback shows them per exercise.

`[hidden]` names tests (by function name; every parametrized case of it) whose failures the
feedback does not describe: the student reads how many hidden tests fail, not which cases or
what was expected, so they cannot fit their code to the grader's inputs. `share` is the part of
each exercise's points its hidden tests carry (the visible ones share the rest); an exercise with
tests of one kind only gives them all its points.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from .grading import Grade, TestResult

POINTS_FILE = "points.toml"


class PointsError(UserError):
    pass


@dataclass(frozen=True)
class Worth:
    """What the suite's tests are worth: points per exercise (None: a point a test), and which
    tests are hidden with the share of an exercise's points they carry."""

    points: dict[str, float] | None = None
    hidden: frozenset[str] = field(default_factory=frozenset)
    hidden_share: float = 0.0

    def is_hidden(self, result: TestResult) -> bool:
        name = result.nodeid.split("::")[-1]
        return name.split("[", 1)[0] in self.hidden


def read_points(suite: Path, exercises: list[str]) -> Worth:
    """What the suite's points.toml says; a point a test, nothing hidden, without one."""
    path = suite / POINTS_FILE
    if not path.is_file():
        return Worth()
    try:
        loaded = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise PointsError(f"{path}: not valid TOML ({err})") from None
    table = loaded.get("points")
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
    hidden, share = read_hidden(path, loaded.get("hidden"))
    return Worth({name: float(value) for name, value in table.items()}, hidden, share)


def read_hidden(path: Path, table: Any) -> tuple[frozenset[str], float]:
    if table is None:
        return frozenset(), 0.0
    tests, share = (table.get("tests"), table.get("share")) if isinstance(table, dict) else (0, 0)
    if not isinstance(tests, list) or not all(isinstance(t, str) and t for t in tests):
        raise PointsError(f'{path}: [hidden] tests: expected a list of test names, ["test_x"]')
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
        raise PointsError(f"{path}: [hidden] share = {share!r}; expected a number between 0 and 1")
    return frozenset(tests), float(share)


def exercise_score(grade: Grade, exercise: str, worth: Worth) -> tuple[float, float]:
    """(earned, possible) for one exercise: its points shared by its tests, the hidden ones
    carrying their share and the visible ones the rest, equally within each kind."""
    mine = [r for r in grade.results if r.exercise == exercise]
    possible = worth.points[exercise] if worth.points is not None else float(len(mine))
    hidden = [r for r in mine if worth.is_hidden(r)]
    visible = [r for r in mine if not worth.is_hidden(r)]
    if not hidden or not visible:
        kinds = [(mine, 1.0)] if mine else []
    else:
        kinds = [(hidden, worth.hidden_share), (visible, 1.0 - worth.hidden_share)]
    earned = sum(
        possible * share * sum(r.passed for r in tests) / len(tests) for tests, share in kinds
    )
    return earned, possible


def total_score(grade: Grade, exercises: list[str], worth: Worth) -> tuple[float, float]:
    scores = [exercise_score(grade, name, worth) for name in exercises]
    return sum(e for e, _ in scores), sum(p for _, p in scores)
