"""The harness's own checks catch what they are there to catch (fast; no project install)."""

from __future__ import annotations

from pathlib import Path

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


def test_ci_steps_run_in_order_and_failures_surface(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        yaml.safe_dump(
            {
                "on": "push",
                "jobs": {
                    "a": {
                        "runs-on": "ubuntu-latest",
                        "steps": [
                            {"run": "make setup"},
                            {"run": "echo one > out.txt"},
                            {"run": "make docker-build"},
                            {"run": "exit 7"},
                        ],
                    }
                },
            }
        )
    )
    with pytest.raises(harness.HarnessError, match="exit 7"):
        harness.run_ci_steps(tmp_path)
    assert (tmp_path / "out.txt").read_text() == "one\n"  # ran; setup/docker-build were not


def test_missing_standard_target_is_caught(tmp_path: Path) -> None:
    targets = [t for t in harness.STANDARD_TARGETS if t != "bench"] + ["eval"]
    (tmp_path / "Makefile").write_text("".join(f"{t}:\n\t@true\n" for t in targets))
    with pytest.raises(harness.HarnessError, match="bench"):
        harness.check_standard_layout(tmp_path, "rag-eval")
