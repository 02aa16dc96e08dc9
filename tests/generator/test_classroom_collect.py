"""`mlpath classroom collect`: the submitted commit is what mlpath saw on the remote and when;
a back-dated commit pushed after the deadline is late; grade grades the collected commit; the
late policy shows in the gradebook (raw and final), the feedback and the export."""

from __future__ import annotations

import csv
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.classroom import collect
from mlpath.cli import app
from tests.conftest import git
from tests.generator.test_classroom_support import (
    bare_remotes,
    classroom_env,  # noqa: F401  (fixture)
    new_class,
    solve,
)

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("classroom_env")
HANDLES = ["ada", "bob", "cy"]
DEADLINE = "2099-01-15T23:59+01:00"  # in the future for the first collect


def laptop(tmp_path: Path, handle: str) -> Path:
    path = tmp_path / f"{handle}-laptop"
    if not path.exists():
        git(tmp_path, "clone", "-q", str(tmp_path / "remotes" / f"{handle}.git"), str(path))
    return path


def push(path: Path, message: str, env: dict[str, str] | None = None) -> str:
    git(path, "add", "-A")
    if env:
        os.environ.update(env)
    try:
        git(path, "commit", "-qm", message)
    finally:
        for key in env or {}:
            os.environ.pop(key)
    git(path, "push", "-q", "origin", "main")
    return git(path, "rev-parse", "HEAD").strip()


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    return {row["handle"]: row for row in csv.DictReader((out / "gradebook.csv").open())}


def test_collect_records_submissions_lateness_and_grade_uses_them(tmp_path: Path) -> None:
    out = new_class(tmp_path, HANDLES, "--remote", bare_remotes(tmp_path / "remotes", HANDLES))
    ada = laptop(tmp_path, "ada")
    solve(ada)
    on_time = push(ada, "ada's solution")
    bob = laptop(tmp_path, "bob")
    solve(bob, mul=False)
    push(bob, "bob's first half")

    first = runner.invoke(
        app,
        ["classroom", "collect", str(out), "--deadline", DEADLINE, "--late-penalty", "10",
         "--late-cap", "25"],
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    assert "3 on time" in first.output
    assert git(out / "ada", "rev-parse", collect.SUBMITTED_REF).strip() == on_time

    # After the deadline: bob back-dates a finished solution to before it; cy never pushes.
    solve(bob)
    old_date = dict.fromkeys(("GIT_COMMITTER_DATE", "GIT_AUTHOR_DATE"), "2099-01-10T12:00:00+01:00")
    late = push(bob, "bob's second half (back-dated)", old_date)
    assert git(bob, "log", "-1", "--format=%cI").startswith("2099-01-10")  # before the deadline
    deadline = collect.parse_deadline(DEADLINE)
    rows = collect.collect_class(out, DEADLINE, 10, 25, now=deadline + timedelta(days=2, hours=3))
    results = {row.handle: row.result for row in rows}
    assert results == {"ada": "unchanged", "bob": "late", "cy": "unchanged"}
    assert git(out / "bob", "rev-parse", collect.SUBMITTED_REF).strip() == late

    (ada / "late_change.txt").write_text("after the deadline, never collected\n")
    push(ada, "ada changes something after the deadline")
    graded = runner.invoke(app, ["classroom", "grade", str(out), "--fetch", "--jobs", "1"])
    assert graded.exit_code == 0, graded.output
    book = gradebook(out)
    assert book["ada"]["commit"] == on_time  # the collected commit, not main after --fetch
    assert book["bob"]["commit"] == late
    assert (book["bob"]["days_late"], book["bob"]["raw_score"]) == ("3", "100.00")
    assert book["bob"]["final_score"] == "75.00"  # 3 days x 10% = 30%, capped at 25%
    assert (book["ada"]["days_late"], book["ada"]["final_score"]) == ("0", "100.00")
    feedback = (out / "feedback" / "bob.md").read_text()
    assert "3 day(s) late: score 100.00, after the late penalty 75.00" in feedback
    exported = runner.invoke(app, ["classroom", "export", str(out), "--points", "10"])
    assert exported.exit_code == 0, exported.output
    plain = {r["handle"]: r for r in csv.DictReader((out / "export-csv.csv").open())}
    assert plain["bob"]["score"] == "7.50"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deadline", "next friday"], "expected an ISO date and time with its timezone"),
        (["--deadline", "2027-01-15T23:59"], "no timezone"),
        (["--deadline", DEADLINE, "--late-penalty", "150"], "--late-penalty 150: expected"),
        (["--deadline", DEADLINE, "--late-cap", "-1"], "--late-cap -1: expected a percent"),
    ],
)
def test_bad_collect_input_is_one_line_and_changes_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = new_class(tmp_path, ["ada"])
    before = (out / "classroom.toml").read_bytes()
    result = runner.invoke(app, ["classroom", "collect", str(out), *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert (out / "classroom.toml").read_bytes() == before


def test_the_deadline_is_not_the_commit_date() -> None:
    policy = collect.LatePolicy(penalty_per_day=10, cap=100)
    assert policy.final(80.0, 0) == 80.0
    assert policy.final(80.0, 1) == 72.0  # one second late is one started day
    assert policy.final(80.0, 86_400 * 20) == 0.0
    assert datetime.fromisoformat("2027-01-15T23:59+01:00").utcoffset() == timedelta(hours=1)
