"""One grading run: the student's commit streamed into the sandbox, the suite's probes (or, for a
suite that is not split, its tests) run there, the checks run outside on the outputs.

Each commit's sizes are checked from git before anything is unpacked; the files are streamed
(`git archive`) into the sandbox and unpacked on its tmpfs. A split suite's probes write the
student's outputs to a descriptor; channel.py reads them as untrusted data and the suite's tests
run on them here, outside the sandbox, in a process whose environment and path this module makes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import channel, process, repos, sandbox, suites
from .process import RunOutput
from .results import UNPACK_FAILED, Grade, RunSpec, assemble, first_line, not_run, read_results

RECORDER = Path(__file__).with_name("_recorder.py")
PROBE = Path(__file__).with_name("_probe.py")
CHECKER = Path(__file__).with_name("_checker.py")
CHECKER_TIMEOUT_S = 600  # the checks are the suite's own code on plain data
SUITE_INSIDE = Path("/grading/tests")
PLUGIN_INSIDE = Path("/grading/plugin")
MAX_COMMIT_FILE_BYTES = 100 * 1024 * 1024  # GitHub refuses larger files too
MAX_COMMIT_BYTES = 400 * 1024 * 1024  # it must unpack into the sandbox's scratch
TAR_EXCLUDED = ("__pycache__", "*.pyc", ".pytest_cache", ".venv", ".git")
ANSWERS_FILE = ".copier-answers.yml"
MAX_ANSWERS_BYTES = 64 * 1024
# Run in the graded process before the student's: unpack the files from stdin into the project
# folder, make HOME, and run the command there with nothing on stdin.
UNPACK = (
    'project=$1; home=$2; shift 2; mkdir -p "$project" "$home" && '
    'tar -x -f - -C "$project" --no-same-owner --no-same-permissions '
    f"|| exit {UNPACK_FAILED}; "
    'cd "$project" && exec "$@" </dev/null'
)
PYTEST_INI = "[pytest]\naddopts =\nconsider_namespace_packages = false\n"


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
    argv[1:1] = ["-s", "-P"]  # no user site-packages, no working folder on the path
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
