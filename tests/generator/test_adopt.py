"""`mlpath adopt`: a project without `.copier-answers.yml` linked to a version, then updated.

The project is a generated one copied by hand without its answers file, then edited: after
adopting it at v0.1.0, `mlpath update` to v0.2.0 must be a real 3-way merge (the user's edits
kept, the template's changes in), not a render over their files.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlpath.cli import app
from tests.conftest import git

runner = CliRunner()


def generate(dest: str, *extra: str) -> Path:
    args = ["new", "rag-eval", dest, "--defaults", "--vcs-ref", "v0.1.0", "--no-lock", *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return Path(dest).absolute()


def copied_by_hand(name: str = "proj") -> Path:
    """What a project looks like after `cp -r` without the answers file, under its own git."""
    made = generate(f"made/{name}", "--no-git", "-d", "with_docs=false")
    project = Path(name).absolute()
    shutil.copytree(made, project, ignore=shutil.ignore_patterns(".copier-answers.yml"))
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Start from a copy")
    return project


def user_edits(project: Path) -> None:
    app_py = project / "app.py"
    app_py.write_text(app_py.read_text().replace('LOG_LEVEL = "info"', 'LOG_LEVEL = "debug"'))
    (project / "deleted_by_user.txt").unlink()
    (project / "mine.py").write_text("print('my own module')\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "my changes")


def test_adopt_then_update_keeps_edits_and_brings_the_template_changes(
    installation: Path,
) -> None:
    project = copied_by_hand()
    user_edits(project)
    edited_head = git(project, "rev-parse", "HEAD")

    adopted = runner.invoke(
        app, ["adopt", "rag-eval", str(project), "--vcs-ref", "v0.1.0", "-d", "with_docs=false"]
    )

    assert adopted.exit_code == 0, adopted.output
    assert f"{project}: adopted as rag-eval v0.1.0" in adopted.output
    assert "differ: app.py" in adopted.output
    assert "missing: deleted_by_user.txt" in adopted.output
    assert "project_name: proj" in adopted.output  # from the folder's name
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "rev-parse", "HEAD~1") == edited_head
    assert git(project, "diff", "--name-only", "HEAD~1", "HEAD").strip() == ".copier-answers.yml"
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == "v0.1.0"
    assert recorded["_src_path"] == "~/.local/share/mlpath/override-templates/rag-eval.bundle"
    assert recorded["project_name"] == "proj" and recorded["with_docs"] is False

    updated = runner.invoke(app, ["update", str(project)])

    assert updated.exit_code == 0, updated.output  # a merge: no conflict, nothing re-added
    assert "updated v0.1.0 -> v0.2.0" in updated.output
    app_py = (project / "app.py").read_text()
    assert 'LOG_LEVEL = "debug"' in app_py and "WORKERS = 4" in app_py
    assert "Served by version two." in (project / "README.md").read_text()
    assert (project / "added_in_v2.txt").is_file() and (project / "new_name.txt").is_file()
    assert not (project / "removed_in_v2.txt").exists()
    assert not (project / "deleted_by_user.txt").exists()  # the user's deletion stands
    assert (project / "mine.py").read_text() == "print('my own module')\n"
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == "v0.2.0" and recorded["with_docs"] is False


def test_adopt_a_project_inside_a_larger_repository(installation: Path) -> None:
    made = generate("made/svc", "--no-git")
    monorepo = Path("mono").absolute()
    shutil.copytree(made, monorepo / "svc", ignore=shutil.ignore_patterns(".copier-answers.yml"))
    (monorepo / "other.txt").write_text("another team's file\n")
    git(monorepo, "init", "-q", "-b", "main")
    git(monorepo, "add", "-A")
    git(monorepo, "commit", "-qm", "monorepo")

    result = runner.invoke(app, ["adopt", "rag-eval", "mono/svc", "--vcs-ref", "v0.1.0"])

    assert result.exit_code == 0, result.output
    assert (
        git(monorepo, "diff", "--name-only", "HEAD~1", "HEAD").strip() == "svc/.copier-answers.yml"
    )
    assert "template files: 5 identical, 0 differ, 0 missing" in result.output, result.output
    updated = runner.invoke(app, ["update", "mono/svc"])
    assert updated.exit_code == 0, updated.output
    assert (monorepo / "svc" / "added_in_v2.txt").is_file()
    assert (monorepo / "other.txt").read_text() == "another team's file\n"


def an_adopted_project() -> None:
    generate("proj")


def a_dirty_copy() -> None:
    (copied_by_hand() / "app.py").write_text("changed\n")


def a_copy_not_under_git() -> None:
    made = generate("made/proj", "--no-git")
    shutil.copytree(made, "proj", ignore=shutil.ignore_patterns(".copier-answers.yml"))


def a_repository_without_a_commit() -> None:
    a_copy_not_under_git()
    git(Path("proj"), "init", "-q", "-b", "main")


def an_unrelated_repository() -> None:
    Path("proj").mkdir()
    Path("proj/notes.txt").write_text("nothing from any template\n")
    git(Path("proj"), "init", "-q", "-b", "main")
    git(Path("proj"), "add", "-A")
    git(Path("proj"), "commit", "-qm", "notes")


def a_clean_copy() -> None:
    copied_by_hand()


V1 = ["--vcs-ref", "v0.1.0"]


@pytest.mark.parametrize(
    ("setup", "args", "words"),
    [
        pytest.param(an_adopted_project, V1, "already linked to a template", id="adopted"),
        pytest.param(a_dirty_copy, V1, "uncommitted changes in app.py", id="dirty"),
        pytest.param(a_copy_not_under_git, V1, "not a git repository", id="no git"),
        pytest.param(a_repository_without_a_commit, V1, "no commit yet", id="no commit"),
        pytest.param(an_unrelated_repository, V1, "has none of the files", id="unrelated"),
        pytest.param(a_clean_copy, ["--vcs-ref", "v9.9.9"], "--vcs-ref v9.9.9", id="version"),
        pytest.param(a_clean_copy, [], "--vcs-ref: required", id="no version"),
        pytest.param(
            a_clean_copy, [*V1, "-d", "colour=blue"], "--data colour: no such", id="bad data"
        ),
        pytest.param(
            a_clean_copy, [*V1, "-d", "api_port=1"], "does not ask it", id="other's question"
        ),
    ],
)
def test_adopt_refuses_in_one_line_and_changes_nothing(
    installation: Path, setup: Callable[[], None], args: list[str], words: str
) -> None:
    setup()
    project = Path("proj")
    before = {p.relative_to(project): p.read_bytes() for p in project.rglob("*") if p.is_file()}

    result = runner.invoke(app, ["adopt", "rag-eval", "proj", *args])

    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlpath: ") and words in lines[0], lines
    after = {p.relative_to(project): p.read_bytes() for p in project.rglob("*") if p.is_file()}
    assert after == before  # .git included: no commit, no index change


def test_adopt_unknown_template(installation: Path) -> None:
    copied_by_hand()
    result = runner.invoke(app, ["adopt", "rag", "proj", "--vcs-ref", "v0.1.0"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("mlpath: unknown template 'rag'"), result.output
    assert not Path("proj/.copier-answers.yml").exists()


def test_adopt_asks_the_answers_on_a_terminal(installation: Path) -> None:
    from tests.generator.test_interactive import Terminal

    project = copied_by_hand()
    term = Terminal(["mlpath", "adopt", "rag-eval", "proj", "--vcs-ref", "v0.1.0"], Path.cwd())
    term.wait_for("project_name")
    term.type("\r")  # the suggestion: the folder's name
    term.wait_for("with_docs")
    term.type("n\r")
    term.wait_for("Next:")

    assert term.exit_code() == 0, term.seen[-2000:]
    assert "adopted as rag-eval v0.1.0" in term.seen
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["project_name"] == "proj" and recorded["with_docs"] is False
    assert git(project, "status", "--porcelain") == ""


def test_adopt_from_a_fork_records_it_and_updates_from_it(installation: Path) -> None:
    git(Path(), "clone", "-q", "--bare", str(installation), "fork.git")
    project = copied_by_hand("svc")
    fork = ["--source", "fork.git", "-d", "project_name=svc", "-d", "with_docs=false"]

    result = runner.invoke(app, ["adopt", "rag-eval", "svc", "--vcs-ref", "v0.1.0", *fork])

    assert result.exit_code == 0, result.output
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == f"git+file://{Path('fork.git').resolve()}"
    updated = runner.invoke(app, ["update", "svc"])
    assert updated.exit_code == 0, updated.output
    assert "updated v0.1.0 -> v0.2.0" in updated.output


def test_adopting_at_the_wrong_version_warns_and_names_the_files(installation: Path) -> None:
    project = copied_by_hand()  # made at v0.1.0
    args = ["adopt", "rag-eval", str(project), "--vcs-ref", "v0.2.0", "-d", "with_docs=false"]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    assert "template files: 1 identical, 2 differ, 2 missing" in result.output
    assert "differ: app.py" in result.output and "missing: added_in_v2.txt" in result.output
    assert "mlpath: most of the template's files differ" in result.output
    assert "`git revert HEAD` undoes the adoption" in result.output


def test_an_ignored_answers_file_is_refused_and_nothing_stays(installation: Path) -> None:
    project = copied_by_hand()
    (project / ".gitignore").write_text(".copier-answers.yml\n")
    git(project, "add", ".gitignore")
    git(project, "commit", "-qm", "ignore the answers")

    result = runner.invoke(app, ["adopt", "rag-eval", str(project), "--vcs-ref", "v0.1.0"])

    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "git ignores .copier-answers.yml" in lines[0], lines
    assert not (project / ".copier-answers.yml").exists()
    assert git(project, "status", "--porcelain", "--ignored") == ""


def test_an_interrupted_adopt_changes_nothing(
    installation: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copied_by_hand()
    head = git(project, "rev-parse", "HEAD")

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("mlpath.adopt.render", interrupted)
    result = runner.invoke(app, ["adopt", "rag-eval", str(project), "--vcs-ref", "v0.1.0"])

    assert result.exit_code == 130, result.output
    assert result.output.strip() == "mlpath: interrupted; the project was not changed"
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain", "--ignored") == ""
