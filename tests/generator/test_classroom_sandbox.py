"""`mlpath classroom grade` runs every student in a bubblewrap sandbox.

A hostile student tries, at import, everything issue 18 lists: read the hidden suite and the
reference solution, write to the instructor's HOME and the class folder, change the grading
environment, reach the network and the grader's processes, and leave a double-forked setsid
daemon behind. Each attempt that succeeds would make `add` correct, so an escape shows in the
grade itself; `mul` is always correct, which shows the code ran. Hashes of the class folder,
`_grading/` (its environment included), the remotes and HOME are equal before and after, no
process of the student's survives, and grading twice writes the same gradebook.
"""

from __future__ import annotations

import csv
import hashlib
import os
import pwd
import shutil
import socket
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.classroom import sandbox
from mlpath.cli import app
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
MARKER = "mlpath-hostile-daemon-7f3a"

HOSTILE = """\
import os, socket, sys, time
SECRETS = {secrets!r}
WRITABLE = {writable!r}
ESCAPES = []
for path in SECRETS:
    try:
        with open(path) as f:
            f.read(1)
        ESCAPES.append("read " + path)
    except OSError:
        pass
for folder in WRITABLE:
    try:
        with open(os.path.join(folder, "pwned.txt"), "w") as f:
            f.write("pwned")
        ESCAPES.append("wrote " + folder)
    except OSError:
        pass
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    ESCAPES.append("network")
except OSError:
    pass
if os.path.exists("/proc/{grader}/cmdline"):
    with open("/proc/{grader}/cmdline", "rb") as f:
        if b"pytest" in f.read() and {grader} > 1:
            ESCAPES.append("saw the grader")
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", "{marker}"])
    os._exit(0)
time.sleep(0.2)
print("escapes:", ESCAPES)
ESCAPED = bool(ESCAPES)
"""
HOSTILE_ADD = "def add(a: int, b: int) -> int:\n    return a + b if ESCAPED else a - b\n"


def tree_hash(*roots: Path) -> str:
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_symlink():
                digest.update(f"{path} -> {os.readlink(path)}".encode())
            elif path.is_file():
                digest.update(str(path).encode() + path.read_bytes())
            else:
                digest.update(str(path).encode())
    return digest.hexdigest()


def class_state(out: Path, remotes: Path, home: Path) -> str:
    kept = [p for p in out.iterdir() if p.name not in {"gradebook.csv", "feedback"}]
    return tree_hash(*sorted(kept), remotes, home)


def survivors() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and MARKER.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def hostile_student(project: Path, out: Path, home: Path, port: int) -> None:
    real_home = pwd.getpwuid(os.getuid()).pw_dir
    secrets = [
        str(out / "_grading" / "tests" / "test_add.py"),
        str(out / "_grading" / "tests" / "conftest.py"),
        str(out / "_grading" / "reference" / "pyproject.toml"),
        str(out / "classroom.toml"),
        str(out / "honest" / "pyproject.toml"),
        str(home / "secret.txt"),
    ]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = out / "_grading" / "env" / "lib" / version / "site-packages"  # built by the first grade
    writable = [str(out), str(out / "_grading"), str(site), str(home), real_home,
                "/grading/env", str(sandbox.INSIDE_ENV)]  # fmt: skip
    calc = next(project.glob("src/*/calc.py"))
    solve(project)
    text = calc.read_text()
    preamble = HOSTILE.format(
        secrets=secrets, writable=writable, port=port, grader=os.getpid(), marker=MARKER
    )
    text = text.replace('"""Two small functions a student writes."""\n', preamble)
    calc.write_text(text + "\n\n" + HOSTILE_ADD)
    commit(project, "hostile")
    git_push(project)


def git_push(project: Path) -> None:
    from tests.conftest import git

    git(project, "push", "-q", "origin", "main")


def test_a_hostile_student_escapes_nothing_and_leaves_nothing(tmp_path: Path, home: Path) -> None:
    (home / "secret.txt").write_text("the instructor's")
    handles = ["honest", "hostile"]
    remotes = tmp_path / "remotes"
    pattern = bare_remotes(remotes, handles)
    out = tmp_path / "class"
    made = runner.invoke(
        app,
        ["classroom", "new", "rag-eval", "--roster", str(write_roster(tmp_path / "r.csv", handles)),
         "--out", str(out), "--exercises", "--remote", pattern],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    solve(out / "honest")
    commit(out / "honest", "honest work")
    git_push(out / "honest")
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        # The first grade builds the environment; the hostile student is graded in both runs.
        hostile_student(out / "hostile", out, home, listener.getsockname()[1])
        first = runner.invoke(app, ["classroom", "grade", str(out), *GRADE])
        assert first.exit_code == 0, first.output
        assert survivors() == []
        book = (out / "gradebook.csv").read_text()
        before = class_state(out, remotes, home)

        second = runner.invoke(app, ["classroom", "grade", str(out), *GRADE])

        assert second.exit_code == 0, second.output
        assert survivors() == []  # the double-forked daemon died with the run
        assert class_state(out, remotes, home) == before
        assert (out / "gradebook.csv").read_text() == book
    finally:
        listener.close()
    rows = {r["handle"]: r for r in csv.DictReader(book.splitlines())}
    assert (rows["honest"]["add"], rows["honest"]["mul"]) == ("pass", "pass")
    # mul passing shows the hostile code ran; add failing shows none of its attempts worked.
    assert (rows["hostile"]["add"], rows["hostile"]["mul"]) == ("fail", "pass"), (
        out / "feedback" / "hostile.md"
    ).read_text()
    assert not (home / "pwned.txt").exists() and not (out / "pwned.txt").exists()


def test_grade_refuses_without_bwrap_unless_told_to_run_unsafe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "class"
    made = runner.invoke(
        app,
        ["classroom", "new", "rag-eval", "--roster", str(write_roster(tmp_path / "r.csv", ["ada"])),
         "--out", str(out), "--exercises"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    solve(out / "ada")
    commit(out / "ada")
    monkeypatch.setattr(sandbox, "bwrap", lambda: None)

    refused = runner.invoke(app, ["classroom", "grade", str(out)])

    assert refused.exit_code != 0
    lines = refused.output.strip().splitlines()
    assert len(lines) == 1 and "bwrap is not installed" in lines[0], refused.output
    assert sandbox.UNSAFE_FLAG in lines[0]
    assert not (out / "gradebook.csv").exists()

    unsafe = runner.invoke(app, ["classroom", "grade", str(out), sandbox.UNSAFE_FLAG])

    assert unsafe.exit_code == 0, unsafe.output
    assert "WARNING" in unsafe.output and "can be forged" in unsafe.output
    assert "ada,pass,pass,4,4" in (out / "gradebook.csv").read_text()
