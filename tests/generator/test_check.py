"""`mlpath check`: exit 0 at the newest version, 4 behind; offline for built-ins and forks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlpath.cli import app
from tests.conftest import git

runner = CliRunner()


def generate(dest: str, *extra: str) -> Path:
    result = runner.invoke(app, ["new", "rag-eval", dest, "--defaults", *extra])
    assert result.exit_code == 0, result.output
    return Path(dest).absolute()


def check_json(*args: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["check", "--json", *args])
    return result.exit_code, json.loads(result.output)


def test_behind_exits_4_and_says_so(installation: Path) -> None:
    project = generate("p", "--vcs-ref", "v0.1.0")

    code, report = check_json(str(project))
    plain = runner.invoke(app, ["check", str(project)])

    assert code == 4
    assert report == {
        "template": "rag-eval",
        "version": "v0.1.0",
        "newest": "v0.2.0",
        "behind": True,
    }
    assert plain.exit_code == 4 and "behind v0.2.0" in plain.output


def test_newest_exits_0(installation: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = generate("p")
    monkeypatch.chdir(project)

    code, report = check_json()

    assert code == 0
    assert report == {
        "template": "rag-eval",
        "version": "v0.2.0",
        "newest": "v0.2.0",
        "behind": False,
    }


def test_after_update_it_is_current(installation: Path) -> None:
    project = generate("p", "--vcs-ref", "v0.1.0")
    assert runner.invoke(app, ["update", str(project), "--defaults"]).exit_code in (0, 3)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "update")

    assert check_json(str(project))[0] == 0


def test_under_another_home_with_only_mlpath(
    installation: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorded bundle path is per machine: a runner that never saw it places it again."""
    project = generate("p", "--vcs-ref", "v0.1.0")
    other = tmp_path / "runner-home"
    other.mkdir()
    monkeypatch.setenv("HOME", str(other))

    assert check_json(str(project)) == (
        4,
        {"template": "rag-eval", "version": "v0.1.0", "newest": "v0.2.0", "behind": True},
    )


def test_a_fork_by_path_offline(installation: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(Path(), "clone", "-q", "--bare", str(installation), "fork.git")
    project = generate("p", "--source", "fork.git", "--vcs-ref", "v0.1.0")
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")  # git may not use the network

    assert check_json(str(project))[0] == 4

    git(Path("fork.git"), "tag", "v0.3.0", "v0.2.0")  # the fork releases again
    assert check_json(str(project))[1]["newest"] == "v0.3.0"


def test_source_reads_another_copy_of_the_fork(installation: Path) -> None:
    """On a machine without the recorded path, --source names where the fork is."""
    git(Path(), "clone", "-q", "--bare", str(installation), "fork.git")
    project = generate("p", "--source", "fork.git", "--vcs-ref", "v0.1.0")
    Path("fork.git").rename("moved.git")

    gone = runner.invoke(app, ["check", str(project)])
    moved = check_json(str(project), "--source", "moved.git")

    assert gone.exit_code == 2 and "not a readable git repository" in gone.output
    assert moved[0] == 4 and moved[1]["newest"] == "v0.2.0"


def test_changes_nothing(installation: Path) -> None:
    project = generate("p", "--vcs-ref", "v0.1.0")
    before = git(project, "status", "--porcelain", "--ignored")
    answers = (project / ".copier-answers.yml").read_bytes()

    runner.invoke(app, ["check", str(project)])

    assert git(project, "status", "--porcelain", "--ignored") == before
    assert (project / ".copier-answers.yml").read_bytes() == answers
    assert yaml.safe_load(answers)["_commit"] == "v0.1.0"


def test_console_script_does_not_import_copier(installation: Path) -> None:
    """`mlpath check` runs on every CI schedule; Copier's and GitPython's imports are most of a
    second."""
    project = generate("p", "--vcs-ref", "v0.1.0")
    probe = (
        "import json, sys\n"
        "from mlpath.__main__ import main\n"
        f"sys.argv = ['mlpath', 'check', '--json', {str(project)!r}]\n"
        "try:\n    main()\nexcept SystemExit as done:\n"
        "    heavy = [m for m in ('copier', 'git', 'mlpath.classroom') if m in sys.modules]\n"
        "    print(json.dumps({'code': done.code, 'heavy': heavy}))\n"
    )

    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=os.environ, check=True
    )

    report, outcome = proc.stdout.strip().splitlines()
    assert json.loads(report)["behind"] is True
    assert json.loads(outcome) == {"code": 4, "heavy": []}
