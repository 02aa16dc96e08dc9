"""`mlpath classroom grade`: the hidden suite against each student's commit, in a sandbox.

The grading environment is built once per class (a venv under `_grading/env`, from the reference
solution's dependencies and its dev group) and shared, read-only: a student's `src/` is put on
the path, never installed. It is rebuilt only when the reference's pyproject.toml changes.

Each student's commit is streamed (`git archive`, after a check of its sizes) into a bubblewrap
sandbox (sandbox.py) and unpacked there on a tmpfs: not the working tree, not the history. A
split suite (`probe/` beside the checks, see grading/README.md) runs in two halves: in the
sandbox, mlpath's probe runner calls the suite's probes on the student's package and writes
their outputs to a descriptor (with a time limit per case, by SIGALRM, and one for the whole run
for code that blocks the alarm); outside, the suite's tests run on those outputs, read as
untrusted JSON (channel.py), in a process whose environment and path mlpath makes, so nothing of
the student's can change a verdict. A suite without `probe/` runs whole inside the sandbox, with
pytest and pytest-timeout, as before the split (its verdicts could be forged; the CLI warns).
Whatever the code does (loop forever, call sys.exit or os._exit, fork a daemon, print without
end), the run ends or is stopped, its processes die with its PID namespace, what happened is
recorded, and the next student is graded. `--unsafe-no-sandbox` runs the same without bwrap.

Before the students, the suite runs against the reference solution (in the same sandbox): every
test must pass there, and that run names the tests a student's run is counted against (a test
that never ran, because the process died, counts as not run).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import git

from ..errors import MlpathError, UserError
from . import manifest, repos, sandbox, suites
from .manifest import Classroom, StudentRecord
from .results import TIMED_OUT, Grade, RunSpec, TestResult, not_run
from .runs import is_split, run_suite, student_package

__all__ = [
    "TIMED_OUT", "Grade", "RunSpec", "TestResult", "is_split", "run_suite", "student_package",
]  # fmt: skip

DEFAULT_TIMEOUT_S = 120
DEFAULT_TEST_TIMEOUT_S = 30
REFERENCE_TIMEOUT_S = 600  # the reference solution is trusted; only a broken machine is slower
GRADING_PLUGINS = ("pytest", "pytest-timeout")


class GradingSetupError(MlpathError):
    """The grading environment or the suite itself is broken (not a student's fault)."""


def grading_paths(folder: Path) -> tuple[Path, Path, Path]:
    grading = folder / manifest.GRADING_DIR
    return grading / "reference", grading / "tests", grading / "env"


def build_environment(folder: Path) -> Path:
    """The shared grading venv's python, built from the reference's dependencies when needed."""
    reference, _, env = grading_paths(folder)
    pyproject = reference / "pyproject.toml"
    if not pyproject.is_file():
        raise UserError(f"{folder}: no reference solution in {reference}; was it made --exercises?")
    stamp = env / "mlpath-env.json"
    wanted = {
        "pyproject": hashlib.sha256(pyproject.read_bytes()).hexdigest(),
        "python": sys.version,
        "plugins": " ".join(GRADING_PLUGINS),
    }
    python = env / "bin" / "python"
    if python.is_file() and stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        return python
    uv = shutil.which("uv")
    if uv is None:
        raise UserError(
            "classroom grade builds its environment with uv; install it (pip install uv)"
        )
    if env.exists():
        shutil.rmtree(env)
    install = [uv, "pip", "install", "--quiet", "--python", str(python)]
    steps = [
        [uv, "venv", "--quiet", "--python", sys.executable, str(env)],
        [*install, "-r", str(pyproject), "--group", f"{pyproject}:dev", *GRADING_PLUGINS],
    ]
    for step in steps:
        proc = subprocess.run(step, cwd=reference, capture_output=True, text=True)
        if proc.returncode != 0:
            shutil.rmtree(env, ignore_errors=True)
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise GradingSetupError(f"building the grading environment failed: {tail[0]}")
    stamp.write_text(json.dumps(wanted))
    return python


@dataclass(frozen=True)
class GradeOptions:
    folder: Path
    timeout_s: int = DEFAULT_TIMEOUT_S
    test_timeout_s: int = DEFAULT_TEST_TIMEOUT_S
    fetch: bool = False
    jobs: int | None = None
    sandboxed: bool = True


def check_reference(spec: RunSpec) -> tuple[str, ...]:
    grade = run_suite(spec)
    failing = [r for r in grade.results if not r.passed]
    if not grade.results:
        why = grade.problem or grade.output_tail[-300:]
        raise GradingSetupError(f"the grading suite collected no tests on the reference: {why}")
    if failing or grade.problem:
        first = failing[0] if failing else None
        detail = f"{first.nodeid}: {first.message[:300]}" if first else grade.problem
        raise GradingSetupError(
            f"the grading suite fails on the reference solution ({len(failing)} of "
            f"{grade.total} tests): {detail}"
        )
    return tuple(r.nodeid for r in grade.results)


def student_commit(folder: Path, record: StudentRecord, fetch: bool) -> tuple[str, str]:
    """The commit to grade (the collected submission, else HEAD of the student's main) and a
    problem, if there is one."""
    project = folder / record.path
    if record.submitted:  # `classroom collect` fetched it into this repository
        return record.submitted, ""
    try:
        if fetch and repos.has_remote(project):
            repos.fetch_latest(project)
        repo = git.Repo(project)
        return str(repo.commit("main").hexsha), ""
    except (git.GitCommandError, ValueError) as err:
        problem = repos.first_line(err) if isinstance(err, git.GitCommandError) else str(err)
        return repos.head_commit(
            project
        ), f"fetching the latest work failed ({problem}); graded the local main"
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.BadName) as err:
        return "", f"no repository to grade ({type(err).__name__})"


