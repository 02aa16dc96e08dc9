"""The harness's own checks catch what they are there to catch (fast; no project install)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import harness

REPO = Path(__file__).resolve().parents[1]
UNSAFE_KEYS = {"_tasks", "_migrations", "_jinja_extensions", "_external_data"}


def test_templates_need_no_trust() -> None:
    files = [REPO / "copier.yml", *sorted((REPO / "questions").glob("*.yml"))]
    for path in files:
        for doc in yaml.safe_load_all(path.read_text().replace("!include", "#")):
            assert not UNSAFE_KEYS & set(doc or {}), path


def test_broken_workflow_is_caught(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_property }}\n"
    )
    with pytest.raises(harness.HarnessError, match="no_such_property"):
        harness.lint_workflows(tmp_path)


def test_unpinned_dockerfile_is_caught(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python\nRUN apt-get install curl\n")
    with pytest.raises(harness.HarnessError, match=r"DL3006|DL3008"):
        harness.lint_dockerfile(tmp_path)


def write_workflow(project: Path, jobs: dict[str, object]) -> None:
    workflows = project / ".github" / "workflows"
    workflows.mkdir(parents=True, exist_ok=True)
    (workflows / "ci.yml").write_text(yaml.safe_dump({"on": "push", "jobs": jobs}))


def job(*steps: str, env: dict[str, str] | None = None) -> dict[str, object]:
    return {
        "runs-on": "ubuntu-latest",
        **({"env": env} if env else {}),
        "steps": [{"run": step} for step in steps],
    }


def test_ci_steps_run_in_order_and_failures_surface(tmp_path: Path) -> None:
    write_workflow(
        tmp_path,
        {
            "a": job(
                "uv lock --check", "make setup", "echo one > out.txt", "make docker-build", "exit 7"
            ),
            "docker": job("make docker-build", "docker run --rm x"),
        },
    )
    with pytest.raises(harness.HarnessError, match="exit 7"):
        harness.run_ci_steps(tmp_path)
    # ran; the lock check, setup and docker-build were not (no lock, no Docker here)
    assert (tmp_path / "out.txt").read_text() == "one\n"


def test_steps_run_with_pipefail_like_github(tmp_path: Path) -> None:
    write_workflow(tmp_path, {"a": job("false | cat"), "docker": job()})
    with pytest.raises(harness.HarnessError, match="exit 1"):
        harness.run_ci_steps(tmp_path)


def smoke_project(tmp_path: Path, request: str) -> Path:
    """A docker job whose SMOKE_LOCAL is a real HTTP server on $PORT, like a template's."""
    (tmp_path / "ok.txt").write_text("hello from the server\n")
    serve = f"{sys.executable} -m http.server --bind 127.0.0.1 $PORT"
    wait = (
        'for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/ok.txt" && exit 0; sleep 0.1; '
        "done; exit 1"
    )
    steps = ["make docker-build", 'docker run --detach "$IMAGE"', wait, request, "docker logs x"]
    write_workflow(
        tmp_path,
        {"checks": job("echo checks"), "docker": job(*steps, env={"SMOKE_LOCAL": serve})},
    )
    return tmp_path


def test_smoke_steps_run_against_the_local_server(tmp_path: Path) -> None:
    project = smoke_project(tmp_path, 'curl -sf "http://127.0.0.1:$PORT/ok.txt" | grep -F hello')
    ran = harness.run_ci_steps(project)
    assert ran[0] == "echo checks"
    assert len(ran) == 3 and ran[2].startswith("curl")  # the docker steps did not run


def test_a_wrong_smoke_request_fails_with_the_server_log(tmp_path: Path) -> None:
    project = smoke_project(tmp_path, 'curl -sSf "http://127.0.0.1:$PORT/no-such-path"')
    with pytest.raises(harness.HarnessError, match=r"(?s)404.*SMOKE_LOCAL.*no-such-path"):
        harness.run_ci_steps(project)


