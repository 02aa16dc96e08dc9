"""`mlpath classroom grade`: the hidden suite against each student's commit, in isolation.

The grading environment is built once per class (a venv under `_grading/env`, from the reference
solution's dependencies and its dev group) and shared: a student's `src/` is put on the path, never
installed. It is rebuilt only when the reference's pyproject.toml changes (after an update).

Each student is graded on a throwaway folder holding the files of their commit (`git archive`:
not the working tree, not the history), the hidden tests beside it, in its own process group
with a time limit per test (pytest-timeout, by SIGALRM: a test that hangs fails as "timed out"
and the next test runs) and one for the whole run (for code that blocks the alarm or hangs
outside a test), a cap on what it may print and on the size of files it writes, and a HOME
and TMPDIR of its own. Whatever the code does (loop forever, call sys.exit or os._exit, delete
files, print without end), the run is stopped or ends, what happened is recorded, and the next
student is graded. The student's repository and `_grading/` are only read.

Before the students, the suite runs against the reference solution: every test must pass there,
and that run names the tests a student's run is counted against (a test that never ran, because
the process died, counts as failed).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import git

from ..errors import MlpathError, UserError
from . import manifest, repos, suites
from .manifest import Classroom, StudentRecord

DEFAULT_TIMEOUT_S = 120
DEFAULT_TEST_TIMEOUT_S = 30
REFERENCE_TIMEOUT_S = 600  # the reference solution is trusted; only a broken machine is slower
TIMED_OUT = "timed out"
PYTEST_TIMEOUT_MESSAGE = re.compile(r"Timeout \(>[0-9.]+s\) from pytest-timeout")
GRADING_PLUGINS = ("pytest", "pytest-timeout")
MAX_OUTPUT_BYTES = 10 * 1024 * 1024
KEPT_OUTPUT_BYTES = 8 * 1024
RECORDER = Path(__file__).with_name("_recorder.py")
PYTEST_INI = "[pytest]\naddopts =\nconsider_namespace_packages = false\n"


class GradingSetupError(MlpathError):
    """The grading environment or the suite itself is broken (not a student's fault)."""


@dataclass(frozen=True)
class TestResult:
    nodeid: str
    exercise: str
    outcome: str  # passed, failed, error, timed out, skipped, not run
    doc: str = ""
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass(frozen=True)
class Grade:
    handle: str
    commit: str
    results: tuple[TestResult, ...] = ()
    problem: str = ""  # what went wrong with the run as a whole, in plain words
    output_tail: str = ""

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def errors(self) -> int:
        return sum(r.outcome == "error" for r in self.results)

    @property
    def timed_out(self) -> list[str]:
        return [r.nodeid for r in self.results if r.outcome == TIMED_OUT]

    def exercise_passed(self, exercise: str) -> bool:
        mine = [r for r in self.results if r.exercise == exercise]
        return bool(mine) and all(r.passed for r in mine)


@dataclass(frozen=True)
class RunSpec:
    """What one grading run needs; the same for the reference and for each student."""

    handle: str
    repo: Path  # a git repository, or a plain folder (the reference solution)
    commit: str
    package: str
    suite: Path
    python: Path
    timeout_s: int
    # None: no limit per test (an environment without pytest-timeout; build_environment's has it)
    test_timeout_s: int | None = None
    expected: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RunOutput:
    returncode: int | None
    timed_out: bool
    output_bytes: int
    output_tail: str


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


def student_package(project_answers: Path, fallback: str) -> str:
    """The package name the student's answers record (validated), else the class's."""
    try:
        import yaml

        recorded = yaml.safe_load(project_answers.read_text()) or {}
        name = str(recorded.get("package_name", fallback))
    except (OSError, ValueError):
        return fallback
    return name if name.isidentifier() else fallback


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(
        p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def drain(stream: object, keep: bytearray, count: list[int], on_limit: threading.Event) -> None:
    reader = stream.read1 if hasattr(stream, "read1") else stream.read  # type: ignore[attr-defined]
    while chunk := reader(65536):
        count[0] += len(chunk)
        keep.extend(chunk)
        del keep[:-KEPT_OUTPUT_BYTES]
        if count[0] > MAX_OUTPUT_BYTES:
            on_limit.set()


def run_pytest(cmd: list[str], cwd: Path, env: dict[str, str], timeout_s: int) -> RunOutput:
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    tail = bytearray()
    count = [0]
    too_much = threading.Event()
    reader = threading.Thread(target=drain, args=(proc.stdout, tail, count, too_much), daemon=True)
    reader.start()
    timed_out = False
    deadline = time.monotonic() + timeout_s
    try:
        while not too_much.is_set():
            try:
                proc.wait(timeout=0.25)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    timed_out = True
                    break
    finally:
        kill_group(proc.pid)  # the run and anything it started
        proc.wait()
        reader.join(timeout=5)
    returncode = None if (timed_out or too_much.is_set()) else proc.returncode
    return RunOutput(returncode, timed_out, count[0], tail.decode("utf-8", "replace"))


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_suite(spec: RunSpec) -> Grade:
    with tempfile.TemporaryDirectory(prefix="mlpath-grade-") as tmp:
        work = Path(tmp)
        project, tests, plugin = work / "project", work / "grading", work / "plugin"
        for folder in (work / "home", work / "tmp", plugin):
            folder.mkdir()
        try:
            if (spec.repo / ".git").exists():
                repos.export_commit(spec.repo, spec.commit, project)
            else:
                shutil.copytree(spec.repo, project, ignore=suites.IGNORED)
        except (subprocess.CalledProcessError, OSError) as err:
            return Grade(
                spec.handle,
                spec.commit,
                not_run(spec, "not graded"),
                f"cannot read the commit ({err})",
            )
        shutil.copytree(spec.suite, tests, ignore=suites.IGNORED)
        (tests / "pytest.ini").write_text(PYTEST_INI)
        shutil.copy2(RECORDER, plugin / "_mlpath_recorder.py")
        results = work / "results.jsonl"
        results.touch()
        before = tree_digest(tests)
        package = student_package(project / ".copier-answers.yml", spec.package)
        env = {
            "PATH": f"{spec.python.parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(work / "home"),
            "TMPDIR": str(work / "tmp"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join([str(project / "src"), str(plugin)]),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "MPLBACKEND": "Agg",
            "HF_HUB_OFFLINE": "1",
            "MLPATH_PACKAGE": package,
            "MLPATH_GRADING_RESULTS": str(results),
        }
        cmd = [
            str(spec.python),
            "-m",
            "pytest",
            "-p",
            "_mlpath_recorder",
            "-p",
            "no:cacheprovider",
            *per_test_limit(spec.test_timeout_s),
            "-s",
            "-q",
            "-c",
            str(tests / "pytest.ini"),
            "--rootdir",
            str(tests),
            "--confcutdir",
            str(tests),
            str(tests),
        ]
        out = run_pytest(cmd, project, env, spec.timeout_s)
        tampered = not (tests / "pytest.ini").is_file() or tree_digest(tests) != before
        return assemble(spec, read_results(results), out, tampered)


def per_test_limit(seconds: int | None) -> list[str]:
    if seconds is None:
        return []
    # signal: SIGALRM fails the test and the run goes on ("thread" would end the whole run)
    return [f"--timeout={seconds}", "--timeout-method=signal"]


def read_results(path: Path) -> list[dict[str, str]]:
    records = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("nodeid"), str):
            records.append({str(k): str(v) for k, v in record.items()})
    return records


def exercise_of(nodeid: str) -> str:
    return Path(nodeid.split("::")[0]).stem.removeprefix("test_")


def not_run(spec: RunSpec, message: str) -> tuple[TestResult, ...]:
    return tuple(TestResult(n, exercise_of(n), "not run", message=message) for n in spec.expected)


def outcomes(records: list[dict[str, str]]) -> dict[str, TestResult]:
    docs = {r["nodeid"]: r.get("doc", "") for r in records if r.get("when") == "collected"}
    found: dict[str, TestResult] = {}
    for r in records:
        when, outcome, nodeid = r.get("when"), r.get("outcome"), r["nodeid"]
        if when not in {"setup", "call", "teardown"} or outcome is None:
            continue
        previous = found.get(nodeid)
        if previous is not None and previous.outcome in {"failed", "error", TIMED_OUT}:
            continue  # the first problem is the one to report
        if outcome == "failed" and PYTEST_TIMEOUT_MESSAGE.search(r.get("message", "")):
            verdict = TIMED_OUT
        elif outcome == "failed":
            verdict = "failed" if when == "call" else "error"
        elif outcome == "skipped":
            verdict = "skipped"
        elif when == "call":
            verdict = "passed"
        else:
            continue
        found[nodeid] = TestResult(
            nodeid, exercise_of(nodeid), verdict, docs.get(nodeid, ""), r.get("message", "")
        )
    for nodeid, doc in docs.items():
        found.setdefault(nodeid, TestResult(nodeid, exercise_of(nodeid), "not run", doc))
    return found


def assemble(spec: RunSpec, records: list[dict[str, str]], out: RunOutput, tampered: bool) -> Grade:
    found = outcomes(records)
    expected = spec.expected or tuple(found)  # the reference's collection order
    problem = ""
    if out.timed_out:
        problem = (
            f"stopped after {spec.timeout_s} s: the tests did not finish "
            "(an endless loop, or very slow code)"
        )
    elif out.output_bytes > MAX_OUTPUT_BYTES:
        problem = f"stopped: printed more than {MAX_OUTPUT_BYTES // (1024 * 1024)} MB of output"
    else:
        missing = sum(found.get(n) is None or found[n].outcome == "not run" for n in expected)
        if out.returncode not in (0, 1) or missing:
            collect = [r for r in records if r.get("when") == "collect"]
            problem = f"the test process ended early (exit code {out.returncode})" + (
                f": {first_line(collect[0]['message'])}" if collect else ""
            )
            if missing:
                problem += f"; {missing} of {len(expected)} tests did not run"
    if tampered:
        problem = "the grading tests were changed or deleted during the run; no test counts"
        found = {}
    results = []
    for nodeid in expected:
        result = found.get(nodeid)
        if result is None or (tampered and result.passed):
            why = problem or "the test did not run"
            result = TestResult(nodeid, exercise_of(nodeid), "not run", message=why)
        elif result.outcome == "not run" and problem:
            result = TestResult(nodeid, result.exercise, "not run", result.doc, problem)
        results.append(result)
    return Grade(spec.handle, spec.commit, tuple(results), problem, out.output_tail)


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("E ")]
    return (errors[-1][1:].strip() if errors else lines[-1] if lines else "")[:300]


@dataclass(frozen=True)
class GradeOptions:
    folder: Path
    timeout_s: int = DEFAULT_TIMEOUT_S
    test_timeout_s: int = DEFAULT_TEST_TIMEOUT_S
    fetch: bool = False
    jobs: int | None = None


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
    """The commit to grade (HEAD of the student's main) and a problem, if there is one."""
    project = folder / record.path
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
    )
    expected = check_reference(base)
    specs: list[RunSpec | Grade] = []
    for record in room.students:
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
            )
        )
    workers = opts.jobs or max(1, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:  # each run is its own process
        grades = list(pool.map(lambda s: s if isinstance(s, Grade) else run_suite(s), specs))
    return room, suites.exercises_of(tests), grades


def base_with(spec: RunSpec, expected: tuple[str, ...]) -> RunSpec:
    return RunSpec(
        spec.handle,
        spec.repo,
        spec.commit,
        spec.package,
        spec.suite,
        spec.python,
        spec.timeout_s,
        spec.test_timeout_s,
        expected,
    )
