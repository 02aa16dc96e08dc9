"""The template harness: generate a project, install it in its own environment, run its checks.

A template is accepted when, for each notable answer set, the generated project passes its own
`make lint typecheck test` (the `run:` steps of its CI workflow, `.github/workflows/ci.yml`), its
pre-commit hooks (`pre-commit run --all-files`), actionlint and the GitHub workflow schema on
`.github/workflows/*.yml`, Dependabot's schema on `.github/dependabot.yml`, hadolint on its
Dockerfile, and the smoke test of its CI `docker` job run against the same server started without
Docker. The CI steps run with `$GITHUB_STEP_SUMMARY` set, as on GitHub: what the `make summary`
step writes there must be `make report`'s headline measured by this run, its figures those of
reports/RESULTS.md, and WRITEUP.md's results section the same (tests/job_summary.py).

The environment is built the way `make setup` would, except that it goes through `uv pip` with
pip's find-links folder and a `torch==2.13.0` constraint: on these machines that is the one way to
get the local CPU build of PyTorch instead of a multi-GB CUDA download. uv's cache keeps repeated
installs fast; each project still gets a fresh `.venv`.

CI steps that do not run here, and why:

- `make setup`: replaced by install() above (`uv sync --locked` would install the lock's torch).
- `uv lock --check`: skipped. A project generated here has no uv.lock (`mlpath new` writes it;
  this harness generates with Copier alone), and locking a torch project must reach the PyTorch
  CPU index, which these machines cannot: the harness has to work offline. The lock itself is
  covered where it is made: the generator's tests of `mlpath new`, and CI of a generated project.
- The `docker` job: no Docker engine here. Its `docker ...` and `make docker-build` steps are
  skipped; its wait-for-readiness and request steps run against `$SMOKE_LOCAL` (the same server,
  started from the project's `.venv` on a free `$PORT`), so a wrong path or payload in the smoke
  test fails here, not on the first push. For a batch image (no such steps) `$SMOKE_LOCAL` is the
  smoke command itself, run from the `.venv`. The Dockerfile itself is checked by hadolint.
- `sudo apt-get ...`: the machines running the harness have the packages already.
- The other workflows (`release.yml` on version tags): their steps publish to GitHub (the
  container registry, the release API), so they are linted, not run.

Every other step runs with `bash -eo pipefail`, as GitHub's `shell: bash` does.

Usable from a shell while working on a template:

    python -m tests.harness rag-eval [--data key=value ...] [--keep DIR]

`pytest tests/test_templates.py` runs every answer set of tests/answer_sets/ through the same
checks, generating with pytest-copie's `copie` fixture.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import copier
import yaml

from tests.job_summary import JobSummaryError, check_job_summary

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOLS_DIR = Path(__file__).resolve().parent / "tools"
TEMPLATES = ("serving-api", "feature-pipeline", "lora-finetune", "rag-eval")
ANSWER_SETS_DIR = Path(__file__).parent / "answer_sets"


def answer_sets() -> list[tuple[str, str, dict[str, object]]]:
    """(template, name, --data overrides) for each set in answer_sets/<template>.yml."""
    sets = []
    for template in TEMPLATES:
        named = yaml.safe_load((ANSWER_SETS_DIR / f"{template}.yml").read_text())
        sets += [(template, name, data or {}) for name, data in named.items()]
    return sets


# CI steps that cannot run the same way here (see the module docstring): `make setup` is replaced
# by install() below (the local torch wheel), `uv lock --check` needs a lock and the PyTorch index,
# `make docker-build` and `docker ...` need a Docker engine (hadolint checks the Dockerfile).
STEPS_REPLACED_LOCALLY = {"make setup", "uv lock --check", "make docker-build"}
# The CI job that builds and smoke-runs the image; see smoke_locally().
DOCKER_JOB = "docker"
# The workflow whose steps run here; the others (release.yml) publish to GitHub and are only linted.
CI_WORKFLOW = Path(".github") / "workflows" / "ci.yml"
DEPENDABOT_CONFIG = Path(".github") / "dependabot.yml"
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
SMOKE_TIMEOUT_S = 600
# The default variables GitHub gives every step that the CI steps use (values as on a real run).
GITHUB_RUN_ENV = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "student/project",
    "GITHUB_RUN_ID": "1234567890",
}
# The step of the checks job that puts `make report`'s headline in the job summary.
SUMMARY_STEP = "make summary"
TORCH_CONSTRAINT = "torch==2.13.0\n"
# The template standard (DESIGN.md): the same targets everywhere, plus the project's main job.
STANDARD_TARGETS = ("setup", "lint", "typecheck", "test", "bench", "report", "docker-build", "demo")
MAIN_JOB = {
    "serving-api": "serve",
    "feature-pipeline": "pipeline",
    "lora-finetune": "train",
    "rag-eval": "eval",
}


class HarnessError(AssertionError):
    """A check of the generated project failed; the message holds the command and its output."""


def run(
    cmd: Sequence[str] | str,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> str:
    """Run a command (a string runs as a CI step would: `bash -eo pipefail`); raise on failure."""
    if isinstance(cmd, str):
        argv: Sequence[str] = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", cmd]
        shown = cmd
    else:
        argv, shown = cmd, " ".join(cmd)
    proc = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        timeout=timeout,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    output: str = proc.stdout
    if proc.returncode != 0:
        raise HarnessError(f"`{shown}` failed in {cwd} (exit {proc.returncode}):\n{output[-8000:]}")
    return output


def template_snapshot(into: Path) -> Path:
    """Copy the template sources as they are in the working tree (committed or not)."""
    snapshot = into / "template-src"
    snapshot.mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "copier.yml", snapshot / "copier.yml")
    shutil.copytree(REPO_ROOT / "questions", snapshot / "questions")
    shutil.copytree(
        REPO_ROOT / "templates",
        snapshot / "templates",
        ignore=shutil.ignore_patterns("__pycache__", ".venv", "*.pyc"),
    )
    return snapshot


def answers(template: str, data: dict[str, object] | None = None) -> dict[str, object]:
    """The answers the harness generates with: the defaults, a fixed name, and `data`."""
    return {"template": template, "project_name": f"demo-{template}", **(data or {})}


def generate(
    template: str, dest: Path, data: dict[str, object] | None = None, src: Path | None = None
) -> Path:
    """Generate into `dest` (the shell path; pytest generates with pytest-copie's fixture).

    unsafe=False: a template that needs `--trust` fails here.
    """
    source = src or template_snapshot(Path(tempfile.mkdtemp(prefix="mlpath-src-")))
    copier.run_copy(
        str(source), dest, data=answers(template, data), defaults=True, quiet=True, unsafe=False
    )
    return dest


def find_links() -> list[str]:
    # uv's venvs (this repository's included) have no pip: then the pip on PATH reads the same
    # configuration. Without it the local CPU torch wheel is not found and PyPI's CUDA build,
    # same version, is installed instead (2.7 GB of nvidia libraries).
    pip = [sys.executable, "-m", "pip"]
    if subprocess.run([*pip, "--version"], capture_output=True, check=False).returncode != 0:
        pip = [shutil.which("pip") or "pip"]
    out = subprocess.run(
        [*pip, "config", "list"], text=True, capture_output=True, check=False
    ).stdout
    links = []
    for line in out.splitlines():
        key, _, value = line.partition("=")
        if key.strip().endswith("find-links"):
            links.extend(value.strip().strip("'\"").split())
    return sorted(set(links))


def project_env(project: Path) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE (set on these machines) would make every process compile every
    # import from source again: a server's cold start went from ~5 s to ~25 s, past the tests'
    # readiness timeouts. A user's machine and CI write .pyc files; so does the harness.
    dropped = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["VIRTUAL_ENV"] = str(project / ".venv")
    env["PATH"] = f"{project / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    env["UV_NO_SYNC"] = "1"  # `uv run` uses the environment install() made
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_OFFLINE"] = "1"
    env.setdefault("OMP_NUM_THREADS", str(math_threads()))
    return env


def math_threads() -> int:
    """Threads for each project's torch/BLAS when pytest-xdist runs several projects at once: the
    cores shared out. Two lora-finetune projects, each running `make test` and `make summary` with
    torch's default of every core, took 336 s side by side on 2 cores (their OpenMP threads spin
    against each other); with one thread each, 100 s, about one project's time alone."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return max(1, (os.cpu_count() or 1) // workers)


