"""Each template's hidden grading suite against both renderings of the same source.

The full rendering is the reference solution: the suite passes on it. The exercise rendering is
the starter: every test of the suite fails on it, the starter's own lint and typecheck pass, and
its visible tests fail only where they reach an exercise (NotImplementedError("exercise: ...")).
Slow (one install per template): marked `harness`.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mlpath.classroom import grading, suites
from tests import harness

TEMPLATES = sorted(p.name for p in suites.CHECKOUT.iterdir() if p.is_dir())
LIGHT_ANSWERS = {"rag-eval": {"dense_retrieval": False}}


@pytest.fixture(scope="module")
def template_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return harness.template_snapshot(tmp_path_factory.mktemp("src"))


def suite_run(project: Path, python: Path, suite: Path) -> grading.Grade:
    spec = grading.RunSpec("check", project, "", "", suite, python, timeout_s=900)
    return grading.run_suite(spec)


def visible_failures(project: Path) -> dict[str, str]:
    report = project / "visible.xml"
    subprocess.run(
        [
            ".venv/bin/python",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
        ],
        cwd=project,
        env=harness.project_env(project),
        capture_output=True,
        check=False,
    )
    failures = {}
    for case in ET.parse(report).iter("testcase"):
        for problem in [*case.iter("failure"), *case.iter("error")]:
            name = f"{case.get('classname')}::{case.get('name')}"
            failures[name] = (problem.get("message") or "") + (problem.text or "")
    return failures


@pytest.mark.harness
@pytest.mark.parametrize("template", TEMPLATES)
def test_suite_passes_on_the_solution_and_fails_on_the_starter(
    template: str, template_src: Path, tmp_path: Path
) -> None:
    data = LIGHT_ANSWERS.get(template, {})
    reference = harness.generate(template, tmp_path / "reference", data, template_src)
    starter = harness.generate(
        template, tmp_path / "starter", {**data, "exercises": True}, template_src
    )
    harness.install(starter)  # one environment; PYTHONPATH puts each rendering's src first
    python = starter / ".venv" / "bin" / "python"
    suite = suites.CHECKOUT / template

    solved = suite_run(reference, python, suite)
    assert solved.total > 0 and solved.passed == solved.total, [
        (r.nodeid, r.message[:300]) for r in solved.results if not r.passed
    ]
    unsolved = suite_run(starter, python, suite)
    assert unsolved.passed == 0, [r.nodeid for r in unsolved.results if r.passed]
    assert all("NotImplementedError" in r.message for r in unsolved.results)

    for step in ("make lint", "make typecheck"):
        harness.run(step, starter, env=harness.project_env(starter))
    failures = visible_failures(starter)
    assert failures, "the starter's own tests should reach the exercises"
    # A failure reaches an exercise when it names one, or when a live server answered 500: the
    # exercise raised inside a request there, and a 500's body does not carry the exception. The
    # starter differs from the reference only in the exercise bodies, and the reference passes.
    reached = ("exercise:", "Internal Server Error", "500")
    not_exercise = {n: m[:300] for n, m in failures.items() if not any(r in m for r in reached)}
    assert not not_exercise, not_exercise
