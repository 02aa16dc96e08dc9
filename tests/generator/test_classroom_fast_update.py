"""`classroom update`'s fast path (fast_update.py) gives each student the commit Copier's update
gives them: the same class is updated both ways and the trees compared, on the test template
(with students who need Copier) and on every real template."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.cli import app
from tests.conftest import git
from tests.generator.test_classroom_support import (
    classroom_env,  # noqa: F401  (fixture)
    commit,
    new_class,
    release_v2,
    solve,
    write_roster,
)

runner = CliRunner()
COPIER_ONLY = "MLPATH_CLASSROOM_NO_MERGE"


def update_both_ways(out: Path, *args: str) -> tuple[Path, str, str]:
    """Update a copy of the class through Copier only, then the class itself the fast way."""
    through_copier = out.with_name(out.name + "-copier")
    shutil.copytree(out, through_copier, symlinks=True)
    os.environ[COPIER_ONLY] = "1"
    try:
        slow = runner.invoke(app, ["classroom", "update", str(through_copier), *args])
    finally:
        del os.environ[COPIER_ONLY]
    fast = runner.invoke(app, ["classroom", "update", str(out), *args])
    assert fast.exit_code == slow.exit_code, fast.output + slow.output
    return through_copier, slow.output, fast.output


def state(project: Path) -> tuple[str, str, str]:
    """The committed tree, what is left uncommitted, and the commit message."""
    return (
        git(project, "rev-parse", "HEAD^{tree}").strip(),
        git(project, "status", "--porcelain"),
        git(project, "log", "-1", "--format=%an %s"),
    )


@pytest.mark.usefixtures("classroom_env")
def test_the_fast_path_gives_what_copier_gives_and_leaves_conflicts_to_copier(
    tmp_path: Path,
) -> None:
    handles = ["fresh", "solver", "extra", "gone", "clash"]
    out = new_class(tmp_path, handles)
    solve(out / "solver")
    commit(out / "solver")
    (next((out / "extra").glob("src/*")) / "mine.py").write_text("X = 1\n")
    solve(out / "extra", mul=False)
    commit(out / "extra")
    (out / "gone" / "README.md").unlink()
    commit(out / "gone")
    settings = next((out / "clash").glob("src/*/settings.py"))
    settings.write_text(settings.read_text().replace("WORKERS = 1", "WORKERS = 2"))
    commit(out / "clash")
    release_v2(Path(os.environ["MLPATH_TEMPLATE_REPO"]))

    copier_class, slow, fast = update_both_ways(out, "--jobs", "2")

    assert "4 merged from one rendering of the class" in fast, fast
    assert "merged" not in slow.splitlines()[-1]
    for handle in handles:
        assert state(out / handle) == state(copier_class / handle), handle
    assert "<<<<<<<" in next((out / "clash").glob("src/*/settings.py")).read_text()
    assert "Release two." in (out / "extra" / "README.md").read_text()
    assert (next((out / "extra").glob("src/*")) / "mine.py").read_text() == "X = 1\n"
    assert not (out / "gone" / "README.md").exists()  # a file the student deleted stays gone


@pytest.mark.usefixtures("classroom_env")
def test_a_student_whose_update_was_merged_is_updated_again_like_any_other(
    tmp_path: Path,
) -> None:
    out = new_class(tmp_path, ["a", "b", "c"])
    release_v2(Path(os.environ["MLPATH_TEMPLATE_REPO"]))
    first = runner.invoke(app, ["classroom", "update", str(out)])
    assert first.exit_code == 0 and "3 merged" in first.output, first.output

    again = runner.invoke(app, ["classroom", "update", str(out)])

    assert again.exit_code == 0, again.output
    assert "0 updated" in again.output and "3 current" in again.output
    for handle in ("a", "b", "c"):
        assert "_commit: v0.2.0" in (out / handle / ".copier-answers.yml").read_text()


@pytest.mark.parametrize(
    "template", ["serving-api", "feature-pipeline", "lora-finetune", "rag-eval"]
)
def test_every_template_merges_to_copiers_result(
    template: str, tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Prof Ada")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "ada@school.example")
    handles = ["plain", "notes", "module"]
    roster = write_roster(tmp_path / "roster.csv", handles)
    out = tmp_path / "class"
    made = runner.invoke(
        app,
        ["classroom", "new", template, "--roster", str(roster), "--out", str(out),
         "--vcs-ref", "v0.1.0"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    readme = out / "notes" / "README.md"
    title, rest = readme.read_text().split("\n", 1)
    readme.write_text(f"{title}\n\n> My fork: notes on what I changed.\n{rest}")
    commit(out / "notes")
    (next((out / "module").glob("src/*")) / "extra.py").write_text("VALUE = 2\n")
    commit(out / "module")

    copier_class, _slow, fast = update_both_ways(out)

    assert "3 merged from one rendering of the class" in fast, fast
    for handle in handles:
        assert state(out / handle) == state(copier_class / handle), (template, handle)
