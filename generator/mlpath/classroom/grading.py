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

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import git

from ..errors import MlpathError, UserError
from . import channel, manifest, process, repos, sandbox, suites
from .manifest import Classroom, StudentRecord
from .process import MAX_OUTPUT_BYTES, RunOutput

DEFAULT_TIMEOUT_S = 120
DEFAULT_TEST_TIMEOUT_S = 30
REFERENCE_TIMEOUT_S = 600  # the reference solution is trusted; only a broken machine is slower
TIMED_OUT = "timed out"
PYTEST_TIMEOUT_MESSAGE = re.compile(r"Timeout \(>[0-9.]+s\) from pytest-timeout")
GRADING_PLUGINS = ("pytest", "pytest-timeout")
RECORDER = Path(__file__).with_name("_recorder.py")
PROBE = Path(__file__).with_name("_probe.py")
CHECKER = Path(__file__).with_name("_checker.py")
CHECKER_TIMEOUT_S = 600  # the checks are the suite's own code on plain data
# The tests of split suites that the student's code never reached, or that it ran past the limit
STUDENT_TIMED_OUT = "StudentTimedOutError"
STUDENT_NO_OUTPUT = "StudentNoOutputError"
STUDENT_IMPORT_FAILED = re.compile(
    r"StudentRaisedError: (ModuleNotFoundError|ImportError|SyntaxError|IndentationError|TabError)"
)
SUITE_INSIDE = Path("/grading/tests")
PLUGIN_INSIDE = Path("/grading/plugin")
MAX_COMMIT_FILE_BYTES = 100 * 1024 * 1024  # GitHub refuses larger files too
MAX_COMMIT_BYTES = 400 * 1024 * 1024  # it must unpack into the sandbox's scratch
TAR_EXCLUDED = ("__pycache__", "*.pyc", ".pytest_cache", ".venv", ".git")
UNPACK_FAILED = 86
ANSWERS_FILE = ".copier-answers.yml"
MAX_ANSWERS_BYTES = 64 * 1024
# Run in the graded process before the student's: unpack the files from stdin into the project
# folder, make HOME, and run the command there with nothing on stdin.
UNPACK = (
    'project=$1; home=$2; shift 2; mkdir -p "$project" "$home" && '
    'tar -x -f - -C "$project" --no-same-owner --no-same-permissions || exit 86; '
    'cd "$project" && exec "$@" </dev/null'
)
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
    sandboxed: bool = True
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    note: str = ""  # a problem found before the run (the remote could not be fetched)


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
        return package_in(project_answers.read_text(), fallback)
    except OSError:
        return fallback


def package_in(answers: str, fallback: str) -> str:
    try:
        import yaml

        recorded = yaml.safe_load(answers) or {}
        name = str(recorded.get("package_name", fallback))
    except (ValueError, AttributeError):
        return fallback
    return name if name.isidentifier() else fallback


def committed_package(repo: Path, commit: str, fallback: str) -> str:
    """The package name in the commit's answers file, read from git (the file is untrusted)."""
    blob = f"{commit}:{ANSWERS_FILE}"
    size = subprocess.run(["git", "cat-file", "-s", blob], cwd=repo, capture_output=True, text=True)
    if size.returncode != 0 or not size.stdout.strip().isdigit():
        return fallback
    if int(size.stdout) > MAX_ANSWERS_BYTES:
        return fallback
    shown = subprocess.run(["git", "cat-file", "blob", blob], cwd=repo, capture_output=True)
    if shown.returncode != 0:
        return fallback
    return package_in(shown.stdout.decode("utf-8", "replace"), fallback)


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(
        p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def is_split(suite: Path) -> bool:
    """A split suite computes outputs in the sandbox (probe/) and judges them outside."""
    return (suite / "probe").is_dir()


def commit_too_large(repo: Path, commit: str) -> str:
    """Why the commit's files are too large to grade, or "" (from git's sizes, before unpacking)."""
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "-l", "-z", commit],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout
    total, largest, name = 0, 0, ""
    for entry in listing.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        fields = meta.split()
        if len(fields) == 4 and fields[1] == b"blob" and fields[3].isdigit():
            size = int(fields[3])
            total += size
            if size > largest:
                largest, name = size, path.decode("utf-8", "replace")
    mb = 1024 * 1024
    if largest > MAX_COMMIT_FILE_BYTES:
        return (
            f"not graded: the commit holds a file of {largest // mb} MB ({name}); "
            f"the limit is {MAX_COMMIT_FILE_BYTES // mb} MB per file"
        )
    if total > MAX_COMMIT_BYTES:
        return (
            f"not graded: the commit's files come to {total // mb} MB; "
            f"the limit is {MAX_COMMIT_BYTES // mb} MB"
        )
    return ""


