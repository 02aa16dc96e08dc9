"""`mlpath new` and the bad input it must refuse with one line, a non-zero exit and no trace."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from mlpath.cli import app
from tests.conftest import git

runner = CliRunner()


def refused(result: Result, *expected: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = result.output.strip()
    assert len(message.splitlines()) == 1, message
    for part in expected:
        assert part in message
    return message


def no_leftovers(folder: Path) -> bool:
    return not any(p.name.startswith(".mlpath-") for p in folder.iterdir())


def test_new_renders_commits_and_prints_next_steps(installation: Path) -> None:
    result = runner.invoke(app, ["new", "rag-eval", "--defaults", "--data", "project_name=demo"])

    assert result.exit_code == 0, result.output
    project = Path("demo")
    assert "Served by version two." in (project / "README.md").read_text()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v0.2.0"
    assert answers["_src_path"] == "~/.local/share/mlpath/override-templates/rag-eval.bundle"
    assert git(project, "status", "--porcelain") == ""
    assert len(git(project, "log", "--oneline").splitlines()) == 1
    assert "cd " in result.output and "make setup" in result.output
    assert "make eval" in result.output


def test_new_at_an_older_version_and_without_git(installation: Path) -> None:
    result = runner.invoke(
        app, ["new", "rag-eval", "old", "--defaults", "--vcs-ref", "v0.1.0", "--no-git"]
    )

    assert result.exit_code == 0, result.output
    assert "version one" in Path("old/README.md").read_text()
    assert not Path("old/.git").exists()


def test_data_is_typed_by_the_question(installation: Path) -> None:
    result = runner.invoke(app, ["new", "rag-eval", "p", "--defaults", "-d", "with_docs=false"])

    assert result.exit_code == 0, result.output
    assert yaml.safe_load(Path("p/.copier-answers.yml").read_text())["with_docs"] is False


def test_unknown_template_lists_the_valid_ones(installation: Path) -> None:
    refused(
        runner.invoke(app, ["new", "rag", "--defaults"]),
        "unknown template 'rag'",
        "serving-api, feature-pipeline, lora-finetune, rag-eval",
    )


def test_invalid_project_name_leaves_nothing_behind(installation: Path) -> None:
    refused(
        runner.invoke(
            app, ["new", "rag-eval", "new/parents/out", "--defaults", "-d", "project_name=Bad Name"]
        ),
        "project_name",
    )
    assert not Path("new").exists()  # not even the parent folders made for DEST
    refused(
        runner.invoke(app, ["new", "rag-eval", "out", "--defaults", "-d", "project_name=Bad Name"]),
        "project_name",
        "bad name",
    )
    assert not Path("out").exists()
    assert no_leftovers(Path())


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("colour=blue", "--data colour: no such question"),
        ("with_docs=maybe", "--data with_docs=maybe: expected true or false"),
        ("novalue", "--data 'novalue': expected KEY=VALUE"),
    ],
)
def test_bad_data(installation: Path, item: str, expected: str) -> None:
    refused(runner.invoke(app, ["new", "rag-eval", "out", "--defaults", "-d", item]), expected)
    assert not Path("out").exists()
    assert no_leftovers(Path())


def test_existing_destination_is_refused_unless_forced(installation: Path) -> None:
    dest = Path("taken")
    dest.mkdir()
    (dest / "notes.txt").write_text("mine\n")

    refused(
        runner.invoke(app, ["new", "rag-eval", "taken", "--defaults"]),
        "taken",
        "not empty",
        "--force",
    )
    assert sorted(p.name for p in dest.iterdir()) == ["notes.txt"]

    forced = runner.invoke(app, ["new", "rag-eval", "taken", "--defaults", "--force"])
    assert forced.exit_code == 0, forced.output
    assert (dest / "notes.txt").read_text() == "mine\n"
    assert (dest / "README.md").is_file()


def test_default_destination_taken_is_refused(installation: Path) -> None:
    Path("my-rag-eval").mkdir()
    (Path("my-rag-eval") / "x").write_text("x")
    refused(runner.invoke(app, ["new", "rag-eval", "--defaults"]), "my-rag-eval", "not empty")
    assert no_leftovers(Path())


def test_empty_destination_is_used(installation: Path) -> None:
    Path("empty").mkdir()
    assert runner.invoke(app, ["new", "rag-eval", "empty", "--defaults"]).exit_code == 0
    assert Path("empty/README.md").is_file()


def test_source_must_be_a_template(installation: Path, tmp_path: Path) -> None:
    (tmp_path / "not-a-template").mkdir()
    refused(
        runner.invoke(
            app, ["new", "rag-eval", "--defaults", "--source", str(tmp_path / "not-a-template")]
        ),
        "not a Copier template",
    )
    refused(
        runner.invoke(
            app, ["new", "rag-eval", "--defaults", "--source", str(tmp_path / "missing")]
        ),
        "no such path",
    )


def test_source_fork_is_recorded_and_vcs_ref_checked(installation: Path) -> None:
    result = runner.invoke(
        app, ["new", "rag-eval", "fork", "--defaults", "--source", str(installation)]
    )
    assert result.exit_code == 0, result.output
    answers = yaml.safe_load(Path("fork/.copier-answers.yml").read_text())
    assert answers["_src_path"] == str(installation)
    refused(
        runner.invoke(app, ["new", "rag-eval", "x", "--defaults", "--vcs-ref", "v9.9.9"]),
        "--vcs-ref v9.9.9",
        "v0.1.0, v0.2.0",
    )


def test_no_terminal_without_defaults(installation: Path) -> None:
    refused(runner.invoke(app, ["new", "rag-eval", "x"]), "--defaults")
    assert not Path("x").exists()


def test_update_outside_a_project(installation: Path) -> None:
    refused(runner.invoke(app, ["update", "."]), "not an mlpath/Copier project")
    refused(runner.invoke(app, ["status", "."]), "not an mlpath/Copier project")


def test_update_with_uncommitted_changes_names_them(installation: Path) -> None:
    assert runner.invoke(app, ["new", "rag-eval", "p", "--defaults"]).exit_code == 0
    Path("p/app.py").write_text("changed\n")
    Path("p/scratch.txt").write_text("new\n")
    refused(runner.invoke(app, ["update", "p"]), "uncommitted changes in app.py, scratch.txt")


def test_update_of_a_project_not_under_git(installation: Path) -> None:
    assert runner.invoke(app, ["new", "rag-eval", "p", "--defaults", "--no-git"]).exit_code == 0
    refused(runner.invoke(app, ["update", "p"]), "not a git repository")


def test_up_to_date_project(installation: Path) -> None:
    assert runner.invoke(app, ["new", "rag-eval", "p", "--defaults"]).exit_code == 0
    result = runner.invoke(app, ["update", "p"])
    assert result.exit_code == 0
    assert "already at v0.2.0" in result.output


def test_list_shows_templates_and_version(installation: Path) -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    for name in ("serving-api", "feature-pipeline", "lora-finetune", "rag-eval"):
        assert name in result.output
    assert "v0.2.0" in result.output
