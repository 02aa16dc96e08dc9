"""Every bad input and OS error gets one line naming it, the right exit code, and no traceback.

One row per case: (id, the setup it needs, the arguments, the exit code, words the line starts
with or contains). A new case is one more row.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.cli import app
from tests.conftest import git
from tests.generator.test_classroom_support import classroom_env, new_class  # noqa: F401

runner = CliRunner()


Setup = Callable[[Path], None]


def nothing(tmp: Path) -> None:
    pass


def a_file_named_blocker(tmp: Path) -> None:
    Path("blocker").write_text("a file, not a folder\n")


def a_project(tmp: Path, *, git_init: bool = True) -> None:
    args = ["new", "rag-eval", "p", "--defaults", "--vcs-ref", "v0.1.0"]
    result = runner.invoke(app, args if git_init else [*args, "--no-git"])
    assert result.exit_code == 0, result.output


def a_project_without_git(tmp: Path) -> None:
    a_project(tmp, git_init=False)


def a_project_with_corrupt_answers(tmp: Path) -> None:
    a_project(tmp)
    Path("p/.copier-answers.yml").write_text("_commit: v0.1.0\n_src_path: [unclosed\n")


def a_project_recording(key: str, value: str) -> Setup:
    def setup(tmp: Path) -> None:
        a_project(tmp)
        answers = Path("p/.copier-answers.yml")
        answers.write_text(answers.read_text().replace(f"{key}: ", f"{key}: {value}  # was: ", 1))

    return setup


def a_dirty_project(tmp: Path) -> None:
    a_project(tmp)
    Path("p/app.py").write_text("changed\n")


def a_roster_and_a_file(tmp: Path) -> None:
    Path("roster.csv").write_text("handle,name,email\nada,Ada,ada@example.org\n")
    a_file_named_blocker(tmp)


def a_plain_folder(tmp: Path) -> None:
    Path("plain").mkdir()


def a_bare_clone(tmp: Path) -> None:
    git(Path(), "clone", "-q", "--bare", os.environ["MLPATH_TEMPLATE_REPO"], "fork.git")


CATALOGUE: list[tuple[str, Setup, list[str], int, str]] = [
    ("unknown template", nothing, ["new", "rag", "x", "--defaults"], 2, "unknown template 'rag'"),
    (
        "bad project name",
        nothing,
        ["new", "rag-eval", "x", "--defaults", "-d", "project_name=Bad Name"],
        2,
        "question 'project_name'",
    ),
    ("300-char name", nothing, ["new", "rag-eval", "x" * 300, "--defaults"], 1, "x" * 40),
    (
        "other template's question",
        nothing,
        ["new", "rag-eval", "x", "--defaults", "-d", "api_port=9000"],
        2,
        "--data api_port: template rag-eval does not ask it",
    ),
    (
        "no such question",
        nothing,
        ["new", "rag-eval", "x", "--defaults", "-d", "colour=blue"],
        2,
        "--data colour: no such question",
    ),
    (
        "DEST under a file",
        a_file_named_blocker,
        ["new", "rag-eval", "blocker/x", "--defaults"],
        2,
        "blocker: is a file",
    ),
    (
        "DEST not writable",
        nothing,
        ["new", "rag-eval", "/sys/mlpath-test/x", "--defaults"],
        1,
        "/sys",
    ),
    ("DEST exists", a_plain_folder, ["new", "rag-eval", ".", "--defaults"], 2, "not empty"),
    (
        "unknown version",
        nothing,
        ["new", "rag-eval", "x", "--defaults", "--vcs-ref", "v9.9.9"],
        2,
        "--vcs-ref v9.9.9: no such template version",
    ),
    (
        "source missing",
        nothing,
        ["new", "rag-eval", "x", "--defaults", "--source", "./nope"],
        2,
        "--source ./nope: no such path",
    ),
    (
        "source not a template",
        a_plain_folder,
        ["new", "rag-eval", "x", "--defaults", "--source", "plain"],
        2,
        "--source plain: not a Copier template",
    ),
    (
        "source unreachable",
        nothing,
        ["new", "rag-eval", "x", "--defaults", "--source", "https://127.0.0.1:9/fork.git"],
        2,
        "--source https://127.0.0.1:9/fork.git",
    ),
    (
        "file URL to nothing",
        nothing,
        ["new", "rag-eval", "x", "--defaults", "--source", "file:///nonexistent/fork"],
        2,
        "--source",
    ),
    (
        "fork's unknown ref",
        a_bare_clone,
        ["new", "rag-eval", "x", "--defaults", "--source", "fork.git", "--vcs-ref", "v9.9.9"],
        2,
        "--vcs-ref v9.9.9: no such tag or branch",
    ),
    ("update outside a project", nothing, ["update", "."], 2, "not an mlpath/Copier project"),
    (
        "classroom --out under a file",
        a_roster_and_a_file,
        ["classroom", "new", "rag-eval", "--roster", "roster.csv", "--out", "blocker/class"],
        2,
        "blocker is a file, not a folder",
    ),
    ("corrupt answers", a_project_with_corrupt_answers, ["update", "p"], 2, "not valid YAML"),
    (
        "corrupt answers, status",
        a_project_with_corrupt_answers,
        ["status", "p"],
        2,
        "not valid YAML",
    ),
    ("update not under git", a_project_without_git, ["update", "p"], 2, "not a git repository"),
    ("update dirty", a_dirty_project, ["update", "p"], 2, "uncommitted changes in app.py"),
    ("update to unknown", a_project, ["update", "p", "--to", "0.9"], 2, "--to 0.9: no such"),
    ("update to older", a_project, ["update", "p", "--to", "v0.0.1"], 2, "--to v0.0.1"),
    ("check outside a project", nothing, ["check", "."], 2, "not an mlpath/Copier project"),
    ("diff outside a project", nothing, ["diff"], 2, "not an mlpath/Copier project"),
    ("corrupt answers, check", a_project_with_corrupt_answers, ["check", "p"], 2, "not valid YAML"),
    ("corrupt answers, diff", a_project_with_corrupt_answers, ["diff", "p"], 2, "not valid YAML"),
    (
        "check, unknown version",
        a_project_recording("_commit", "v9.9.9"),
        ["check", "p"],
        2,
        "records version v9.9.9",
    ),
    (
        "diff, unknown version",
        a_project_recording("_commit", "v9.9.9"),
        ["diff", "p", "--stat"],
        2,
        "records version v9.9.9",
    ),
    (
        "check, unknown template",
        a_project_recording("template", "rag"),
        ["check", "p"],
        2,
        "unknown template 'rag'",
    ),
    (
        "diff, unknown template",
        a_project_recording("template", "rag"),
        ["diff", "p"],
        2,
        "unknown template 'rag'",
    ),
    ("check, bad --source", a_project, ["check", "p", "--source", "./nope"], 2, "--source ./nope"),
    ("changelog outside a project", nothing, ["changelog"], 2, "not an mlpath/Copier project"),
    (
        "update --data unknown question",
        a_project,
        ["update", "p", "-d", "colour=blue"],
        2,
        "--data colour: no such question",
    ),
    (
        "update --data wrong type",
        a_project,
        ["update", "p", "--to", "v0.1.0", "-d", "with_docs=maybe"],
        2,
        "--data with_docs=maybe: expected true or false",
    ),
    (
        "adopt not under git",
        a_plain_folder,
        ["adopt", "rag-eval", "plain", "--vcs-ref", "v0.1.0"],
        2,
        "not a git repository",
    ),
    (
        "adopt an adopted project",
        a_project,
        ["adopt", "rag-eval", "p", "--vcs-ref", "v0.1.0"],
        2,
        "already linked to a template",
    ),
    ("adopt no such folder", nothing, ["adopt", "rag-eval", "nope"], 2, "nope: no such folder"),
    (
        "classroom collect no such folder",
        nothing,
        ["classroom", "collect", "nope", "--deadline", "2027-01-15T23:59+01:00"],
        2,
        "nope: no such folder",
    ),
]


@pytest.mark.parametrize(
    ("setup", "args", "code", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in CATALOGUE],
)
def test_error_catalogue(
    installation: Path, tmp_path: Path, setup: Setup, args: list[str], code: int, words: str
) -> None:
    setup(tmp_path)
    before = sorted(p.name for p in Path().iterdir())
    contents = snapshot(Path())

    result = runner.invoke(app, args)

    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = result.output.strip().splitlines()
    assert len(message) == 1, result.output
    assert message[0].startswith("mlpath: ") and words in message[0], message[0]
    if "new" in args[:2]:  # a refused `new` or `classroom new` leaves nothing behind
        assert sorted(p.name for p in Path().iterdir()) == before
    if args[0] in ("check", "diff", "changelog"):  # the read-only commands change nothing
        assert snapshot(Path()) == contents


# Bad input to the classroom's term commands, on a one-student class made without --exercises
# or a remote (the classroom tests' template): (id, the arguments, the exit code, words).
CLASSROOM_CATALOGUE: list[tuple[str, list[str], int, str]] = [
    (
        "classroom collect malformed deadline",
        ["classroom", "collect", "class", "--deadline", "tomorrow"],
        2,
        "--deadline 'tomorrow': expected an ISO date and time with its timezone",
    ),
    (
        "classroom collect deadline without timezone",
        ["classroom", "collect", "class", "--deadline", "2027-01-15T23:59"],
        2,
        "no timezone",
    ),
    (
        "classroom export unknown format",
        ["classroom", "export", "class", "--format", "blackboard"],
        2,
        "expected one of canvas, moodle, csv",
    ),
    (
        "classroom export before grading",
        ["classroom", "export", "class", "--format", "canvas"],
        2,
        "no gradebook yet",
    ),
    (
        "classroom similarity without exercises",
        ["classroom", "similarity", "class"],
        2,
        "not an exercise-mode class",
    ),
    (
        "classroom grade without exercises",
        ["classroom", "grade", "class"],
        2,
        "nothing to grade",
    ),
    (
        "classroom add a missing roster",
        ["classroom", "add", "class", "--roster", "missing.csv"],
        2,
        "--roster missing.csv: no such file",
    ),
    ("classroom remove a stranger", ["classroom", "remove", "class", "zed"], 2, "zed: not a"),
]


@pytest.mark.usefixtures("classroom_env")
@pytest.mark.parametrize(
    ("args", "code", "words"), [pytest.param(*row[1:], id=row[0]) for row in CLASSROOM_CATALOGUE]
)
def test_classroom_error_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], code: int, words: str
) -> None:
    out = new_class(tmp_path, ["ada"], exercises=False)  # tmp_path/class
    monkeypatch.chdir(tmp_path)
    before = snapshot(out)

    result = runner.invoke(app, args)

    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    message = result.output.strip().splitlines()
    assert len(message) == 1, result.output
    assert message[0].startswith("mlpath: ") and words in message[0], message[0]
    assert snapshot(out) == before  # nothing changed


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_home_not_writable(installation: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/sys/no-home-here")
    result = runner.invoke(app, ["list"])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "cannot write the template history" in lines[0], result.output


def test_classroom_os_errors_are_one_line(
    installation: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity = tmp_path / "gitconfig"
    identity.write_text("[user]\n\tname = Instructor\n\temail = instructor@example.org\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(identity))
    a_roster_and_a_file(tmp_path)
    args = ["classroom", "new", "rag-eval", "--roster", "roster.csv", "--out", "/sys/mlpath/c"]

    result = runner.invoke(app, args)

    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert result.output.startswith("mlpath: /sys/mlpath"), result.output
