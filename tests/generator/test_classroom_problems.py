"""No silent wrong grade: what goes wrong before a student's run is in the problem column and
in the printed summary (issue 18).

A remote that cannot be fetched and a remote whose main was force-pushed (diverged from the
class folder's) are graded on the local commit and say so; a commit with a file over the limit
is not graded and says why; a large file under the limit is streamed into the sandbox, not held
in memory.
"""

from __future__ import annotations

import csv
import resource
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

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
pytestmark = [
    pytest.mark.usefixtures("classroom_env"),
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap"),
]
GRADE = ["--timeout", "60", "--test-timeout", "20", "--jobs", "2"]
MB = 1024 * 1024


def make_class(tmp_path: Path, handles: list[str], remotes: Path | None = None) -> Path:
    out = tmp_path / "class"
    roster_csv = write_roster(tmp_path / "r.csv", handles)
    args = ["classroom", "new", "rag-eval", "--roster", str(roster_csv), "--out", str(out),
            "--exercises"]  # fmt: skip
    if remotes is not None:
        args += ["--remote", bare_remotes(remotes, handles)]
    made = runner.invoke(app, args)
    assert made.exit_code == 0, made.output
    return out


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    text = (out / "gradebook.csv").read_text()
    return {r["handle"]: r for r in csv.DictReader(text.splitlines())}


def test_unfetchable_and_diverged_remotes_are_named(tmp_path: Path) -> None:
    handles = ["fine", "gone", "forced"]
    remotes = tmp_path / "remotes"
    out = make_class(tmp_path, handles, remotes)
    for handle in handles:
        solve(out / handle)
        commit(out / handle, "solved")
        git(out / handle, "push", "-q", "origin", "main")
    shutil.rmtree(remotes / "gone.git")
    # Someone force-pushes a different history to the student's main.
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remotes / "forced.git"), str(other))
    git(other, "reset", "-q", "--hard", "HEAD~1")
    (other / "rewritten.txt").write_text("a different history")
    commit(other, "rewritten")
    git(other, "push", "-q", "--force", "origin", "main")

    result = runner.invoke(app, ["classroom", "grade", str(out), "--fetch", *GRADE])

    assert result.exit_code == 0, result.output
    rows = gradebook(out)
    assert rows["fine"]["problem"] == "" and rows["fine"]["tests_passed"] == "4"
    assert rows["gone"]["problem"].startswith("fetching the latest work failed")
    assert "graded the local main" in rows["gone"]["problem"]
    assert "diverged" in rows["forced"]["problem"]
    assert "problem: gone: fetching the latest work failed" in result.output
    assert "problem: forced:" in result.output and "diverged" in result.output


def test_a_file_over_the_limit_is_not_graded_and_says_why(tmp_path: Path) -> None:
    out = make_class(tmp_path, ["big", "fine"])
    solve(out / "big")
    with (out / "big" / "weights.bin").open("wb") as handle:
        handle.truncate(120 * MB)  # zeros: git compresses them to almost nothing
    commit(out / "big", "weights")

    result = runner.invoke(app, ["classroom", "grade", str(out), *GRADE])

    assert result.exit_code == 0, result.output
    problem = gradebook(out)["big"]["problem"]
    assert problem == (
        "not graded: the commit holds a file of 120 MB (weights.bin); the limit is 100 MB per file"
    )
    assert gradebook(out)["big"]["tests_passed"] == "0"


def test_a_large_file_under_the_limit_is_streamed_not_held(tmp_path: Path) -> None:
    out = make_class(tmp_path, ["large"])
    solve(out / "large")
    commit(out / "large", "solved")
    runner.invoke(app, ["classroom", "grade", str(out), *GRADE])  # builds the environment
    with (out / "large" / "data.bin").open("wb") as handle:
        handle.truncate(90 * MB)
    commit(out / "large", "data")
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    result = runner.invoke(app, ["classroom", "grade", str(out), *GRADE])

    assert result.exit_code == 0, result.output
    assert gradebook(out)["large"]["tests_passed"] == "4", gradebook(out)["large"]
    grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grew * 1024 < 30 * MB, f"grading grew this process by {grew // 1024} MB"
