"""`mlpath classroom update`: in place, and through remotes with a branch per update."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
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
)

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("classroom_env")


def make_class(tmp_path: Path, handles: list[str], *extra: str) -> Path:
    return new_class(tmp_path, handles, *extra)


def conflicting_edit(project: Path) -> None:
    settings = next(project.glob("src/*/settings.py"))
    settings.write_text(settings.read_text().replace("WORKERS = 1", "WORKERS = 2"))


def table(output: str) -> dict[str, str]:
    rows = output.splitlines()[2:-1]  # under the header, above the one-line summary
    return {line.split()[0]: line for line in rows if line.strip()}


def status_table(output: str) -> dict[str, str]:
    """`classroom status`'s rows: under the class line and the header, above the summary."""
    return table("\n".join(output.splitlines()[1:]))


def test_update_in_place_keeps_work_skips_dirty_and_reports_conflicts(tmp_path: Path) -> None:
    out = make_class(tmp_path, ["fresh", "worker", "clash", "dirty"])
    solve(out / "worker")
    worked = commit(out / "worker", "solved both")
    conflicting_edit(out / "clash")
    clashed = commit(out / "clash", "more workers")
    (out / "dirty" / "draft.py").write_text("x = 1\n")
    release_v2(Path(os.environ["MLPATH_TEMPLATE_REPO"]))

    result = runner.invoke(app, ["classroom", "update", str(out), "--jobs", "2"])

    assert result.exit_code == 3, result.output  # conflicts remain
    rows = table(result.output)
    assert "updated" in rows["fresh"] and "v0.1.0 -> v0.2.0" in rows["fresh"]
    assert "updated" in rows["worker"]
    assert "conflicts" in rows["clash"] and "settings.py" in rows["clash"]
    assert "skipped (uncommitted changes)" in rows["dirty"] and "draft.py" in rows["dirty"]
    assert (out / "update-v0.2.0.txt").read_text().strip() in result.output
    for handle in ("fresh", "worker"):
        assert "Release two." in (out / handle / "README.md").read_text()
        assert git(out / handle, "status", "--porcelain") == ""  # the update is committed
        assert git(out / handle, "log", "-1", "--format=%an").strip() == "Prof Ada"
    assert git(out / "worker", "merge-base", "--is-ancestor", worked, "HEAD") == ""
    assert "return a * b" in next((out / "worker").glob("src/*/calc.py")).read_text()
    assert "exercises: true" in (out / "worker" / ".copier-answers.yml").read_text()
    assert git(out / "clash", "rev-parse", "HEAD").strip() == clashed  # left to resolve
    assert "<<<<<<<" in next((out / "clash").glob("src/*/settings.py")).read_text()
    assert git(out / "dirty", "status", "--porcelain").strip() == "?? draft.py"
    assert "Release one." in (out / "dirty" / "README.md").read_text()
    versions = {
        s["handle"]: s["version"]
        for s in tomllib.loads((out / "classroom.toml").read_text())["students"]
    }
    assert versions == {"fresh": "v0.2.0", "worker": "v0.2.0", "clash": "v0.2.0", "dirty": "v0.1.0"}
    reference = out / "_grading" / "reference"  # the reference solution follows the update
    assert "Release two." in (reference / "README.md").read_text()

    again = runner.invoke(app, ["classroom", "update", str(out), "--jobs", "2"])
    rows = table(again.output)
    assert "current" in rows["fresh"] and "current" in rows["worker"]
    assert "skipped" in rows["clash"] and "settings.py" in rows["clash"]


def test_update_with_remotes_fetches_first_and_pushes_a_branch(tmp_path: Path) -> None:
    handles = ["ada", "bob", "cy"]
    pattern = bare_remotes(tmp_path / "remotes", handles)
    out = make_class(tmp_path, handles, "--remote", pattern)
    pushed = {}
    for handle in ("ada", "bob"):  # they work on their own machines and push
        laptop = tmp_path / f"{handle}-laptop"
        git(tmp_path, "clone", "-q", str(tmp_path / "remotes" / f"{handle}.git"), str(laptop))
        solve(laptop)
        if handle == "bob":
            conflicting_edit(laptop)
        pushed[handle] = commit(laptop, f"{handle}'s work")
        git(laptop, "push", "-q", "origin", "main")
    release_v2(Path(os.environ["MLPATH_TEMPLATE_REPO"]))

    result = runner.invoke(app, ["classroom", "update", str(out), "--remote", "--jobs", "2"])

    assert result.exit_code == 3, result.output
    rows = table(result.output)
    branch = "mlpath-update-v0.2.0"
    assert "updated" in rows["ada"] and branch in rows["ada"]
    assert "conflicts" in rows["bob"] and "settings.py" in rows["bob"]
    assert "updated" in rows["cy"]
    for handle in handles:
        remote = tmp_path / "remotes" / f"{handle}.git"
        main = git(remote, "rev-parse", "main").strip()
        if handle in pushed:
            assert main == pushed[handle]  # main is the student's, never rewritten
        update = git(remote, "rev-parse", branch).strip()
        assert git(remote, "merge-base", "--is-ancestor", main, update) == ""
        assert "v0.2.0" in git(remote, "show", f"{branch}:.copier-answers.yml")
        local = out / handle
        assert git(local, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
        assert git(local, "status", "--porcelain") == ""
    message = git(tmp_path / "remotes" / "bob.git", "log", "-1", "--format=%B", branch)
    assert "Resolve the conflict markers in:" in message and "settings.py" in message

    again = runner.invoke(app, ["classroom", "update", str(out), "--remote", "--jobs", "2"])
    assert again.exit_code == 0, again.output
    assert all("waiting for the student to merge" in row for row in table(again.output).values())

    waits = runner.invoke(app, ["classroom", "status", str(out)])
    assert "update branches wait to be merged for 3 of 3 students" in waits.output
    assert all(branch in row for row in status_table(waits.output).values())
    laptop = tmp_path / "ada-laptop"  # ada merges the update on her machine and pushes
    git(laptop, "pull", "-q", "--no-rebase", "origin", branch)
    git(laptop, "push", "-q", "origin", "main")
    after = runner.invoke(app, ["classroom", "status", str(out), "--fetch"])
    assert "update branches wait to be merged for 2 of 3 students" in after.output, after.output
    rows = status_table(after.output)
    assert branch not in rows["ada"] and branch in rows["bob"]


def test_update_remote_on_a_class_without_remotes_is_refused(tmp_path: Path) -> None:
    out = make_class(tmp_path, ["ada"])
    result = runner.invoke(app, ["classroom", "update", str(out), "--remote"])
    assert result.exit_code == 2, result.output
    assert "made without --remote" in result.output