def test_a_batch_image_smoke_command_runs_locally(tmp_path: Path) -> None:
    docker = job(
        "make docker-build",
        'docker run --rm "$IMAGE" pipeline',
        env={"SMOKE_LOCAL": "echo ran > smoke.txt"},
    )
    write_workflow(tmp_path, {"checks": job("echo checks"), "docker": docker})
    assert harness.run_ci_steps(tmp_path) == ["echo checks", "echo ran > smoke.txt"]
    assert (tmp_path / "smoke.txt").read_text() == "ran\n"


def test_a_docker_job_without_a_local_smoke_is_caught(tmp_path: Path) -> None:
    write_workflow(tmp_path, {"checks": job("echo checks"), "docker": job("make docker-build")})
    with pytest.raises(harness.HarnessError, match="no SMOKE_LOCAL"):
        harness.run_ci_steps(tmp_path)


def test_workflow_without_a_docker_job_is_caught(tmp_path: Path) -> None:
    write_workflow(tmp_path, {"checks": job("echo checks")})
    with pytest.raises(harness.HarnessError, match="no 'docker' job"):
        harness.run_ci_steps(tmp_path)


def test_missing_standard_target_is_caught(tmp_path: Path) -> None:
    targets = [t for t in harness.STANDARD_TARGETS if t != "bench"] + ["eval"]
    (tmp_path / "Makefile").write_text("".join(f"{t}:\n\t@true\n" for t in targets))
    with pytest.raises(harness.HarnessError, match="bench"):
        harness.check_standard_layout(tmp_path, "rag-eval")


def test_only_the_ci_workflow_runs_here(tmp_path: Path) -> None:
    """release.yml publishes to GitHub: linted, never run on this machine."""
    docker = job("make docker-build", env={"SMOKE_LOCAL": "true"})
    write_workflow(tmp_path, {"checks": job("echo checks"), "docker": docker})
    release = {"on": {"push": {"tags": ["v*"]}}, "jobs": {"release": job("exit 9")}}
    (tmp_path / ".github" / "workflows" / "release.yml").write_text(yaml.safe_dump(release))
    assert harness.run_ci_steps(tmp_path) == ["echo checks", "true"]


def test_invalid_dependabot_config_is_caught(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "dependabot.yml").write_text(
        "version: 2\nupdates:\n  - package-ecosystem: uv\n    directory: /\n"  # no schedule
    )
    with pytest.raises(harness.HarnessError, match="schedule"):
        harness.lint_dependabot(tmp_path)


