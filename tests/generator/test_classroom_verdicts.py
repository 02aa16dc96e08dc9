"""Split suites: the sandbox computes the student's outputs, the verdict is made outside it.

Each hostile student below commits the untouched starter (no working code) plus one way of
forging a verdict: a pytest plugin registered through a `*.dist-info` entry point in `src/`,
`sitecustomize`/`usercustomize` modules and a `.pth` file, pytest configuration and
PYTEST_ADDOPTS, records written straight into the results channel followed by an early exit,
and modules that shadow `pytest` and `json` from `src/` and the repository root. Every one of
them scores 0, an honest student scores full marks, and the suite's checks and expected values
are nowhere in the sandbox.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mlpath.classroom import channel, grading, repos
from mlpath.cli import app
from tests.generator.test_classroom_support import (
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
GRADE = ["--timeout", "60", "--test-timeout", "10", "--jobs", "2"]

PROBE_ADD = """\
def case_small(student):
    return student("calc").add(2, 3)


def case_negative(student):
    return student("calc").add(-2, -3)
"""
PROBE_MUL = """\
def case_small(student):
    return student("calc").mul(2, 3)


def case_zero(student):
    return student("calc").mul(7, 0)
"""
CHECK_ADD = '''\
def test_small(outputs):
    """add(2, 3) is 5."""
    assert outputs("add.small") == 5


def test_negative(outputs):
    """add works with negative numbers."""
    assert outputs("add.negative") == -5
'''
CHECK_MUL = '''\
def test_small(outputs):
    """mul(2, 3) is 6."""
    assert outputs("mul.small") == 6


def test_zero(outputs):
    """mul by zero is zero."""
    assert outputs("mul.zero") == 0
'''
NODEIDS = ["test_add.py::test_small", "test_add.py::test_negative", "test_mul.py::test_small",
           "test_mul.py::test_zero"]  # fmt: skip
# Claims every test passed, in the recorder's format, on every channel it can find; then leaves.
FORGE = f"""\
import json as _j, os as _o
def _forge():
    lines = []
    for nodeid in {NODEIDS!r}:
        lines.append(_j.dumps({{"nodeid": nodeid, "when": "collected", "doc": ""}}))
        for when in ("setup", "call", "teardown"):
            lines.append(_j.dumps({{"nodeid": nodeid, "when": when, "outcome": "passed"}}))
    lines.append(_j.dumps({{"case": "add.small", "outcome": "passed"}}))
    text = "\\n".join(lines) + "\\n"
    for name in ("MLPATH_GRADING_RESULTS",):
        if _o.environ.get(name):
            open(_o.environ[name], "a").write(text)
    for fd in range(3, 30):
        try:
            _o.write(fd, text.encode())
        except OSError:
            pass
