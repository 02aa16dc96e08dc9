"""`mlpath classroom feedback --push`: each student's feedback reaches a `feedback` branch of
their remote; `main` and the working tree are never touched; re-running replaces the file with a
fast-forward (no force-push), and unchanged feedback is not committed twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.classroom import gradebook
from mlpath.classroom.grading import Grade
from mlpath.classroom.grading import TestResult as Result
from mlpath.cli import app
from tests.conftest import git
from tests.generator.test_classroom_support import (
    bare_remotes,
    classroom_env,  # noqa: F401  (fixture)
    new_class,
)

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("classroom_env")
HANDLES = ["ada", "bob"]


def grades(passed: int) -> list[Grade]:
    results = tuple(
        Result(f"test_add.py::test_{i}", "add", "passed" if i < passed else "failed")
        for i in range(2)
    )
    return [Grade(handle, "0" * 40, results) for handle in HANDLES]


def make_class(tmp_path: Path) -> tuple[Path, Path]:
    remotes = tmp_path / "remotes"
    return new_class(tmp_path, HANDLES, "--remote", bare_remotes(remotes, HANDLES)), remotes


def test_feedback_is_pushed_to_a_branch_and_replaced_by_a_fast_forward(tmp_path: Path) -> None:
    out, remotes = make_class(tmp_path)
    mains = {h: git(remotes / f"{h}.git", "rev-parse", "main").strip() for h in HANDLES}
    gradebook.write_feedback(out, ["add"], grades(1))

    before = runner.invoke(app, ["classroom", "status", str(out)])
    assert "feedback pushed for 0" in before.output
    first = runner.invoke(app, ["classroom", "feedback", str(out), "--push"])

    assert first.exit_code == 0, first.output
    assert "2 pushed" in first.output
    remote = remotes / "ada.git"
    shown = git(remote, "show", "feedback:FEEDBACK.md")
    assert shown == (out / "feedback" / "ada.md").read_text()
    assert "Tests passed: 1 of 2" in shown
    assert git(remote, "ls-tree", "--name-only", "feedback").split() == ["FEEDBACK.md"]
    tip = git(remote, "rev-parse", "feedback").strip()
    status = runner.invoke(app, ["classroom", "status", str(out)])
    assert "feedback pushed for 2" in status.output, status.output

    again = runner.invoke(app, ["classroom", "feedback", str(out), "--push"])
    assert again.exit_code == 0 and "2 unchanged" in again.output, again.output
    assert git(remote, "rev-parse", "feedback").strip() == tip

    gradebook.write_feedback(out, ["add"], grades(2))  # regraded: the feedback changes
    third = runner.invoke(app, ["classroom", "feedback", str(out), "--push"])
    assert third.exit_code == 0 and "2 pushed" in third.output, third.output
    assert "Tests passed: 2 of 2" in git(remote, "show", "feedback:FEEDBACK.md")
    assert git(remote, "rev-parse", "feedback~1").strip() == tip  # a fast-forward on top

    for handle in HANDLES:  # main, and each local working tree, untouched
        assert git(remotes / f"{handle}.git", "rev-parse", "main").strip() == mains[handle]
        assert git(out / handle, "status", "--porcelain") == ""
        assert git(out / handle, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_an_unreachable_remote_and_missing_feedback_are_one_row_each(tmp_path: Path) -> None:
    out, remotes = make_class(tmp_path)
    gradebook.write_feedback(out, ["add"], grades(1))
    (out / "feedback" / "bob.md").unlink()
    (remotes / "ada.git").rename(remotes / "gone.git")

    result = runner.invoke(app, ["classroom", "feedback", str(out), "--push"])

    assert result.exit_code == 1
    rows = {
        line.split()[0]: line for line in result.output.splitlines() if line[:3] in {"ada", "bob"}
    }
    assert "failed" in rows["ada"] and "does not appear to be a git repository" in rows["ada"]
    assert "skipped" in rows["bob"] and "no feedback yet" in rows["bob"]
    assert "Traceback" not in result.output


def test_without_push_the_branch_is_only_local(tmp_path: Path) -> None:
    out, remotes = make_class(tmp_path)
    gradebook.write_feedback(out, ["add"], grades(1))
    result = runner.invoke(app, ["classroom", "feedback", str(out)])
    assert result.exit_code == 0 and "2 committed" in result.output, result.output
    assert "Tests passed: 1 of 2" in git(out / "ada", "show", "feedback:FEEDBACK.md")
    assert git(remotes / "ada.git", "branch", "--list", "feedback") == ""
    status = runner.invoke(app, ["classroom", "status", str(out)])
    assert "not pushed" in status.output and "feedback pushed for 0" in status.output
