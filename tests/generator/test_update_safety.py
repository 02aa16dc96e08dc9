"""An update never loses work: deletions the user changed, interrupts at any moment, monorepos.

The interrupt tests check the one promise an update makes: afterwards the project is either
exactly at its previous HEAD with a clean tree, or exactly what an uninterrupted update gives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlpath import landing, update
from mlpath.cli import app
from tests.conftest import git

runner = CliRunner()


def generate_old(name: str = "p") -> Path:
    result = runner.invoke(app, ["new", "rag-eval", name, "--defaults", "--vcs-ref", "v0.1.0"])
    assert result.exit_code == 0, result.output
    return Path(name).absolute()


def commit_all(repo: Path, message: str = "my changes") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def snapshot(project: Path) -> dict[str, bytes]:
    """Every file of the working tree but .git, as bytes."""
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


def is_clean_at(project: Path, head: str) -> bool:
    status = git(project, "status", "--porcelain", "--untracked-files=all", "--", ".")
    return git(project, "rev-parse", "HEAD").strip() == head and status == ""


def test_a_deleted_or_renamed_file_the_user_changed_is_kept_as_a_conflict(
    installation: Path,
) -> None:
    project = generate_old()
    with (project / "removed_in_v2.txt").open("a") as out:
        out.write("my note that must survive\n")
    with (project / "old_name.txt").open("a") as out:
        out.write("my line in the renamed file\n")
    commit_all(project)

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code == 3, result.output
    assert "my note that must survive" in (project / "removed_in_v2.txt").read_text()
    assert "my line in the renamed file" in (project / "old_name.txt").read_text()
    assert (project / "new_name.txt").is_file()
    assert "C removed_in_v2.txt  (the template deletes it; kept because you changed it)" in (
        result.output
    )
    assert "C old_name.txt -> new_name.txt" in result.output
    assert "removed_in_v2.txt" in result.output.splitlines()[-1]  # named in the conflict line


def test_summary_uses_git_letters_and_counts(installation: Path) -> None:
    project = generate_old()

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    assert "A added_in_v2.txt" in lines
    assert "M README.md" in lines
    assert "D removed_in_v2.txt" in lines
    assert "R old_name.txt -> new_name.txt" in lines
    assert "1 added, 3 modified, 1 deleted, 1 renamed, 0 conflicts" in lines
    assert "new answer recorded: log_format = 'json'" in lines
    assert not (project / "removed_in_v2.txt").exists()
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["log_format"] == "json"


def test_interrupt_while_computing_leaves_the_project_at_head(
    installation: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = generate_old()
    head = git(project, "rev-parse", "HEAD").strip()
    real_update = update.run_copier_update

    def update_then_interrupt(*args: object, **kwargs: object) -> None:
        real_update(*args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt

    monkeypatch.setattr(update, "run_copier_update", update_then_interrupt)
    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code == 130
    assert "the project was not changed" in result.output
    assert is_clean_at(project, head)


def test_a_landing_that_dies_half_way_is_undone_by_the_next_command(
    installation: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = generate_old()
    head = git(project, "rev-parse", "HEAD").strip()
    reference = tmp_path / "reference"
    git(tmp_path, "clone", "-q", str(project), str(reference))
    assert runner.invoke(app, ["update", str(reference), "--defaults"]).exit_code == 0
    copied = []
    real_copy = landing.copy_file

    def copy_two_then_die(source: Path, target: Path) -> None:
        if len(copied) == 2:
            raise SystemExit("power cut")  # what SIGKILL leaves: some files written, no cleanup
        copied.append(target)
        real_copy(source, target)

    with monkeypatch.context() as patch:
        patch.setattr(landing, "copy_file", copy_two_then_die)
        runner.invoke(app, ["update", str(project), "--defaults"])
    assert len(copied) == 2
    assert not is_clean_at(project, head)  # half-landed

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code == 0, result.output
    assert "an earlier update died while landing" in result.output
    assert snapshot(project) == snapshot(reference)


def mlpath_in_subprocess(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["mlpath", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL])
def test_a_signal_at_any_moment_leaves_old_head_or_the_whole_update(
    installation: Path, tmp_path: Path, signum: int
) -> None:
    project = generate_old()
    with (project / "app.py").open("a") as out:
        out.write("MINE = True\n")
    commit_all(project)
    head = git(project, "rev-parse", "HEAD").strip()
    before = snapshot(project)
    reference = tmp_path / "reference"
    git(tmp_path, "clone", "-q", str(project), str(reference))
    started = time.monotonic()
    assert runner.invoke(app, ["update", str(reference), "--defaults"]).exit_code == 0
    after = snapshot(reference)
    duration = max(time.monotonic() - started, 1.0)

    outcomes = set()
    for fraction in (0.1, 0.35, 0.6, 0.85, 1.1):
        proc = mlpath_in_subprocess(["update", ".", "--defaults"], project)
        time.sleep(duration * fraction * 1.5)  # the subprocess also pays for its imports
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
        assert "Traceback" not in err, err
        if signum == signal.SIGKILL:  # the journal, if any, is undone by the next command
            landing.recover(project)
        state = snapshot(project)
        if is_clean_at(project, head) and state == before:
            outcomes.add("old")
        else:
            assert state == after, f"signal at {fraction:.0%}: neither the old HEAD nor the update"
            outcomes.add("updated")
            git(project, "checkout", "-q", "--", ".")
            git(project, "clean", "-qfd")
    assert outcomes  # every trial ended in one of the two states


def test_interrupting_new_leaves_no_folder_or_a_complete_project(installation: Path) -> None:
    for delay in (0.15, 0.5, 0.9, 1.4):  # from when the interpreter is up
        dest = Path(f"p-{delay}")
        proc = mlpath_in_subprocess(["new", "rag-eval", str(dest), "--defaults"], Path.cwd())
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert "Traceback" not in err, err
        if dest.exists():
            assert (dest / ".copier-answers.yml").is_file()
            assert git(dest, "log", "--oneline").count("\n") == 1, f"{delay}: no first commit"
            assert git(dest, "status", "--porcelain") == ""
        else:  # before Python's own SIGINT handler exists, the signal's default action ends it
            assert proc.returncode in {130, -signal.SIGINT}, err
            assert proc.returncode == -signal.SIGINT or "nothing was written" in err
        assert not any(p.name.startswith(".mlpath-") for p in Path.cwd().iterdir())


def test_an_interrupt_while_the_command_line_is_parsed_gets_the_one_line() -> None:
    """typer turns a KeyboardInterrupt outside a command into a silent exit 130 (CI saw one at
    0.9 s into `mlpath new`); before a command starts, mlpath's own handler says so and exits."""
    probe = (
        "import os, signal, sys, time\n"
        "import mlpath.__main__ as entry, mlpath.cli as cli\n"
        "def parsing():  # as typer: an interrupt outside a command becomes exit 130\n"
        "    try:\n"
        "        os.kill(os.getpid(), signal.SIGINT); time.sleep(5)\n"
        "    except KeyboardInterrupt:\n"
        "        sys.exit(130)\n"
        "cli.app = parsing\n"
        "sys.argv = ['mlpath', 'new', 'rag-eval', 'p']\n"
        "entry.main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 130
    assert proc.stderr == "mlpath: interrupted; nothing was written\n"


def test_project_inside_a_larger_repository(installation: Path) -> None:
    mono = Path("mono").absolute()
    mono.mkdir()
    git(mono, "init", "-q", "-b", "main")
    (mono / "NOTES.md").write_text("class notes\n")
    commit_all(mono, "start")
    result = runner.invoke(
        app, ["new", "rag-eval", "mono/proj", "--defaults", "--vcs-ref", "v0.1.0"]
    )
    assert result.exit_code == 0, result.output
    assert not (mono / "proj" / ".git").exists()  # the larger repository holds it
    commit_all(mono, "add the project")
    (mono / "NOTES.md").write_text("class notes, edited, not committed\n")

    status = runner.invoke(app, ["status", "mono/proj"])
    assert status.exit_code == 0, status.output
    assert f"repository: {mono}" in status.output

    result = runner.invoke(app, ["update", "mono/proj", "--defaults"])

    assert result.exit_code == 0, result.output
    assert "v0.1.0 -> v0.2.0" in result.output
    assert (mono / "NOTES.md").read_text() == "class notes, edited, not committed\n"
    changed = git(mono, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert all(line[3:].startswith(("proj/", "NOTES.md")) for line in changed), changed
    assert "Served by version two." in (mono / "proj" / "README.md").read_text()

    (mono / "proj" / "app.py").write_text("dirty\n")
    dirty = runner.invoke(app, ["update", "mono/proj"])
    assert dirty.exit_code == 2
    assert "uncommitted changes in" in dirty.output
    assert "NOTES.md" not in dirty.output  # only the project's own folder counts