def install(project: Path) -> None:
    """Create `.venv` with the project (all extras) and its dev group."""
    constraints = project / ".harness-constraints.txt"
    constraints.write_text(TORCH_CONSTRAINT)
    links = [arg for link in find_links() for arg in ("--find-links", link)]
    run(["uv", "venv", "--quiet", "--python", sys.executable, ".venv"], project)
    uv_pip_install = [
        "uv",
        "pip",
        "install",
        "--quiet",
        "--python",
        ".venv/bin/python",
        "--no-sources",
    ]
    run(
        [
            *uv_pip_install,
            *links,
            "--constraint",
            str(constraints),
            "-r",
            "pyproject.toml",
            "--all-extras",
            "--group",
            "dev",
        ],
        project,
    )
    run([*uv_pip_install, "--no-deps", "-e", "."], project)
    constraints.unlink()


def ci_jobs(project: Path) -> dict[str, dict[str, object]]:
    """The jobs of the project's CI workflow (ci.yml), by name, in file order."""
    workflow = project / CI_WORKFLOW
    if not workflow.is_file():
        raise HarnessError(f"{project}: no {CI_WORKFLOW}")
    jobs: dict[str, dict[str, object]] = yaml.safe_load(workflow.read_text())["jobs"]
    return jobs


def job_run_steps(job: dict[str, object]) -> list[str]:
    steps = job.get("steps", [])
    assert isinstance(steps, list)
    return [step["run"] for step in steps if "run" in step]


