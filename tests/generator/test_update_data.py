"""`mlpath update --data KEY=VALUE`: change recorded answers in a 3-way update, user edits kept.

The small test template renders `project_name` into README.md, so re-answering it changes a file
the user also edited; `with_docs` is a bool every template asks, `api_port` an int only
serving-api asks, and v0.2.0 adds `log_format`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlpath.cli import app
from tests.conftest import git
from tests.generator.template_repo import V2, V2_QUESTIONS, write_release

runner = CliRunner()


def recorded(project: Path) -> dict[str, object]:
    return dict(yaml.safe_load((project / ".copier-answers.yml").read_text()))


@pytest.fixture
def edited_project(installation: Path) -> Path:
    """A rag-eval project at v0.1.0 with the user's own line in app.py and a file of theirs."""
    args = ["new", "rag-eval", "proj", "--defaults", "--vcs-ref", "v0.1.0", "--no-lock"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    project = Path("proj").absolute()
    app_py = project / "app.py"
    app_py.write_text(app_py.read_text().replace('LOG_LEVEL = "info"', 'LOG_LEVEL = "debug"'))
    (project / "mine.py").write_text("print('my own module')\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "my changes")
    return project


def test_reanswer_at_the_same_version_keeps_edits_and_records_the_answer(
    edited_project: Path,
) -> None:
    readme = edited_project / "README.md"
    readme.write_text(readme.read_text() + "\nMy own notes, kept across updates.\n")
    git(edited_project, "commit", "-qam", "my notes")
    args = ["update", str(edited_project), "--to", "v0.1.0"]
    result = runner.invoke(app, [*args, "-d", "project_name=renamed", "-d", "with_docs=false"])

    assert result.exit_code == 0, result.output
    assert f"{edited_project}: re-answered at v0.1.0" in result.output
    assert "  M README.md" in result.output
    assert "answer changed: project_name = 'renamed' (was 'proj')" in result.output
    assert "answer changed: with_docs = False (was True)" in result.output
    merged = (edited_project / "README.md").read_text()
    assert merged.startswith("# renamed\n")  # the template's change, from the new answer
    assert "My own notes, kept across updates." in merged  # the user's edit
    assert "<<<<<<<" not in merged
    assert 'LOG_LEVEL = "debug"' in (edited_project / "app.py").read_text()
    assert (edited_project / "mine.py").read_text() == "print('my own module')\n"
    answers = recorded(edited_project)
    assert answers["_commit"] == "v0.1.0"
    assert answers["project_name"] == "renamed"
    assert answers["with_docs"] is False


def test_reanswer_with_the_same_values_changes_nothing(edited_project: Path) -> None:
    head = git(edited_project, "rev-parse", "HEAD")
    args = ["update", str(edited_project), "--to", "v0.1.0", "-d", "project_name=proj"]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    assert "already at v0.1.0" in result.output
    assert git(edited_project, "status", "--porcelain") == ""
    assert git(edited_project, "rev-parse", "HEAD") == head


def test_reanswer_and_version_change_together(edited_project: Path) -> None:
    args = ["update", str(edited_project), "-d", "project_name=renamed", "-d", "log_format=text"]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    assert "updated v0.1.0 -> v0.2.0" in result.output
    assert "answer changed: project_name = 'renamed' (was 'proj')" in result.output
    assert "new answer recorded: log_format = 'text'" in result.output
    readme = (edited_project / "README.md").read_text()
    assert readme == "# renamed\n\nServed by version two.\n"
    assert (edited_project / "added_in_v2.txt").is_file()
    app_py = (edited_project / "app.py").read_text()
    assert "WORKERS = 4" in app_py and 'LOG_LEVEL = "debug"' in app_py
    answers = recorded(edited_project)
    assert answers["_commit"] == "v0.2.0"
    assert answers["project_name"] == "renamed"
    assert answers["log_format"] == "text"


def test_pretend_reanswer_shows_the_change_and_touches_nothing(edited_project: Path) -> None:
    before = (edited_project / ".copier-answers.yml").read_text()
    args = ["update", str(edited_project), "--to", "v0.1.0", "--pretend", "-d", "with_docs=no"]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    assert "would re-answer at v0.1.0" in result.output
    assert "answer changed: with_docs = False (was True)" in result.output
    assert (edited_project / ".copier-answers.yml").read_text() == before
    assert git(edited_project, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("colour=blue", "--data colour: no such question"),
        ("api_port=9000", "--data api_port: template rag-eval does not ask it"),
        ("with_docs=maybe", "--data with_docs=maybe: expected true or false"),
        ("project_name=Bad Name", "question 'project_name'"),
        ("template=serving-api", "--data template=serving-api: an update cannot change"),
        ("no-equals-sign", "--data 'no-equals-sign': expected KEY=VALUE"),
    ],
)
def test_bad_data_is_one_line_and_changes_nothing(
    edited_project: Path, data: str, words: str
) -> None:
    head = git(edited_project, "rev-parse", "HEAD")
    before = (edited_project / ".copier-answers.yml").read_text()

    result = runner.invoke(app, ["update", str(edited_project), "--to", "v0.1.0", "-d", data])

    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlpath: ") and words in lines[0], lines
    assert git(edited_project, "status", "--porcelain") == ""
    assert git(edited_project, "rev-parse", "HEAD") == head
    assert (edited_project / ".copier-answers.yml").read_text() == before
    assert not any(p.name.startswith(".mlpath-") for p in edited_project.parent.iterdir())


DOCS_THEME = """\
docs_theme:
  type: str
  default: furo
  when: "{{ with_docs }}"
"""


def test_an_answer_no_longer_asked_is_reported_as_dropped(installation: Path) -> None:
    # v0.3.0 asks `docs_theme` only while `with_docs` is on.
    write_release(installation, V2, "v0.3.0", V2_QUESTIONS + DOCS_THEME)
    result = runner.invoke(app, ["new", "rag-eval", "proj", "--defaults", "--no-lock"])
    assert result.exit_code == 0, result.output
    project = Path("proj").absolute()
    assert recorded(project)["docs_theme"] == "furo"

    result = runner.invoke(app, ["update", str(project), "-d", "with_docs=false"])

    assert result.exit_code == 0, result.output
    assert "re-answered at v0.3.0" in result.output
    assert "answer changed: with_docs = False (was True)" in result.output
    assert "answer dropped: docs_theme (was 'furo'; no longer asked)" in result.output
    assert "docs_theme" not in recorded(project)


def test_turning_a_feature_off_keeps_the_files_of_it_the_user_changed(installation: Path) -> None:
    # v0.3.0 renders two docs files only while `with_docs` is on.
    docs = {
        "{% if with_docs %}docs.md{% endif %}.jinja": "# docs\n",
        "{% if with_docs %}docs-extra.md{% endif %}.jinja": "# more docs\n",
    }
    write_release(installation, {**V2, **docs}, "v0.3.0", V2_QUESTIONS)
    result = runner.invoke(app, ["new", "rag-eval", "proj", "--defaults", "--no-lock"])
    assert result.exit_code == 0, result.output
    project = Path("proj").absolute()
    (project / "docs.md").write_text("# docs\n\nMy own page.\n")
    git(project, "commit", "-qam", "my docs")

    result = runner.invoke(app, ["update", str(project), "-d", "with_docs=false"])

    assert result.exit_code == 3, result.output  # the kept file is a conflict to look at
    assert "C docs.md  (the template deletes it; kept because you changed it)" in result.output
    assert "D docs-extra.md" in result.output
    assert (project / "docs.md").read_text() == "# docs\n\nMy own page.\n"
    assert not (project / "docs-extra.md").exists()
    assert recorded(project)["with_docs"] is False


@pytest.mark.parametrize(
    ("data", "words"),
    [("colour=blue", "--data colour: no such question"), ("with_docs=maybe", "true or false")],
)
def test_unknown_names_and_wrong_types_are_refused_before_the_update_renders(
    edited_project: Path, monkeypatch: pytest.MonkeyPatch, data: str, words: str
) -> None:
    def no_update(*_args: object) -> None:
        raise AssertionError("the update ran before --data was checked")

    monkeypatch.setattr("mlpath.update.run_copier_update", no_update)
    result = runner.invoke(app, ["update", str(edited_project), "--to", "v0.1.0", "-d", data])

    assert result.exit_code == 2, result.output
    assert words in result.output