def grade_classroom(opts: GradeOptions) -> tuple[Classroom, list[str], list[Grade]]:
    folder = opts.folder.absolute()
    room = manifest.load(folder)
    if not room.exercises:
        raise UserError(
            f"{folder}: not an exercise-mode class (made without --exercises); nothing to grade"
        )
    reference, tests, _ = grading_paths(folder)
    if not sorted(tests.glob("test_*.py")):
        raise UserError(f"{folder}: no grading suite in {tests}")
    if opts.timeout_s <= 0:
        raise UserError(f"--timeout {opts.timeout_s}: expected a number of seconds > 0")
    if opts.test_timeout_s <= 0:
        raise UserError(f"--test-timeout {opts.test_timeout_s}: expected a number of seconds > 0")
    if opts.sandboxed:
        sandbox.check_available()
    python = build_environment(folder)
    package = student_package(reference / ".copier-answers.yml", room.data.get("package_name", ""))
    base = RunSpec(
        "reference",
        reference,
        "",
        package,
        tests,
        python,
        max(opts.timeout_s, REFERENCE_TIMEOUT_S),
        max(opts.test_timeout_s, REFERENCE_TIMEOUT_S),
        sandboxed=opts.sandboxed,
    )
    expected = check_reference(base)
    specs: list[RunSpec | Grade] = []
    for record in room.students:
        if record.state == manifest.REMOVED:
            continue  # archived by `classroom remove`: not in this gradebook
        if not record.has_repo:
            specs.append(
                Grade(
                    record.handle,
                    "",
                    not_run(base_with(base, expected), "no repository"),
                    "no repository: generation failed",
                )
            )
            continue
        commit, problem = student_commit(folder, record, opts.fetch)
        if not commit:
            specs.append(
                Grade(record.handle, "", not_run(base_with(base, expected), problem), problem)
            )
            continue
        specs.append(
            RunSpec(
                record.handle,
                folder / record.path,
                commit,
                package,
                tests,
                python,
                opts.timeout_s,
                opts.test_timeout_s,
                expected,
                sandboxed=opts.sandboxed,
                note=problem,
            )
        )
    workers = opts.jobs or max(1, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:  # each run is its own process
        grades = list(pool.map(lambda s: s if isinstance(s, Grade) else grade_student(s), specs))
    return room, suites.exercises_of(tests), grades


def base_with(spec: RunSpec, expected: tuple[str, ...]) -> RunSpec:
    return dataclasses.replace(spec, expected=expected)


def grade_student(spec: RunSpec) -> Grade:
    """One student's grade; a problem with their commit (a failed fetch) leads the problem."""
    grade = run_suite(spec)
    if not spec.note:
        return grade
    problem = "; ".join(p for p in (spec.note, grade.problem) if p)
    return dataclasses.replace(grade, problem=problem)
