"""Hostile answers render valid files, and answers no file can carry are refused.

Every template (with its notable answer sets) is generated from the working tree with free-text
answers full of what breaks naive interpolation: both quote kinds, backslashes, Jinja syntax,
shell and Make metacharacters, HTML, non-ASCII and astral-plane characters. Each generated file
must then parse for its type, and the answers must come back exactly where they land. Newlines
and control characters, and an e-mail that is not an address, are refused by copier.yml's
validators with a message naming the question.

What the generated project's own `make lint typecheck test` says about such answers is the
harness's job (`python -m tests.harness serving-api --data 'description=...'`); this module only
renders and parses, with no installs (six renders and fifteen refusals: about 30 s on a busy
2-core machine).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.licenses import canonicalize_license_expression

from tests.harness import generate, template_snapshot
from tests.hostile import (
    AUTHOR_EMAIL,
    AUTHOR_NAME,
    DESCRIPTION,
    GPU_BASE_MODEL,
    HOSTILE,
    PACKAGE_NAME,
)

# The tools beside this Python (the root venv) first, then PATH.
TOOL_PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
RUFF = shutil.which("ruff", path=TOOL_PATH)
HADOLINT = shutil.which("hadolint", path=TOOL_PATH)

# Each template with the answer sets that change which files it renders; every license answer
# appears at least once (the holder's name lands in LICENSE).
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "serving-api": ("serving-api", {"mlflow_registry": False}),
    "serving-api-mlflow": ("serving-api", {"mlflow_registry": True, "license": "Apache-2.0"}),
    "feature-pipeline": ("feature-pipeline", {"license": "BSD-3-Clause"}),
    "feature-pipeline-mlflow": ("feature-pipeline", {"experiment_tracking": "mlflow"}),
    "lora-finetune": ("lora-finetune", {"gpu_base_model": GPU_BASE_MODEL, "license": "none"}),
    "lora-finetune-mlflow": (
        "lora-finetune",
        {"gpu_base_model": GPU_BASE_MODEL, "experiment_tracking": "mlflow"},
    ),
    "rag-eval": ("rag-eval", {"dense_retrieval": True, "license": "Apache-2.0"}),
    "rag-eval-bm25": ("rag-eval", {"dense_retrieval": False}),
    "rag-eval-mlflow": ("rag-eval", {"dense_retrieval": False, "experiment_tracking": "mlflow"}),
}
# The first line of each license's text and the line that names the holder.
LICENSE_TEXTS = {
    "MIT": ("MIT License", "Copyright (c) {year} {holder}"),
    "Apache-2.0": ("Apache License", "   Copyright {year} {holder}"),
    "BSD-3-Clause": ("BSD 3-Clause License", "Copyright (c) {year}, {holder}"),
}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_snapshot(tmp_path_factory.mktemp("hostile-src"))


@pytest.fixture(scope="module", params=sorted(CASES))
def project(
    request: pytest.FixtureRequest, source: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    template, extra = CASES[request.param]
    dest = tmp_path_factory.mktemp(request.param) / "project"
    return generate(template, dest, {**HOSTILE, **extra}, src=source)


def files(project: Path, *suffixes: str) -> list[Path]:
    found = (p for p in project.rglob("*") if p.is_file() and p.suffix in suffixes)
    return sorted(p for p in found if ".git" not in p.relative_to(project).parts)


def test_pyproject_parses_and_carries_the_answers_exactly(project: Path) -> None:
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert meta["description"] == DESCRIPTION
    assert meta["authors"] == [{"name": AUTHOR_NAME, "email": AUTHOR_EMAIL}]


def test_every_toml_file_parses(project: Path) -> None:
    for path in files(project, ".toml"):
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            pytest.fail(f"{path.relative_to(project)}: {err}")


def test_every_yaml_file_parses(project: Path) -> None:
    for path in [*files(project, ".yml", ".yaml"), project / ".copier-answers.yml"]:
        try:
            list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as err:
            pytest.fail(f"{path.relative_to(project)}: {err}")


def test_license_names_the_holder_verbatim_and_pyproject_the_spdx_expression(
    project: Path,
) -> None:
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    chosen = answers["license"]
    declared = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    if chosen == "none":
        assert "license" not in declared
        assert not (project / "LICENSE").exists()
        return
    assert declared["license"] == chosen
    assert canonicalize_license_expression(chosen) == chosen
    title, holder_line = LICENSE_TEXTS[chosen]
    lines = (project / "LICENSE").read_text(encoding="utf-8").splitlines()
    assert lines[0].strip() == title
    # Generated today: the year is the current one (UTC and local differ only around midnight).
    years = {str(datetime.now().year), str(datetime.now(UTC).year)}
    assert any(holder_line.format(year=y, holder=AUTHOR_NAME) in lines for y in years), lines[:12]


def test_recorded_answers_round_trip(project: Path) -> None:
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    for question, value in HOSTILE.items():
        assert answers[question] == value
    if answers["template"] == "lora-finetune":
        assert answers["gpu_base_model"] == GPU_BASE_MODEL


def test_yaml_values_round_trip_where_they_land(project: Path) -> None:
    gpu_config = project / "configs" / "gpu.yaml"
    if not gpu_config.is_file():
        pytest.skip("only lora-finetune puts a free-text answer into YAML (configs/gpu.yaml)")
    assert yaml.safe_load(gpu_config.read_text(encoding="utf-8"))["base_model"] == GPU_BASE_MODEL


def test_every_python_file_compiles_without_warnings(project: Path) -> None:
    for path in files(project, ".py"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an invalid escape is a SyntaxWarning
            try:
                compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)
            except (SyntaxError, SyntaxWarning) as err:
                pytest.fail(f"{path.relative_to(project)}: {err}")


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed")
def test_python_files_with_answers_pass_the_projects_ruff_config(project: Path) -> None:
    """The project's own lint over every .py file an answer lands in: prose breaks it (curly
    quotes are RUF001/RUF002, a long line E501), and so does an import line that a long
    package name pushes past 100 columns unless it is written in the parenthesised form."""
    markers = (PACKAGE_NAME, "Ångström", "{{ x }}", "{{ z }}", "例子")
    carrying = [
        str(p.relative_to(project))
        for p in files(project, ".py")
        if any(m in p.read_text(encoding="utf-8") for m in markers)
    ]
    if not carrying:
        pytest.skip("no generated .py file carries an answer")
    for check in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        proc = subprocess.run(
            [str(RUFF), *check, *carrying], cwd=project, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, f"ruff {' '.join(check)}:\n{proc.stdout}{proc.stderr}"


def test_readme_shows_the_description_verbatim_on_one_line(project: Path) -> None:
    readme = (project / "README.md").read_text(encoding="utf-8")
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert readme.splitlines()[0] == f"# {answers['project_name']}"
    assert any(line.startswith(DESCRIPTION) for line in readme.splitlines())


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_makefile_reads(project: Path) -> None:
    proc = subprocess.run(
        ["make", "--dry-run", "lint", "typecheck", "test", "docker-build"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(HADOLINT is None, reason="hadolint is not installed")
def test_dockerfile_passes_hadolint(project: Path) -> None:
    proc = subprocess.run(
        [str(HADOLINT), "Dockerfile"], cwd=project, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("template", "question", "value", "expected"),
    [
        ("rag-eval", "description", "first line\nsecond line", "one line"),
        ("rag-eval", "description", "carriage\rreturn", "one line"),
        ("rag-eval", "description", "escape \x1b[31m red", "control characters"),
        ("rag-eval", "description", "line\u2028separator", "one line"),
        ("rag-eval", "description", "   ", "must not be empty"),
        ("rag-eval", "author_name", "Zoë\nÅngström", "one line"),
        ("rag-eval", "author_name", "tab\there", "one line"),
        ("rag-eval", "author_email", "not-an-email", "an e-mail address"),
        ("rag-eval", "author_email", "zoe@localhost", "an e-mail address"),
        ("rag-eval", "author_email", "Zoe <zoe@example.com>", "an e-mail address"),
        ("rag-eval", "author_email", "zoe@example.com\n", "one line"),
        ("rag-eval", "author_email", "zoë@example.com", "an ASCII part before the @"),
        ("rag-eval", "project_name", "my-project\n", "one line"),
        ("rag-eval", "project_name", "a" * 41, "at most 40 characters"),
        ("rag-eval", "package_name", "class", "not a keyword"),
        ("lora-finetune", "gpu_base_model", "org/model\nrm -rf", "one line"),
    ],
)
def test_unrepresentable_answers_are_refused_naming_the_question(
    source: Path, tmp_path: Path, template: str, question: str, value: str, expected: str
) -> None:
    dest = tmp_path / "project"
    with pytest.raises(ValueError, match=f"question '{question}'") as refused:
        generate(template, dest, {question: value}, src=source)
    message = str(refused.value)
    assert expected in message
    assert "\n" not in message.strip(), "the message must be one line"
    assert not dest.exists()
