"""Property: whatever the user and the template change, an update loses no line the user wrote.

Each round draws (from a seed, so a failure is reproducible) template changes between two
releases — edited lines, deleted files, renamed files, new files — and user changes on the
project generated at the first — appended lines, edited lines, new files, deleted files — then
updates and checks that every line the user wrote is still in the project (in place, inside
conflict markers, or in a file kept because the template deleted it) and every file the user
added is intact. Synthetic templates give many cheap rounds; one round per real template runs
the same on the templates mlpath ships.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlpath.cli import app
from tests.conftest import git
from tests.generator.template_repo import ANSWERS, COPIER_YML
from tests.harness import REPO_ROOT, TEMPLATES

runner = CliRunner()


def every_text(project: Path) -> str:
    texts = []
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.relative_to(project).parts:
            texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


def user_changes(project: Path, rng: random.Random, files: list[str]) -> tuple[list[str], dict]:
    """Random user edits; returns the lines the user wrote and the files they added."""
    written: list[str] = []
    for n, name in enumerate(rng.sample(files, k=min(len(files), rng.randint(2, 6)))):
        path = project / name
        action = rng.choice(["append", "edit", "delete"])
        if action == "delete":
            path.unlink()
            continue
        line = f"# USER-{n} wrote this"
        lines = path.read_text().splitlines()
        if action == "edit" and lines:
            lines[rng.randrange(len(lines))] = line
        else:
            lines.append(line)
        path.write_text("\n".join(lines) + "\n")
        written.append(line)
    added = {f"user_notes_{n}.md": f"notes {n}\n" for n in range(rng.randint(0, 2))}
    for name, text in added.items():
        (project / name).write_text(text)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "user changes", "--allow-empty")
    return written, added


def template_changes(template_dir: Path, rng: random.Random) -> None:
    """Random edits between two releases of a template folder."""
    candidates = sorted(
        p
        for p in template_dir.rglob("*")
        if p.is_file() and "{%" not in str(p) and "answers_file" not in p.name
    )
    for n, path in enumerate(rng.sample(candidates, k=min(len(candidates), rng.randint(2, 6)))):
        action = rng.choice(["edit", "delete", "rename"])
        if action == "delete":
            path.unlink()
        elif action == "rename":
            path.rename(path.with_name(f"renamed_{n}_{path.name}"))
        else:
            with path.open("a") as out:
                out.write(f"\n# TEMPLATE-{n} added this\n")
    if rng.random() < 0.5:
        (template_dir / "new_in_next_release.txt").write_text("new\n")


def release(repo: Path, tag: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"release {tag}", "--allow-empty")
    git(repo, "tag", tag)


def check_round(
    repo: Path, rng: random.Random, template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLPATH_TEMPLATE_REPO", str(repo))
    project = Path(f"p-{rng.random():.6f}").absolute()
    result = runner.invoke(app, ["new", template, str(project), "--defaults", "--no-lock"])
    assert result.exit_code == 0, result.output
    files = sorted(
        str(p.relative_to(project))
        for p in project.rglob("*")
        if p.is_file()
        and ".git" not in p.relative_to(project).parts
        and p.name != ".copier-answers.yml"
    )
    written, added = user_changes(project, rng, files)
    template_changes(repo / "templates" / template, rng)
    release(repo, "v0.2.0")

    result = runner.invoke(app, ["update", str(project), "--defaults"])

    assert result.exit_code in {0, 3}, result.output
    text = every_text(project)
    lost = [line for line in written if line not in text]
    assert not lost, f"lost {lost}\n{result.output}"
    for name, content in added.items():
        assert (project / name).read_text() == content
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "v0.2.0"


def synthetic_repo(root: Path, rng: random.Random) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "copier.yml").write_text(COPIER_YML)
    folder = root / "templates" / "rag-eval"
    folder.mkdir(parents=True)
    (folder / "{{_copier_conf.answers_file}}.jinja").write_text(ANSWERS)
    for n in range(8):
        lines = [f"line {k} of file {n}" for k in range(rng.randint(3, 30))]
        (folder / f"file_{n}.txt").write_text("\n".join(lines) + "\n")
    release(root, "v0.1.0")
    return root


@pytest.mark.parametrize("seed", range(12))
def test_synthetic_templates_lose_no_user_line(
    seed: int, tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    repo = synthetic_repo(tmp_path / "templates", rng)
    monkeypatch.chdir(tmp_path)
    check_round(repo, rng, "rag-eval", monkeypatch)


def real_template_repo(root: Path, template: str) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    shutil.copy2(REPO_ROOT / "copier.yml", root / "copier.yml")
    shutil.copytree(REPO_ROOT / "questions", root / "questions")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv")
    for name in ("_shared", template):
        shutil.copytree(REPO_ROOT / "templates" / name, root / "templates" / name, ignore=ignore)
    release(root, "v0.1.0")
    return root


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_real_template_loses_no_user_line(
    template: str, tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(template)
    repo = real_template_repo(tmp_path / "templates", template)
    monkeypatch.chdir(tmp_path)
    check_round(repo, rng, template, monkeypatch)