def feeder(spec: RunSpec) -> tuple[list[str], Path]:
    """The command whose stdout is a tar stream of the files to grade, and where it runs."""
    if (spec.repo / ".git").exists():
        # Big blobs are streamed, not loaded whole (git's default threshold is 512 MB).
        return ["git", "-c", "core.bigFileThreshold=1m", "archive", "--format=tar", spec.commit], (
            spec.repo
        )
    excluded = [f"--exclude={pattern}" for pattern in TAR_EXCLUDED]
    return ["tar", "-c", *excluded, "-f", "-", "."], spec.repo


@dataclass(frozen=True)
class Places:
    """Where a run's pieces are, as the graded process sees them."""

    project: Path
    home: Path
    tmp: Path
    python: Path
    suite: Path
    plugin: Path


def places(spec: RunSpec, work: Path) -> Places:
    """Sandboxed, the run sees SUITE_INSIDE and PLUGIN_INSIDE: for a split suite, only its
    probe/ folder and the probe runner (never the checks, the checker or the recorder)."""
    if spec.sandboxed:
        inside = sandbox.INSIDE
        python = sandbox.INSIDE_ENV / "bin" / spec.python.name
        return Places(
            inside / "project", inside / "home", Path("/tmp"), python, SUITE_INSIDE, PLUGIN_INSIDE
        )
    return Places(
        work / "project",
        work / "home",
        work / "tmp",
        spec.python,
        work / "grading",
        work / "sandbox-plugin",
    )


def launch(
    spec: RunSpec, work: Path, place: Places, cmd: list[str], env: dict[str, str]
) -> RunOutput:
    """Unpack the student's files and run `cmd` there, in the sandbox unless the instructor
    opted out; the results land in work/results.jsonl."""
    inner = [
        *sandbox.prlimit_argv(spec.limits),
        "/bin/sh", "-c", UNPACK, "unpack", str(place.project), str(place.home), *cmd,
    ]  # fmt: skip
    if spec.sandboxed:
        env_dir = spec.python.parent.parent
        shown = ("probe",) if is_split(spec.suite) else ()
        mounts = [
            sandbox.Mount(work.joinpath("grading", *shown), place.suite.joinpath(*shown)),
            sandbox.Mount(work / "sandbox-plugin", place.plugin),
        ]
        inner = [*sandbox.bwrap_argv(env_dir, mounts, spec.limits), *inner]
    source, source_cwd = feeder(spec)
    return process.run(inner, env, spec.timeout_s, work / "results.jsonl", source, source_cwd)


def student_env(spec: RunSpec, place: Places, package: str) -> dict[str, str]:
    return {
        "PATH": f"{place.python.parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(place.home),
        "TMPDIR": str(place.tmp),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MLPATH_PACKAGE": package,
    }


def run_suite(spec: RunSpec) -> Grade:
    with tempfile.TemporaryDirectory(prefix="mlpath-grade-") as tmp:
        work = Path(tmp)
        tests, plugin, inner = work / "grading", work / "plugin", work / "sandbox-plugin"
        for folder in (work / "home", work / "tmp", plugin, inner):
            folder.mkdir()
        try:
            too_large = commit_too_large(spec.repo, spec.commit) if spec.commit else ""
        except (subprocess.CalledProcessError, OSError) as err:
            too_large = f"cannot read the commit ({repos.first_line(str(err))})"
        if too_large:
            return Grade(spec.handle, spec.commit, not_run(spec, "not graded"), too_large)
        shutil.copytree(spec.suite, tests, ignore=suites.IGNORED)
        for helper in (RECORDER, CHECKER):  # the trusted side's
            shutil.copy2(helper, plugin / f"_mlpath{helper.stem}.py")
        sandboxed_helper = PROBE if is_split(spec.suite) else RECORDER
        shutil.copy2(sandboxed_helper, inner / f"_mlpath{sandboxed_helper.stem}.py")
        if spec.commit:
            package = committed_package(spec.repo, spec.commit, spec.package)
        else:  # a plain folder: the reference solution, trusted
            package = student_package(spec.repo / ANSWERS_FILE, spec.package)
        spec = dataclasses.replace(spec, package=package)
        place = places(spec, work)
        if is_split(spec.suite):
            return run_split(spec, work, place)
        (inner / "pytest.ini").write_text(PYTEST_INI)
        before = tree_digest(tests)
        env = {
            **student_env(spec, place, spec.package),
            "PYTHONPATH": os.pathsep.join([str(place.project / "src"), str(place.plugin)]),
        }
        out = launch(spec, work, place, pytest_argv(spec, place), env)
        tampered = tree_digest(tests) != before
        return assemble(spec, read_results(work / "results.jsonl"), out, tampered)