def ci_run_steps(project: Path) -> list[str]:
    """The `run:` steps of the project's CI workflow, in order, the docker job's excluded."""
    return [
        step
        for name, job in ci_jobs(project).items()
        if name != DOCKER_JOB
        for step in job_run_steps(job)
    ]


def runs_here(step: str) -> bool:
    """False for the steps the module docstring lists as not running on these machines."""
    command = step.strip()
    return not (
        command in STEPS_REPLACED_LOCALLY or command.startswith(("sudo apt-get", "docker "))
    )


def run_ci_steps(project: Path) -> list[str]:
    """Run every CI `run:` step that works offline here, then the smoke test; return what ran.

    Each step gets a `$GITHUB_STEP_SUMMARY` file, as on GitHub. Once the summary step has run
    (or anything was written there), it must hold this run's measured headline, and WRITEUP.md
    the same figures (tests/job_summary.py).
    """
    ran = []
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="mlpath-step-summary-") as tmp:
        step_summary = Path(tmp) / "step_summary.md"
        step_summary.touch()
        env = {**project_env(project), **GITHUB_RUN_ENV, "GITHUB_STEP_SUMMARY": str(step_summary)}
        for step in ci_run_steps(project):
            if not runs_here(step):
                continue
            run(step, project, env=env)
            ran.append(step)
        written = step_summary.read_text(encoding="utf-8")
    if SUMMARY_STEP in ran or written:
        try:
            check_job_summary(project, written, since=started)
        except JobSummaryError as err:
            raise HarnessError(f"`{SUMMARY_STEP}` in {project}: {err}") from None
    return ran + smoke_locally(project)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def background(command: str, cwd: Path, env: dict[str, str], log: Path) -> Iterator[None]:
    """Run a shell command in its own process group for the duration of the block."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["bash", "-c", command],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield
    finally:
        with_group = os.getpgid(proc.pid)
        os.killpg(with_group, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(with_group, signal.SIGKILL)
            proc.wait()


def smoke_locally(project: Path) -> list[str]:
    """The docker job's smoke test against `$SMOKE_LOCAL`: the image's server, without Docker."""
    job = ci_jobs(project).get(DOCKER_JOB)
    if job is None:
        raise HarnessError(f"{project}: the CI workflow has no {DOCKER_JOB!r} job")
    job_env = job.get("env") or {}
    assert isinstance(job_env, dict)
    local = job_env.get("SMOKE_LOCAL")
    if local is None:
        raise HarnessError(f"{project}: the CI {DOCKER_JOB!r} job sets no SMOKE_LOCAL")
    steps = [step for step in job_run_steps(job) if runs_here(step)]
    env = {**project_env(project), **{k: str(v) for k, v in job_env.items()}}
    if not steps:  # a batch image: SMOKE_LOCAL is its smoke command, without Docker
        run(str(local), project, env=env, timeout=SMOKE_TIMEOUT_S)
        return [str(local)]
    env["PORT"] = str(free_port())
    log = project / ".harness-smoke.log"
    ran = []
    with background(str(local), project, env, log):
        for step in steps:
            try:
                run(step, project, env=env, timeout=SMOKE_TIMEOUT_S)
            except (HarnessError, subprocess.TimeoutExpired) as err:
                raise HarnessError(
                    f"{err}\n--- {local} (SMOKE_LOCAL) said:\n{log.read_text()[-4000:]}"
                ) from None
            ran.append(step)
    log.unlink()
    return ran


def lint_workflows(project: Path) -> None:
    workflows = sorted(str(p) for p in (project / ".github" / "workflows").glob("*.yml"))
    if not workflows:
        raise HarnessError(f"{project} has no .github/workflows/*.yml")
    run(["node", str(TOOLS_DIR / "actionlint.mjs"), *workflows], project)
    run(["check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows], project)


def lint_dependabot(project: Path) -> None:
    """`.github/dependabot.yml` against Dependabot's published schema (check-jsonschema's copy)."""
    if not (project / DEPENDABOT_CONFIG).is_file():
        raise HarnessError(f"{project}: no {DEPENDABOT_CONFIG}")
    run(
        ["check-jsonschema", "--builtin-schema", "vendor.dependabot", str(DEPENDABOT_CONFIG)],
        project,
    )


def lint_dockerfile(project: Path) -> None:
    run(["hadolint", "Dockerfile"], project)


def pre_commit_executable() -> str:
    """pre-commit beside this Python (the root environment's dev group), else on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    found = shutil.which("pre-commit", path=path)
    if found is None:
        raise HarnessError("pre-commit is not installed: the root dev group has it (make setup)")
    return found


def own_git_repository(project: Path) -> bool:
    top = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    return top.returncode == 0 and Path(top.stdout.strip()).resolve() == project.resolve()


def check_pre_commit(project: Path) -> str:
    """`pre-commit run --all-files` with the project's hooks, through its `.venv`, offline.

    pre-commit works on a git repository's files: a project generated with Copier alone gets the
    `git init` and `git add` that `mlpath new` would have made. Every hook must say Passed: one
    that is Skipped (no file of its types) checked nothing.
    """
    config = project / PRE_COMMIT_CONFIG
    if not config.is_file():
        raise HarnessError(f"{project}: no {PRE_COMMIT_CONFIG}")
    if not own_git_repository(project):
        run(["git", "init", "--quiet"], project)
        run(["git", "add", "--all"], project)
    env = project_env(project)
    command = "pre-commit run --all-files"
    with tempfile.TemporaryDirectory(prefix="mlpath-pre-commit-") as home:
        env["PRE_COMMIT_HOME"] = home  # pre-commit's own store: nothing of the user's touched
        output = run(
            [pre_commit_executable(), "run", "--all-files", "--color", "never"], project, env
        )
    hooks = [hook for repo in yaml.safe_load(config.read_text())["repos"] for hook in repo["hooks"]]
    results = output.splitlines()
    for hook in hooks:
        name = hook.get("name", hook["id"])
        if not any(line.startswith(name) and line.endswith("Passed") for line in results):
            raise HarnessError(f"`{command}` in {project}: hook {name!r} did not pass:\n{output}")
    return command


def check_standard_layout(project: Path, template: str) -> None:
    """Makefile targets, README diagram and results link, Dockerfile and .dockerignore."""
    for target in (*STANDARD_TARGETS, MAIN_JOB[template]):
        run(["make", "--dry-run", target], project)
    readme = (project / "README.md").read_text()
    for needle in ("```mermaid", "reports/RESULTS.md", "make setup", "pre-commit install"):
        if needle not in readme:
            raise HarnessError(f"{project}/README.md: no {needle!r}")
    if "\n## Releasing\n" not in readme:
        raise HarnessError(f"{project}/README.md: no '## Releasing' section")
    for name in (
        "Dockerfile",
        ".dockerignore",
        ".gitignore",
        "pyproject.toml",
        PRE_COMMIT_CONFIG,
        str(DEPENDABOT_CONFIG),
        str(CI_WORKFLOW),
        ".github/workflows/release.yml",
    ):
        if not (project / name).is_file():
            raise HarnessError(f"{project}: no {name}")


def check_license(project: Path, license_answer: str) -> None:
    """LICENSE exists unless the answer is "none", and pyproject.toml names the same license."""
    declared = tomllib.loads((project / "pyproject.toml").read_text())["project"].get("license")
    expected = None if license_answer == "none" else license_answer
    if declared != expected:
        raise HarnessError(f"{project}/pyproject.toml: license {declared!r}, answer {expected!r}")
    has_file = (project / "LICENSE").is_file()
    if expected is None and has_file:
        raise HarnessError(f"{project}: a LICENSE, but the license answer is 'none'")
    if expected is not None and not has_file:
        raise HarnessError(f"{project}: no LICENSE, but the license answer is {expected!r}")


def check_generated_project(project: Path) -> list[str]:
    """Everything a template must pass; returns the CI steps that ran."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    check_standard_layout(project, answers["template"])
    check_license(project, str(answers["license"]))
    lint_workflows(project)
    lint_dependabot(project)
    lint_dockerfile(project)
    install(project)  # the build backend (hatchling) refuses a license that is no SPDX expression
    hooks = check_pre_commit(project)
    ran = run_ci_steps(project)
    if SUMMARY_STEP not in ran:
        raise HarnessError(f"{project}/{CI_WORKFLOW}: no `{SUMMARY_STEP}` step (the job summary)")
    return [hooks, *ran]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", choices=TEMPLATES)
    parser.add_argument("--data", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--keep", type=Path, help="generate into this (new) folder and keep it")
    args = parser.parse_args(argv)
    data: dict[str, object] = {}
    for item in args.data:
        key, _, value = item.partition("=")
        data[key] = yaml.safe_load(value)
    dest = args.keep or Path(tempfile.mkdtemp(prefix="mlpath-harness-")) / "project"
    generate(args.template, dest, data)
    print(f"generated {args.template} in {dest}")
    try:
        for step in check_generated_project(dest):
            print(f"ok: {step}")
    except HarnessError as err:
        print(err, file=sys.stderr)
        return 1
    print("harness: all checks passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