_forge()
"""
EXIT = "import os as _o2\n_o2._exit(0)\n"
PLUGIN = """\
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
"""
ADDOPTS = "[pytest]\naddopts = -p evil_plugin -p no:_mlpath_recorder\n"
CONFTEST = PLUGIN + "\n" + FORGE


def hostile_files(kind: str) -> dict[str, str]:
    """The files one hostile student adds to the starter, by the way it tries to forge."""
    if kind == "plugin":
        return {
            "src/evil-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n",
            "src/evil-1.0.dist-info/entry_points.txt": "[pytest11]\nevil = evil_plugin\n",
            "src/evil_plugin.py": PLUGIN + FORGE,
        }
    if kind == "customize":
        return {
            "src/sitecustomize.py": FORGE + EXIT,
            "src/usercustomize.py": FORGE + EXIT,
            "sitecustomize.py": FORGE + EXIT,
            "src/evil.pth": "import evil_forge\n",
            "src/evil_forge.py": FORGE + EXIT,
        }
    if kind == "config":
        return {
            "pytest.ini": ADDOPTS,
            "tox.ini": ADDOPTS.replace("[pytest]", "[tool:pytest]"),
            "setup.cfg": ADDOPTS.replace("[pytest]", "[tool:pytest]"),
            "conftest.py": CONFTEST,
            "src/conftest.py": CONFTEST,
            "src/evil_plugin.py": PLUGIN,
            ".env": "PYTEST_ADDOPTS=-p evil_plugin\n",
        }
    if kind == "channel":  # at import of the exercise module: forge, then exit before any check
        return {"__calc_preamble__": FORGE + EXIT}
    if kind == "shadow":
        return {
            "src/pytest.py": FORGE + EXIT,
            "pytest.py": FORGE + EXIT,
            "src/json.py": FORGE + EXIT,
            "src/_pytest/__init__.py": FORGE + EXIT,
        }
    if kind == "environ":  # sets the variables pytest reads, then runs pytest itself
        return {
            "__calc_preamble__": (
                "import os, sys, subprocess\n"
                "os.environ['PYTEST_ADDOPTS'] = '-p evil_plugin'\n"
                "os.environ['PYTEST_PLUGINS'] = 'evil_plugin'\n" + FORGE
            ),
            "src/evil_plugin.py": PLUGIN,
        }
    raise AssertionError(kind)


HOSTILE = ["plugin", "customize", "config", "channel", "shadow", "environ"]


@pytest.fixture
def split_suites(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    classroom_env: Path,  # noqa: F811  (set up first: it points MLPATH_GRADING_SUITES elsewhere)
) -> Path:
    suite = tmp_path / "split-suites" / "rag-eval"
    (suite / "probe").mkdir(parents=True)
    (suite / "probe" / "add.py").write_text(PROBE_ADD)
    (suite / "probe" / "mul.py").write_text(PROBE_MUL)
    (suite / "test_add.py").write_text(CHECK_ADD)
    (suite / "test_mul.py").write_text(CHECK_MUL)
    monkeypatch.setenv("MLPATH_GRADING_SUITES", str(suite.parent))
    return suite


def make_class(tmp_path: Path, handles: list[str]) -> Path:
    out = tmp_path / "class"
    made = runner.invoke(
        app,
        ["classroom", "new", "rag-eval", "--roster", str(write_roster(tmp_path / "r.csv", handles)),
         "--out", str(out), "--exercises"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    return out


def add_files(project: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        if name == "__calc_preamble__":
            calc = next(project.glob("src/*/calc.py"))
            calc.write_text(text + calc.read_text())
            continue
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.mark.usefixtures("split_suites")
def test_no_hostile_student_changes_its_own_verdict(tmp_path: Path) -> None:
    handles = ["honest", "starter", "broken", *HOSTILE]
    out = make_class(tmp_path, handles)
    solve(out / "honest")
    add_files(out / "broken", {"__calc_preamble__": "def oops(:\n"})
    for kind in HOSTILE:
        add_files(out / kind, hostile_files(kind))
    for handle in handles:
        (out / handle / "notes.txt").write_text(handle)  # every student has a commit of their own
        commit(out / handle, f"{handle}'s work")

    result = runner.invoke(app, ["classroom", "grade", str(out), *GRADE])

    assert result.exit_code == 0, result.output
    assert "has no probe/ folder" not in result.output
    rows = {
        r["handle"]: r for r in csv.DictReader((out / "gradebook.csv").read_text().splitlines())
    }
    scores = {h: (r["tests_passed"], r["tests_total"]) for h, r in rows.items()}
    zero = dict.fromkeys(["starter", "broken", *HOSTILE], ("0", "4"))
    assert scores == {"honest": ("4", "4"), **zero}
    assert rows["broken"]["errors"] == "4"  # the package does not import: every test errors
    assert "could not be imported" in (out / "feedback" / "broken.md").read_text()
    assert "not implemented yet" in (out / "feedback" / "starter.md").read_text()
    assert "ended early (exit code 0)" in rows["channel"]["problem"]


LISTING = """\
import os


def case_seen(student):
    return sorted(os.path.join(d, f) for d, _, fs in os.walk("/grading") for f in fs)
"""


@pytest.mark.usefixtures("split_suites")
def test_the_sandbox_sees_the_probes_but_no_check_and_no_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = make_class(tmp_path, ["curious"])
    _, tests, _ = grading.grading_paths(out)
    (tests / "probe" / "zz_list.py").write_text(LISTING)  # a probe that lists what it sees
    spec = grading.RunSpec(
        "curious", out / "curious", repos.head_commit(out / "curious"), "", tests,
        grading.build_environment(out), 60, 10,
    )  # fmt: skip
    handed_out: dict[str, dict[str, Any]] = {}
    real = channel.write_checked
    monkeypatch.setattr(
        channel, "write_checked", lambda got, path: (handed_out.update(got), real(got, path))
    )

    grading.run_suite(spec)

    seen = handed_out["zz_list.seen"]["value"]
    assert "/grading/tests/probe/add.py" in seen and "/grading/plugin/_mlpath_probe.py" in seen
    secrets = [f for f in seen if f.endswith(("test_add.py", "test_mul.py", "_checker.py"))]
    assert secrets == []
    assert not any("reference" in f or f.endswith("pyproject.toml") for f in seen)


@pytest.mark.usefixtures("split_suites")
def test_a_split_suite_grades_the_same_without_the_sandbox(tmp_path: Path) -> None:
    out = make_class(tmp_path, ["honest", "starter"])
    solve(out / "honest")
    for handle in ("honest", "starter"):
        (out / handle / "notes.txt").write_text(handle)
        commit(out / handle)

    books = []
    for extra in ([], ["--unsafe-no-sandbox"]):
        result = runner.invoke(app, ["classroom", "grade", str(out), *GRADE, *extra])
        assert result.exit_code == 0, result.output
        books.append((out / "gradebook.csv").read_text())

    assert books[0] == books[1]
    assert "honest,pass,pass,4,4" in books[0] and "starter,fail,fail,0,4" in books[0]