def pytest_argv(spec: RunSpec, place: Places) -> list[str]:
    return [
        str(place.python), "-m", "pytest", "-p", "_mlpath_recorder", "-p", "no:cacheprovider",
        *per_test_limit(spec.test_timeout_s), "-s", "-q", "-c", str(place.plugin / "pytest.ini"),
        "--rootdir", str(place.suite), "--confcutdir", str(place.suite), str(place.suite),
    ]  # fmt: skip


def run_split(spec: RunSpec, work: Path, place: Places) -> Grade:
    """The student's outputs on the hidden inputs, from the sandbox; the verdict, from here."""
    probe = [
        str(place.python), "-I", str(place.plugin / "_mlpath_probe.py"), str(place.suite / "probe"),
        str(place.project / "src"), spec.package, str(spec.test_timeout_s or spec.timeout_s),
    ]  # fmt: skip
    out = launch(spec, work, place, probe, student_env(spec, place, spec.package))
    outputs, cut = channel.read_outputs(work / "results.jsonl")
    checked = work / "outputs.json"
    channel.write_checked(outputs, checked)
    checker = check_outputs(spec, work, checked)
    grade = assemble(spec, read_results(work / "checks.jsonl"), out, tampered=False)
    problem = grade.problem
    if checker.returncode not in (0, 1):
        # The suite's fault or mlpath's, not the student's: say so, grade nothing, go on.
        why = first_line(checker.output_tail) or f"exit code {checker.returncode}"
        problem = f"the grading checks could not run on these outputs ({why}); tell the instructor"
        return Grade(spec.handle, spec.commit, not_run(spec, problem), problem, grade.output_tail)
    if cut and not problem:
        problem = (
            f"stopped: handed out more than {channel.MAX_CHANNEL_BYTES // 2**20} MB of outputs"
        )
    return Grade(grade.handle, grade.commit, grade.results, problem, grade.output_tail)


def check_outputs(spec: RunSpec, work: Path, checked: Path) -> RunOutput:
    """The suite's tests on the student's outputs, outside the sandbox, with no student code on
    the path and an environment made here (nothing of the student's reaches it)."""
    tests, plugin = work / "grading", work / "plugin"
    (plugin / "pytest.ini").write_text(PYTEST_INI)
    (work / "checker-home").mkdir()
    env = {
        "PATH": f"{spec.python.parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(work / "checker-home"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(plugin),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "MLPATH_OUTPUTS": str(checked),
    }
    place = Places(work, work / "checker-home", work, spec.python, tests, plugin)
    argv = pytest_argv(spec, place)
    argv[1:1] = ["-s"]  # no user site-packages
    argv[argv.index("_mlpath_recorder") + 1 : argv.index("_mlpath_recorder") + 1] = [
        "-p",
        "_mlpath_checker",
    ]
    return process.run(argv, env, CHECKER_TIMEOUT_S, work / "checks.jsonl", cwd=work)


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
        message = r.get("message", "")
        if outcome == "failed" and (
            PYTEST_TIMEOUT_MESSAGE.search(message) or STUDENT_TIMED_OUT in message
        ):
            verdict = TIMED_OUT
        elif outcome == "failed" and STUDENT_NO_OUTPUT in message:
            verdict = "not run"
        elif outcome == "failed" and STUDENT_IMPORT_FAILED.search(message):
            verdict = "error"  # as when a legacy suite's fixture cannot import the package
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
    elif out.returncode == UNPACK_FAILED and not found:
        problem = (
            "not graded: the commit's files could not be unpacked within the limits "
            f"({spec.limits.file_bytes // 2**20} MB per file, "
            f"{spec.limits.scratch_bytes // 2**20} MB in all)"
        )
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
