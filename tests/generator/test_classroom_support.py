"""Shared pieces of the classroom tests (no tests here): a small exercise-mode template
repository with two releases, its hidden grading suite, rosters, bare remotes.

The template has one exercise module, `calc.py` (add and mul as exercise regions, through the
real templates/_shared/exercise.jinja), a settings file v0.2.0 changes on one line (the line a
conflicting student also edits), and a README v0.2.0 rewrites. Its dev group is only pytest, so
the grading environment builds in seconds from uv's cache.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.cli import app
from tests.conftest import git
from tests.generator.template_repo import COPIER_HEADER

REPO = Path(__file__).resolve().parents[2]
CLASS_QUESTIONS = """\
package_name:
  type: str
  default: "{{ project_name | replace('-', '_') }}"
author_name:
  type: str
  default: "Your Name"
author_email:
  type: str
  default: "you@example.com"
exercises:
  type: bool
  default: false
  when: "{{ exercises }}"
"""
COPIER_YML = COPIER_HEADER + CLASS_QUESTIONS
CALC = """\
{% from 'templates/_shared/exercise.jinja' import exercise with context -%}
\"\"\"Two small functions a student writes.\"\"\"


def add(a: int, b: int) -> int:
    \"\"\"a + b.\"\"\"
    {% call exercise("add two numbers", indent=4) -%}
    return a + b
    {%- endcall %}


def mul(a: int, b: int) -> int:
    \"\"\"a * b.\"\"\"
    {% call exercise("multiply two numbers", indent=4) -%}
    return a * b
    {%- endcall %}
"""
PYPROJECT = """\
[project]
name = "{{ project_name }}"
version = "0.1.0"
authors = [{ name = "{{ author_name }}", email = "{{ author_email }}" }]
dependencies = []

[dependency-groups]
dev = ["pytest>=8"]
"""
SETTINGS_V1 = "PORT = 8000\nWORKERS = 1\n" + "# -\n" * 8 + 'LOG_LEVEL = "info"\n'
SETTINGS_V2 = SETTINGS_V1.replace("WORKERS = 1", "WORKERS = 4")
README_V1 = "# {{ project_name }}\n\nRelease one.\n"
README_V2 = "# {{ project_name }}\n\nRelease two.\n"
ANSWERS = "{{ _copier_answers|to_nice_yaml -}}\n"

SUITE_CONFTEST = """\
import importlib
import os

import pytest


@pytest.fixture(scope="session")
def calc():
    return importlib.import_module(os.environ["MLPATH_PACKAGE"] + ".calc")
"""
SUITE_ADD = '''\
def test_small(calc):
    """add(2, 3) is 5."""
    assert calc.add(2, 3) == 5


def test_negative(calc):
    """add works with negative numbers."""
    assert calc.add(-2, -3) == -5
'''
SUITE_MUL = '''\
def test_small(calc):
    """mul(2, 3) is 6."""
    assert calc.mul(2, 3) == 6


def test_zero(calc):
    """mul by zero is zero."""
    assert calc.mul(7, 0) == 0
'''
SOLVED_ADD = "    return a + b\n"
SOLVED_MUL = "    return a * b\n"


def write_release(root: Path, settings: str, readme: str, tag: str) -> None:
    (root / "copier.yml").write_text(COPIER_YML)
    shared = root / "templates" / "_shared"
    shared.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "templates" / "_shared" / "exercise.jinja", shared / "exercise.jinja")
    project = root / "templates" / "rag-eval"
    package = project / "src" / "{{package_name}}"
    package.mkdir(parents=True, exist_ok=True)
    (project / "{{_copier_conf.answers_file}}.jinja").write_text(ANSWERS)
    (project / "pyproject.toml.jinja").write_text(PYPROJECT)
    (project / "README.md.jinja").write_text(readme)
    (package / "__init__.py").write_text("")
    (package / "calc.py.jinja").write_text(CALC)
    (package / "settings.py").write_text(settings)
    git(root, "add", "-A")
    git(root, "commit", "-qm", f"release {tag}")
    git(root, "tag", tag)


def make_class_template(root: Path) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    write_release(root, SETTINGS_V1, README_V1, "v0.1.0")
    return root


def release_v2(root: Path) -> None:
    write_release(root, SETTINGS_V2, README_V2, "v0.2.0")


def make_suites(root: Path) -> Path:
    suite = root / "rag-eval"
    suite.mkdir(parents=True)
    (suite / "conftest.py").write_text(SUITE_CONFTEST)
    (suite / "test_add.py").write_text(SUITE_ADD)
    (suite / "test_mul.py").write_text(SUITE_MUL)
    return root


def write_roster(path: Path, handles: list[str], extra: str = "") -> Path:
    header = "handle,name,email" + (f",{extra}" if extra else "")
    rows = [f"{h},Student {h},{h}@school.example" + ("," if extra else "") for h in handles]
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def bare_remotes(root: Path, handles: list[str]) -> str:
    root.mkdir(parents=True, exist_ok=True)
    for handle in handles:
        git(root, "init", "-q", "--bare", "-b", "main", f"{handle}.git")
    return str(root / "{handle}.git")


def solve(project: Path, add: bool = True, mul: bool = True) -> None:
    calc = next(project.glob("src/*/calc.py"))
    lines = calc.read_text().splitlines(keepends=True)
    out, pending = [], None
    for line in lines:
        if "TODO(exercise): add" in line:
            pending = SOLVED_ADD if add else None
        elif "TODO(exercise): multiply" in line:
            pending = SOLVED_MUL if mul else None
        if "raise NotImplementedError" in line and pending:
            out.append(pending)
            pending = None
            continue
        out.append(line)
    calc.write_text("".join(out))


def commit(project: Path, message: str = "my work") -> str:
    git(project, "add", "-A")
    git(project, "commit", "-qm", message)
    return git(project, "rev-parse", "HEAD").strip()


@pytest.fixture
def classroom_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    """An installation whose history is the class template, an instructor identity, suites."""
    template = make_class_template(tmp_path / "template")
    monkeypatch.setenv("MLPATH_TEMPLATE_REPO", str(template))
    monkeypatch.setenv("MLPATH_GRADING_SUITES", str(make_suites(tmp_path / "suites")))
    for key, value in {
        "GIT_AUTHOR_NAME": "Prof Ada",
        "GIT_AUTHOR_EMAIL": "ada@school.example",
        "GIT_COMMITTER_NAME": "Prof Ada",
        "GIT_COMMITTER_EMAIL": "ada@school.example",
    }.items():
        monkeypatch.setenv(key, value)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return template


def environ_without_identity() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def new_class(tmp_path: Path, handles: list[str], *extra: str, exercises: bool = True) -> Path:
    """`mlpath classroom new` for these students into tmp_path/class (extra: more options)."""
    roster_csv = write_roster(tmp_path / "roster.csv", handles)
    out = tmp_path / "class"
    made = CliRunner().invoke(
        app,
        ["classroom", "new", "rag-eval", "--roster", str(roster_csv), "--out", str(out),
         *(["--exercises"] if exercises else []), "--jobs", "2", *extra],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    return out
