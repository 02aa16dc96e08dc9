"""`mlpath diff`: the user's changes against a pristine render of the recorded version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.cli import app
from tests.conftest import git

runner = CliRunner()


def generate(dest: str, *extra: str) -> Path:
    result = runner.invoke(
        app, ["new", "rag-eval", dest, "--defaults", "--vcs-ref", "v0.1.0", *extra]
    )
    assert result.exit_code == 0, result.output
    return Path(dest).absolute()


def user_edits(project: Path) -> None:
    app_py = project / "app.py"
    app_py.write_text(app_py.read_text().replace("WORKERS = 1", "WORKERS = 2"))
    (project / "deleted_by_user.txt").unlink()
    (project / "mine.py").write_text("print('my own module')\n")


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_no_edits_is_empty(installation: Path) -> None:
    project = generate("p")

    result = runner.invoke(app, ["diff", str(project), "--exit-code"])

    assert result.exit_code == 0, result.output
    assert result.output == ""


def test_edits_deletions_and_additions_are_shown(installation: Path) -> None:
    project = generate("p")
    user_edits(project)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "mine")

    result = runner.invoke(app, ["diff", str(project)])
    code = runner.invoke(app, ["diff", str(project), "--exit-code"]).exit_code

    assert result.exit_code == 0 and code == 1
    out = result.output
    assert "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n" in out
    assert "-WORKERS = 1\n+WORKERS = 2\n" in out
    assert "deleted file mode 100644\n--- a/deleted_by_user.txt\n+++ /dev/null\n" in out
    assert "-the user removes this file\n" in out
    assert "new file mode 100644\n--- /dev/null\n+++ b/mine.py\n" in out
    assert "+print('my own module')\n" in out
    assert out.count("diff --git") == 3  # nothing else: not .git, not the answers file


def test_uncommitted_changes_count_too(installation: Path) -> None:
    project = generate("p")
    (project / "mine.py").write_text("x = 1\n")

    assert "+++ b/mine.py" in runner.invoke(app, ["diff", str(project)]).output


def test_the_diff_applies_to_a_fresh_render(installation: Path, tmp_path: Path) -> None:
    project = generate("p")
    user_edits(project)
    readme = project / "README.md"
    readme.write_text(readme.read_text().rstrip("\n"))  # a last line without a newline
    (project / "tool.sh").write_text("#!/bin/sh\n")
    (project / "tool.sh").chmod(0o755)
    patch = tmp_path / "changes.patch"
    patch.write_text(runner.invoke(app, ["diff", str(project)]).output)
    fresh = generate("fresh", "--no-git", "--data", "project_name=p")

    subprocess.run(["git", "apply", str(patch)], cwd=fresh, check=True, capture_output=True)

    assert files(fresh) == files(project)
    assert (fresh / "tool.sh").stat().st_mode & 0o111


def test_stat(installation: Path) -> None:
    project = generate("p")
    user_edits(project)

    result = runner.invoke(app, ["diff", str(project), "--stat"])

    assert result.output.splitlines() == [
        " app.py              | 2 +-",
        " deleted_by_user.txt | 1 -",
        " mine.py             | 1 +",
        " 3 files changed, 2 insertions(+), 2 deletions(-)",
    ]


def test_paths_limit_the_diff(installation: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = generate("p")
    user_edits(project)

    named = runner.invoke(app, ["diff", str(project), "app.py"]).output
    monkeypatch.chdir(project)
    from_inside = runner.invoke(app, ["diff", "mine.py"]).output

    assert named.count("diff --git") == 1 and "a/app.py" in named
    assert from_inside.count("diff --git") == 1 and "b/mine.py" in from_inside


def test_uv_lock_is_not_a_user_change(installation: Path) -> None:
    """`mlpath new` writes uv.lock, not the template; naming it shows it."""
    project = generate("p")
    (project / "uv.lock").write_text("version = 1\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "lock")

    assert runner.invoke(app, ["diff", str(project), "--exit-code"]).exit_code == 0
    assert "+++ b/uv.lock" in runner.invoke(app, ["diff", str(project), "uv.lock"]).output


def test_ignored_files_are_left_out_and_binaries_named(installation: Path) -> None:
    project = generate("p")
    (project / ".gitignore").write_text("*.log\n")
    (project / "run.log").write_text("noise\n")
    (project / "model.bin").write_bytes(b"\0\1\2")

    out = runner.invoke(app, ["diff", str(project)]).output

    assert "run.log" not in out
    assert "+++ b/.gitignore" in out
    assert "Binary files /dev/null and b/model.bin differ" in out


def test_a_project_without_git(installation: Path) -> None:
    project = generate("p", "--no-git")
    user_edits(project)

    out = runner.invoke(app, ["diff", str(project), "--stat"]).output

    assert "3 files changed" in out


def test_changes_nothing(installation: Path) -> None:
    project = generate("p")
    user_edits(project)
    before = files(project), git(project, "status", "--porcelain")

    runner.invoke(app, ["diff", str(project)])

    assert (files(project), git(project, "status", "--porcelain")) == before


def test_stat_bars_are_scaled_like_gits(installation: Path) -> None:
    project = generate("p")
    (project / "big.txt").write_text("line\n" * 100)
    (project / "small.txt").write_text("line\n" * 2)

    lines = runner.invoke(app, ["diff", str(project), "--stat"]).output.splitlines()

    assert lines[0] == " big.txt   | 100 " + "+" * 40
    assert lines[1] == " small.txt | 2 +"


def test_console_script_leaves_the_rest_of_the_cli_alone(installation: Path) -> None:
    """`mlpath diff` is one render: the classroom and the generator are not imported."""
    project = generate("p")
    user_edits(project)
    probe = (
        "import json, sys\n"
        "from mlpath.__main__ import main\n"
        f"sys.argv = ['mlpath', 'diff', '--stat', {str(project)!r}]\n"
        "try:\n    main()\nexcept SystemExit as done:\n"
        "    loaded = [m for m in ('mlpath.classroom', 'mlpath.generate') if m in sys.modules]\n"
        "    print(json.dumps({'code': done.code, 'loaded': loaded}))\n"
    )

    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    *stat, outcome = proc.stdout.strip().splitlines()
    assert stat[-1] == " 3 files changed, 2 insertions(+), 2 deletions(-)"
    assert json.loads(outcome) == {"code": 0, "loaded": []}