def pre_commit_project(tmp_path: Path, entry: str, types: str = "python") -> Path:
    (tmp_path / "module.py").write_text("X = 1\n")
    hook = {
        "id": "probe",
        "name": "probe hook",
        "entry": entry,
        "language": "system",
        "types": [types],
        "pass_filenames": False,
    }
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    (tmp_path / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


def test_pre_commit_hooks_run_and_pass(tmp_path: Path) -> None:
    project = pre_commit_project(tmp_path, "touch ran.txt")
    assert harness.check_pre_commit(project) == "pre-commit run --all-files"
    assert (project / "ran.txt").is_file()


def test_a_failing_pre_commit_hook_is_caught(tmp_path: Path) -> None:
    with pytest.raises(harness.HarnessError, match="probe hook"):
        harness.check_pre_commit(pre_commit_project(tmp_path, "false"))


def test_a_skipped_pre_commit_hook_is_caught(tmp_path: Path) -> None:
    """A hook that matched no file checked nothing: pre-commit exits 0, the harness fails."""
    with pytest.raises(harness.HarnessError, match="'probe hook' did not pass"):
        harness.check_pre_commit(pre_commit_project(tmp_path, "true", types="rust"))


@pytest.mark.parametrize(
    ("pyproject_license", "has_file", "answer", "problem"),
    [
        ('license = "MIT"', False, "MIT", "no LICENSE"),
        ("", True, "none", "a LICENSE"),
        ('license = "MIT"', True, "Apache-2.0", "license 'MIT'"),
        ("", False, "MIT", "license None"),
    ],
)
def test_license_disagreements_are_caught(
    tmp_path: Path, pyproject_license: str, has_file: bool, answer: str, problem: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\n{pyproject_license}\n')
    if has_file:
        (tmp_path / "LICENSE").write_text("MIT License\n")
    with pytest.raises(harness.HarnessError, match=problem):
        harness.check_license(tmp_path, answer)


@pytest.fixture(scope="module")
def template_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return harness.template_snapshot(tmp_path_factory.mktemp("src"))


@pytest.mark.parametrize("template", harness.TEMPLATES)
def test_every_template_renders_clean_workflow_and_dockerfile(
    template: str, template_src: Path, copie: Any
) -> None:
    """Through pytest-copie's fixture: layout, actionlint + schema, hadolint (no install)."""
    result = copie.copy(extra_answers=harness.answers(template), template_dir=template_src)
    assert result.exception is None, repr(result.exception)
    project = result.project_dir
    harness.check_standard_layout(project, template)
    harness.check_license(project, "MIT")  # the default answer
    harness.lint_workflows(project)
    harness.lint_dependabot(project)
    harness.lint_dockerfile(project)
    docker_job = harness.ci_jobs(project)[harness.DOCKER_JOB]
    steps = harness.job_run_steps(docker_job)
    assert "make docker-build" in steps
    assert any("docker run" in step for step in steps), "the image is built but never started"
    checks = harness.ci_run_steps(project)
    assert checks.index("uv lock --check") < checks.index("make setup")
    dockerfile = (project / "Dockerfile").read_text()
    assert dockerfile.count("RUN uv sync --locked") == 2
    assert "127.0.0.1:8000" not in dockerfile, "the HEALTHCHECK must read the port setting"


def test_make_setup_without_uv_says_how_to_get_it(
    template_src: Path, copie: Any, tmp_path: Path
) -> None:
    result = copie.copy(extra_answers=harness.answers("serving-api"), template_dir=template_src)
    bin_dir = tmp_path / "bin"  # make and a shell, but no uv
    bin_dir.mkdir()
    for tool in ("make", "sh"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    proc = subprocess.run(
        [str(bin_dir / "make"), "setup"],
        cwd=result.project_dir,
        env={"PATH": str(bin_dir)},
        text=True,
        capture_output=True,
        check=False,
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert "uv is not installed" in lines[0] and "astral.sh/uv" in lines[0], proc.stderr
    assert "No such file" not in proc.stderr


@pytest.mark.parametrize(
    ("template", "backend", "index_url"),
    [
        ("lora-finetune", "cpu", "https://download.pytorch.org/whl/cpu"),
        ("lora-finetune", "cu126", "https://download.pytorch.org/whl/cu126"),
        ("lora-finetune", "pypi", None),
        ("rag-eval", "pypi", None),
    ],
)
def test_torch_backend_answer_picks_the_index(
    template: str, backend: str, index_url: str | None, template_src: Path, copie: Any
) -> None:
    answers = harness.answers(template, {"torch_backend": backend})
    result = copie.copy(extra_answers=answers, template_dir=template_src)
    assert result.exception is None, repr(result.exception)
    project = result.project_dir
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    indexes = pyproject.get("tool", {}).get("uv", {}).get("index", [])
    assert [index["url"] for index in indexes] == ([index_url] if index_url else [])
    if index_url:
        (source,) = pyproject["tool"]["uv"]["sources"]["torch"]
        assert source["index"] == indexes[0]["name"]
    readme = (project / "README.md").read_text()
    expected = f"download.pytorch.org/whl/{backend}" if index_url else "PyPI's default build"
    assert expected in readme.split("**PyTorch build.**")[1]
