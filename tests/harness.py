"""The template harness: generate a project, install it in its own environment, run its checks.

A template is accepted when, for each notable answer set, the generated project passes its own
`make lint typecheck test` (the `run:` steps of its CI workflow), actionlint and the GitHub
workflow schema on `.github/workflows/*.yml`, and hadolint on its Dockerfile.

The environment is built the way `make setup` would, except that it goes through `uv pip` with
pip's find-links folder and a `torch==2.13.0` constraint: on these machines that is the one way to
get the local CPU build of PyTorch instead of a multi-GB CUDA download. uv's cache keeps repeated
installs fast; each project still gets a fresh `.venv`.

Usable from a shell while working on a template:

    python -m tests.harness rag-eval [--data key=value ...] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import copier
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOLS_DIR = Path(__file__).resolve().parent / "tools"
TEMPLATES = ("serving-api", "feature-pipeline", "lora-finetune", "rag-eval")

# CI steps that cannot run the same way here: `make setup` is replaced by install() below (the
# local torch wheel), `make docker-build` by hadolint (no Docker engine on these machines).
STEPS_REPLACED_LOCALLY = {"make setup", "make docker-build"}
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


def run(cmd: Sequence[str] | str, cwd: Path, env: dict[str, str] | None = None) -> str:
    shell = isinstance(cmd, str)
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        shell=shell,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    if proc.returncode != 0:
        shown = cmd if shell else " ".join(cmd)
        tail = proc.stdout[-8000:]
        raise HarnessError(f"`{shown}` failed in {cwd} (exit {proc.returncode}):\n{tail}")
    return proc.stdout


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


def generate(
    template: str, dest: Path, data: dict[str, object] | None = None, src: Path | None = None
) -> Path:
    source = src or template_snapshot(Path(tempfile.mkdtemp(prefix="mlpath-src-")))
    answers = {"template": template, "project_name": f"demo-{template}", **(data or {})}
    copier.run_copy(str(source), dest, data=answers, defaults=True, quiet=True, unsafe=False)
    return dest


def find_links() -> list[str]:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], text=True, capture_output=True, check=False
    ).stdout
    links = []
    for line in out.splitlines():
        key, _, value = line.partition("=")
        if key.strip().endswith("find-links"):
            links.extend(value.strip().strip("'\"").split())
    return sorted(set(links))


def project_env(project: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["VIRTUAL_ENV"] = str(project / ".venv")
    env["PATH"] = f"{project / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    env["UV_NO_SYNC"] = "1"  # `uv run` uses the environment install() made
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_OFFLINE"] = "1"
    return env


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


def ci_run_steps(project: Path) -> list[str]:
    """The `run:` steps of the project's CI workflows, in order."""
    steps: list[str] = []
    for workflow in sorted((project / ".github" / "workflows").glob("*.yml")):
        doc = yaml.safe_load(workflow.read_text())
        for job in doc["jobs"].values():
            steps.extend(step["run"] for step in job.get("steps", []) if "run" in step)
    return steps


def run_ci_steps(project: Path) -> list[str]:
    """Run every CI `run:` step that works offline here; return the ones that ran."""
    ran = []
    for step in ci_run_steps(project):
        if step.strip() in STEPS_REPLACED_LOCALLY or step.lstrip().startswith("sudo apt-get"):
            continue
        run(step, project, env=project_env(project))
        ran.append(step)
    return ran


def lint_workflows(project: Path) -> None:
    workflows = sorted(str(p) for p in (project / ".github" / "workflows").glob("*.yml"))
    if not workflows:
        raise HarnessError(f"{project} has no .github/workflows/*.yml")
    run(["node", str(TOOLS_DIR / "actionlint.mjs"), *workflows], project)
    run(["check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows], project)


def lint_dockerfile(project: Path) -> None:
    run(["hadolint", "Dockerfile"], project)


def check_standard_layout(project: Path, template: str) -> None:
    """Makefile targets, README diagram and results link, Dockerfile and .dockerignore."""
    for target in (*STANDARD_TARGETS, MAIN_JOB[template]):
        run(["make", "--dry-run", target], project)
    readme = (project / "README.md").read_text()
    for needle in ("```mermaid", "reports/RESULTS.md", "make setup"):
        if needle not in readme:
            raise HarnessError(f"{project}/README.md: no {needle!r}")
    for name in ("Dockerfile", ".dockerignore", ".gitignore", "pyproject.toml"):
        if not (project / name).is_file():
            raise HarnessError(f"{project}: no {name}")


def check_generated_project(project: Path) -> list[str]:
    """Everything a template must pass; returns the CI steps that ran."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    check_standard_layout(project, answers["template"])
    lint_workflows(project)
    lint_dockerfile(project)
    install(project)
    return run_ci_steps(project)


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
