"""`mlpath classroom new` and `status` on a small template repository with bare remotes."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mlpath.classroom import handout
from mlpath.cli import app
from tests.conftest import git
from tests.generator.test_classroom_support import (
    bare_remotes,
    classroom_env,  # noqa: F401  (fixture)
    commit,
    solve,
    write_roster,
)

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("classroom_env")
HANDLES = ["ada", "bob", "cy"]


def new_class(tmp_path: Path, *extra: str, handles: list[str] = HANDLES) -> tuple[Path, str]:
    roster_csv = write_roster(tmp_path / "roster.csv", handles)
    pattern = bare_remotes(tmp_path / "remotes", handles)
    out = tmp_path / "class"
    result = runner.invoke(
        app,
        [
            "classroom",
            "new",
            "rag-eval",
            "--roster",
            str(roster_csv),
            "--out",
            str(out),
            "--remote",
            pattern,
            "--jobs",
            "2",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    return out, result.output


def test_each_student_gets_a_repository_pushed_to_their_remote(tmp_path: Path) -> None:
    out, output = new_class(tmp_path, "--exercises")

    assert "3 of 3 students ready" in output
    room = tomllib.loads((out / "classroom.toml").read_text())
    assert room["classroom"]["template"] == "rag-eval"
    assert room["classroom"]["version"] == "v0.1.0"
    assert room["classroom"]["exercises"] is True
    assert [s["state"] for s in room["students"]] == ["pushed"] * 3
    for handle in HANDLES:
        repo = out / handle
        assert (repo / ".git").is_dir()  # its own repository, not the class folder's
        assert git(repo, "rev-parse", "--show-toplevel").strip() == str(repo)
        author = git(repo, "log", "-1", "--format=%an <%ae>").strip()
        assert author == "Prof Ada <ada@school.example>"
        assert git(repo, "log", "--format=%H").count("\n") == 1
        remote = tmp_path / "remotes" / f"{handle}.git"
        assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "HEAD")
        answers = (repo / ".copier-answers.yml").read_text()
        assert "exercises: true" in answers  # so an update keeps it a starter
        assert f"author_name: Student {handle}" in answers
        calc = (repo / "src" / handle / "calc.py").read_text()  # named after the folder
        assert "raise NotImplementedError" in calc and "return a + b" not in calc
        tracked = git(repo, "ls-files")
        assert "_grading" not in tracked and "test_add" not in tracked
    reference = next((out / "_grading" / "reference").glob("src/*/calc.py")).read_text()
    assert "return a + b" in reference and "NotImplementedError" not in reference
    assert (out / "_grading" / "tests" / "test_add.py").is_file()


def test_a_student_whose_generation_fails_is_reported_and_the_rest_go_on(tmp_path: Path) -> None:
    roster_csv = tmp_path / "roster.csv"
    roster_csv.write_text(
        "handle,name,email,project_name,section\n"
        "ada,Ada,ada@x.org,ada-calc,1\n"
        "bob,Bob,bob@x.org,Not_A_Valid_Name,1\n"
        "cy,Cy,cy@x.org,,2\n"
    )
    out = tmp_path / "class"
    result = runner.invoke(
        app, ["classroom", "new", "rag-eval", "--roster", str(roster_csv), "--out", str(out)]
    )

    assert result.exit_code == 1, result.output
    assert "2 of 3 students ready" in result.output
    assert "bob" in result.output and "failed" in result.output
    assert (out / "ada" / "src" / "ada_calc").is_dir()  # a roster column answered a question
    assert not (out / "bob").exists()
    assert (out / "cy" / "src" / "cy").is_dir()
    states = {
        s["handle"]: s["state"]
        for s in tomllib.loads((out / "classroom.toml").read_text())["students"]
    }
    assert states == {"ada": "generated", "bob": "failed", "cy": "generated"}


def test_a_push_the_remote_refuses_is_reported(tmp_path: Path) -> None:
    handles = ["ada", "bob"]
    roster_csv = write_roster(tmp_path / "roster.csv", handles)
    pattern = bare_remotes(tmp_path / "remotes", handles)
    other = tmp_path / "other"  # bob's remote already has someone else's main
    git(tmp_path, "clone", "-q", str(tmp_path / "remotes" / "bob.git"), str(other))
    (other / "x.txt").write_text("x\n")
    commit(other)
    git(other, "push", "-q", "origin", "HEAD:main")
    out = tmp_path / "class"
    result = runner.invoke(
        app,
        [
            "classroom",
            "new",
            "rag-eval",
            "--roster",
            str(roster_csv),
            "--out",
            str(out),
            "--remote",
            pattern,
        ],
    )

    assert result.exit_code == 1, result.output
    states = {
        s["handle"]: s["state"]
        for s in tomllib.loads((out / "classroom.toml").read_text())["students"]
    }
    assert states == {"ada": "pushed", "bob": "push failed"}
    assert (out / "bob" / ".git").is_dir()  # the repository is kept; only the push failed


@pytest.mark.parametrize(
    ("setup", "args", "expected"),
    [
        ("nonempty", [], "exists and is not empty"),
        ("none", ["--remote", "/tmp/remotes/repo.git"], "no {handle} in the pattern"),
        ("none", ["--remote", "/nonexistent/{handle}.git"], "is unreachable"),
        ("none", ["--data", "nosuch=1"], "no such question"),
        ("none", ["--vcs-ref", "v9.9.9"], "no such template version"),
        ("badroster", [], "no email column"),
        ("none", ["--template-name", "x"], ""),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_created(
    tmp_path: Path, setup: str, args: list[str], expected: str
) -> None:
    roster_csv = write_roster(tmp_path / "roster.csv", ["ada"])
    if setup == "badroster":
        roster_csv.write_text("handle,name\nada,Ada\n")
    out = tmp_path / "deep" / "class"
    if setup == "nonempty":
        out.mkdir(parents=True)
        (out / "keep.txt").write_text("mine\n")
    if args[:1] == ["--template-name"]:
        cmd = ["classroom", "new", "nosuch", "--roster", str(roster_csv), "--out", str(out)]
        expected = "unknown template"
    else:
        cmd = [
            "classroom",
            "new",
            "rag-eval",
            "--roster",
            str(roster_csv),
            "--out",
            str(out),
            *args,
        ]
    result = runner.invoke(app, cmd)

    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    if setup == "nonempty":
        assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    else:
        assert not (tmp_path / "deep").exists()


def test_no_git_identity_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("EMAIL", "")
    roster_csv = write_roster(tmp_path / "roster.csv", ["ada"])
    result = runner.invoke(
        app, ["classroom", "new", "rag-eval", "--roster", str(roster_csv), "--out", "class"]
    )
    assert result.exit_code == 2, result.output
    assert "no git identity" in result.output
    assert not Path("class").exists()


@pytest.mark.parametrize("command", ["status", "grade", "update"])
def test_a_folder_that_is_not_a_classroom(tmp_path: Path, command: str) -> None:
    result = runner.invoke(app, ["classroom", command, str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "not a classroom" in result.output


def test_status_shows_version_last_commit_worktree_and_remote(tmp_path: Path) -> None:
    out, _ = new_class(tmp_path, "--exercises")
    solve(out / "ada")
    commit(out / "ada", "solved add and mul")  # committed, not pushed: ahead 1
    (out / "bob" / "notes.txt").write_text("wip\n")  # uncommitted: dirty
    clone = tmp_path / "cy-laptop"  # cy pushed from elsewhere: behind 1 after a fetch
    git(tmp_path, "clone", "-q", str(tmp_path / "remotes" / "cy.git"), str(clone))
    (clone / "x.txt").write_text("x\n")
    commit(clone, "from my laptop")
    git(clone, "push", "-q", "origin", "main")

    result = runner.invoke(app, ["classroom", "status", str(out), "--fetch"])

    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[3:]}
    assert "v0.1.0" in lines["ada"] and "solved add and mul" in lines["ada"]
    assert "clean" in lines["ada"] and "ahead 1, behind 0" in lines["ada"]
    assert "dirty (1 files)" in lines["bob"]
    assert "ahead 0, behind 1" in lines["cy"]


def interrupt_the_second_student(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the class is being handed out: the second student's commit raises it."""
    real = handout.commit_and_push
    calls = []

    def commit_or_interrupt(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(handout, "commit_and_push", commit_or_interrupt)


def test_an_interrupted_hand_out_leaves_no_class_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster_csv = write_roster(tmp_path / "roster.csv", HANDLES)
    out = tmp_path / "term" / "class"
    interrupt_the_second_student(monkeypatch)
    args = ["classroom", "new", "rag-eval", "--roster", str(roster_csv), "--out", str(out)]

    result = runner.invoke(app, [*args, "--jobs", "1"])

    assert result.exit_code == 130, result.output
    assert result.output.strip() == (
        "mlpath: interrupted; nothing was written (no class folder was made)"
    )
    assert not (tmp_path / "term").exists()  # nor the parent it made
    assert not list(tmp_path.rglob(".mlpath-*"))  # no staging folder left either


def test_an_interrupted_hand_out_to_remotes_keeps_the_folder_for_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster_csv = write_roster(tmp_path / "roster.csv", HANDLES)
    pattern = bare_remotes(tmp_path / "remotes", HANDLES)
    out = tmp_path / "class"
    interrupt_the_second_student(monkeypatch)
    args = ["classroom", "new", "rag-eval", "--roster", str(roster_csv), "--out", str(out)]

    result = runner.invoke(app, [*args, "--remote", pattern, "--jobs", "1"])

    assert result.exit_code == 130, result.output
    assert "some students may already be pushed" in result.output
    assert f"mlpath classroom status {out}" in result.output
    assert (out / "classroom.toml").is_file()
    status = runner.invoke(app, ["classroom", "status", str(out)])
    assert status.exit_code == 0, status.output
