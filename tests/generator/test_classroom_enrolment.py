"""`mlpath classroom add` and `remove`: late students get the class's current version, exercises
and remote; a removed student's work is archived, never deleted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlpath.cli import app
from tests.conftest import git
from tests.generator.test_classroom_support import (
    bare_remotes,
    classroom_env,  # noqa: F401  (fixture)
    commit,
    new_class,
    release_v2,
    solve,
    write_roster,
)

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("classroom_env")
FIRST = ["ada", "bob"]


def make_class(tmp_path: Path) -> tuple[Path, Path]:
    remotes = tmp_path / "remotes"
    pattern = bare_remotes(remotes, ["ada", "bob", "cy", "dee"])
    return new_class(tmp_path, FIRST, "--remote", pattern), remotes


def test_late_students_get_the_current_version_exercises_and_remote(tmp_path: Path) -> None:
    out, remotes = make_class(tmp_path)
    release_v2(Path(os.environ["MLPATH_TEMPLATE_REPO"]))
    updated = runner.invoke(app, ["classroom", "update", str(out), "--jobs", "2"])
    assert updated.exit_code == 0, updated.output

    late = write_roster(tmp_path / "late.csv", ["cy", "dee"])
    result = runner.invoke(app, ["classroom", "add", str(out), "--roster", str(late)])

    assert result.exit_code == 0, result.output
    assert "2 of 2 new students ready" in result.output
    for handle in ("cy", "dee"):
        recorded = yaml.safe_load((out / handle / ".copier-answers.yml").read_text())
        assert recorded["_commit"] == "v0.2.0"  # the class's version now, not the hand-out's
        assert recorded["exercises"] is True
        assert "TODO(exercise)" in next((out / handle).glob("src/*/calc.py")).read_text()
        assert (
            git(remotes / f"{handle}.git", "rev-parse", "main").strip()
            == git(out / handle, "rev-parse", "HEAD").strip()
        )
    status = runner.invoke(app, ["classroom", "status", str(out)])
    assert "4 students" in status.output and "v0.2.0" in status.output

    before = (out / "classroom.toml").read_bytes()
    again = runner.invoke(app, ["classroom", "add", str(out), "--roster", str(late)])
    assert again.exit_code == 2 and "cy, dee already in" in again.output, again.output
    assert (out / "classroom.toml").read_bytes() == before


def test_remove_archives_the_repository_and_grading_passes_it_by(tmp_path: Path) -> None:
    out, _ = make_class(tmp_path)
    solve(out / "ada")
    head = commit(out / "ada", "ada's work")

    result = runner.invoke(app, ["classroom", "remove", str(out), "ada"])

    assert result.exit_code == 0, result.output
    archived = out / "_archive" / "ada"
    assert not (out / "ada").exists()
    assert git(archived, "rev-parse", "HEAD").strip() == head  # history and work kept
    status = runner.invoke(app, ["classroom", "status", str(out)])
    assert "archived" in status.output
    graded = runner.invoke(app, ["classroom", "grade", str(out), "--jobs", "1"])
    assert graded.exit_code == 0, graded.output
    assert "ada" not in (out / "gradebook.csv").read_text()
    updated = runner.invoke(app, ["classroom", "update", str(out), "--jobs", "1"])
    assert updated.exit_code == 0 and "ada" not in updated.output, updated.output

    for args, message in [
        (["zed"], "zed: not a student of"),
        (["ada"], "ada: already removed"),
    ]:
        refused = runner.invoke(app, ["classroom", "remove", str(out), *args])
        assert refused.exit_code == 2 and message in refused.output, refused.output
