"""The update pull request: .github/workflows/template-update.yml and the script it runs.

The script runs here as the workflow runs it, against a bare "origin" repository, with a fake `gh`
on PATH that records what it was asked to do, under a HOME that never saw the project's recorded
template path (only mlpath "installed": its history is MLPATH_TEMPLATE_REPO). The template
repository is this working tree's templates as v1.0.0 and, as v1.1.0, the same with lines added
to the top of the .gitignore every template includes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlpath import changelog
from tests import harness
from tests.conftest import git

TEMPLATE = "rag-eval"
BRANCH = "mlpath/template-update"
SCRIPT = ".github/scripts/template-update.sh"
WORKFLOW = ".github/workflows/template-update.yml"
CHANGELOG = """# Changelog

## v1.1.0

### rag-eval
- `.gitignore` ignores `*.log`.

## v1.0.0

### rag-eval
- First release.
"""
FAKE_GH = """#!/usr/bin/env python3
# A stand-in for the GitHub CLI: records each call (and the body it was given) in $GH_LOG and
# keeps the open pull requests in $GH_STATE.
import json, os, sys
from pathlib import Path

args = sys.argv[1:]
state = Path(os.environ["GH_STATE"])
prs = json.loads(state.read_text()) if state.exists() else []
body = ""
if "--body-file" in args:
    body = Path(args[args.index("--body-file") + 1]).read_text()
with open(os.environ["GH_LOG"], "a") as log:
    log.write(json.dumps({"args": args, "body": body}) + "\\n")
if args[:2] == ["pr", "list"]:
    head = args[args.index("--head") + 1]
    print(next((str(pr["number"]) for pr in prs if pr["head"] == head), ""))
elif args[:2] == ["pr", "create"]:
    prs.append({"number": len(prs) + 1, "head": args[args.index("--head") + 1]})
    state.write_text(json.dumps(prs))
    print(f"https://github.com/example/project/pull/{len(prs)}")
"""


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("templates")
    repo = root / "repo"
    shutil.copytree(harness.template_snapshot(root / "snapshot"), repo)
    (repo / "CHANGELOG.md").write_text(CHANGELOG)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "v1.0.0")
    git(repo, "tag", "v1.0.0")
    shared = repo / "templates" / "_shared" / "gitignore"
    shared.write_text("# added in v1.1.0\n*.log\n" + shared.read_text())
    git(repo, "commit", "-qam", "v1.1.0")
    git(repo, "tag", "v1.1.0")
    return repo


@pytest.fixture
def runner_env(
    template_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> dict[str, str]:
    """The project is generated under `home`; the script runs under another HOME."""
    monkeypatch.setenv("MLPATH_TEMPLATE_REPO", str(template_repo))
    other_home = tmp_path / "runner-home"
    other_home.mkdir()
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "gh").write_text(FAKE_GH)
    (fake_bin / "gh").chmod(0o755)
    return {
        **os.environ,
        "HOME": str(other_home),
        "PATH": f"{fake_bin}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
        "GH_LOG": str(tmp_path / "gh.log"),
        "GH_STATE": str(tmp_path / "gh-state.json"),
        "UV_OFFLINE": "1",
    }


def new_project(tmp_path: Path, version: str, env: dict[str, str]) -> Path:
    project = tmp_path / "project"
    generator_env = {**env, "HOME": os.environ["HOME"], "GIT_CONFIG_GLOBAL": str(tmp_path / "gc")}
    (tmp_path / "gc").write_text("[user]\n\tname = Ada\n\temail = ada@example.org\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mlpath",
            "new",
            TEMPLATE,
            str(project),
            "--defaults",
            "--vcs-ref",
            version,
            "--no-lock",
        ],
        env=generator_env,
        check=True,
        capture_output=True,
    )
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(project, "remote", "add", "origin", str(origin))
    git(project, "push", "-q", "origin", "main")
    return project


def run_script(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", SCRIPT], cwd=project, env=env, capture_output=True, text=True, check=False
    )


def gh_calls(env: dict[str, str]) -> list[dict[str, object]]:
    log = Path(env["GH_LOG"])
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def origin_branches(tmp_path: Path) -> dict[str, str]:
    out = git(tmp_path / "origin.git", "for-each-ref", "--format=%(refname:short) %(objectname)")
    return dict(line.split() for line in out.splitlines())


def test_behind_pushes_a_branch_and_requests_one_pull_request(
    tmp_path: Path, runner_env: dict[str, str]
) -> None:
    project = new_project(tmp_path, "v1.0.0", runner_env)

    proc = run_script(project, runner_env)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    branches = origin_branches(tmp_path)
    assert set(branches) == {"main", BRANCH}
    answers = git(tmp_path / "origin.git", "show", f"{BRANCH}:.copier-answers.yml")
    assert yaml.safe_load(answers)["_commit"] == "v1.1.0"
    assert "*.log" in git(tmp_path / "origin.git", "show", f"{BRANCH}:.gitignore")
    assert git(project, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(project, "status", "--porcelain") == ""
    creates = [c for c in gh_calls(runner_env) if c["args"][:2] == ["pr", "create"]]
    assert len(creates) == 1
    args = creates[0]["args"]
    assert isinstance(args, list)
    assert args[args.index("--head") + 1] == BRANCH and args[args.index("--base") + 1] == "main"
    assert (
        args[args.index("--title") + 1]
        == f"Update the mlpath template {TEMPLATE}: v1.0.0 -> v1.1.0"
    )
    body = str(creates[0]["body"])
    assert "  M .gitignore" in body
    assert "  M .copier-answers.yml" in body
    assert "## v1.1.0" in body and "`.gitignore` ignores `*.log`." in body
    assert "## v1.0.0" not in body  # the project already has it


def test_up_to_date_pushes_nothing(tmp_path: Path, runner_env: dict[str, str]) -> None:
    project = new_project(tmp_path, "v1.1.0", runner_env)

    proc = run_script(project, runner_env)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "nothing to do" in proc.stdout
    assert set(origin_branches(tmp_path)) == {"main"}
    assert gh_calls(runner_env) == []


def test_second_run_refreshes_the_same_pull_request(
    tmp_path: Path, runner_env: dict[str, str]
) -> None:
    project = new_project(tmp_path, "v1.0.0", runner_env)
    assert run_script(project, runner_env).returncode == 0
    first_tip = origin_branches(tmp_path)[BRANCH]
    (project / "NOTES.md").write_text("the user went on working on main\n")
    git(project, "add", "NOTES.md")
    git(project, "commit", "-qm", "notes")
    git(project, "push", "-q", "origin", "main")

    again = run_script(project, runner_env)
    unchanged = run_script(project, runner_env)  # nothing new since: the branch is left as is

    assert again.returncode == 0 and unchanged.returncode == 0, again.stderr + unchanged.stderr
    assert "already holds this update" in unchanged.stdout
    refreshed_tip = origin_branches(tmp_path)[BRANCH]
    assert refreshed_tip != first_tip
    assert (
        git(tmp_path / "origin.git", "rev-parse", f"{refreshed_tip}^").strip()
        == git(project, "rev-parse", "HEAD").strip()
    )
    calls = [c["args"][:2] for c in gh_calls(runner_env)]
    assert calls.count(["pr", "create"]) == 1
    assert calls.count(["pr", "edit"]) == 2


def test_conflicts_are_committed_with_markers_and_flagged(
    tmp_path: Path, runner_env: dict[str, str]
) -> None:
    project = new_project(tmp_path, "v1.0.0", runner_env)
    gitignore = project / ".gitignore"
    gitignore.write_text("# mine\n*.tmp\n" + gitignore.read_text())  # where v1.1.0 adds lines
    git(project, "commit", "-qam", "ignore *.tmp")
    git(project, "push", "-q", "origin", "main")

    proc = run_script(project, runner_env)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    pushed = git(tmp_path / "origin.git", "show", f"{BRANCH}:.gitignore")
    assert "<<<<<<< " in pushed and ">>>>>>> " in pushed and "*.tmp" in pushed
    create = next(c for c in gh_calls(runner_env) if c["args"][:2] == ["pr", "create"])
    args = create["args"]
    assert isinstance(args, list)
    assert args[args.index("--title") + 1].startswith("[conflicts] Update the mlpath template")
    assert "  C .gitignore" in str(create["body"])


def test_a_branch_with_the_users_commits_is_left_alone(
    tmp_path: Path, runner_env: dict[str, str]
) -> None:
    project = new_project(tmp_path, "v1.0.0", runner_env)
    assert run_script(project, runner_env).returncode == 0
    git(project, "fetch", "-q", "origin", BRANCH)
    git(project, "switch", "-q", BRANCH)
    (project / "RESOLVED.md").write_text("I resolved things here\n")
    git(project, "add", "RESOLVED.md")
    git(project, "commit", "-qm", "resolve")
    git(project, "push", "-q", "origin", BRANCH)
    git(project, "switch", "-q", "main")
    mine = origin_branches(tmp_path)[BRANCH]

    proc = run_script(project, runner_env)

    assert proc.returncode == 0, proc.stderr
    assert "leaving it" in proc.stdout
    assert origin_branches(tmp_path)[BRANCH] == mine


def test_workflow_passes_actionlint_and_the_schema(template_repo: Path, tmp_path: Path) -> None:
    project = harness.generate(TEMPLATE, tmp_path / "p", src=template_repo)
    workflow = yaml.safe_load((project / WORKFLOW).read_text())

    harness.run(["node", str(harness.TOOLS_DIR / "actionlint.mjs"), WORKFLOW], project)
    tools = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    schema_check = shutil.which("check-jsonschema", path=tools) or "check-jsonschema"
    harness.run([schema_check, "--builtin-schema", "vendor.github-workflows", WORKFLOW], project)

    assert set(workflow[True]) == {"schedule", "workflow_dispatch"}  # YAML reads `on` as True
    steps = workflow["jobs"]["template-update"]["steps"]
    assert steps[-1]["run"] == f"bash {SCRIPT}"  # the logic is in the script, not the YAML
    assert os.access(project / SCRIPT, os.X_OK)


def test_the_answer_turns_it_off(template_repo: Path, tmp_path: Path) -> None:
    project = harness.generate(
        TEMPLATE, tmp_path / "p", data={"update_workflow": False}, src=template_repo
    )

    assert not (project / WORKFLOW).exists()
    assert not (project / ".github" / "scripts").exists()


def test_changelog_entries_between_versions() -> None:
    text = (
        "# Changelog\n\n## Unreleased\n\nx\n\n## v0.3.0\n\nc\n\n## v0.2.0\n\nb\n\n## v0.1.0\n\na\n"
    )

    assert changelog.entries(text, "v0.1.0", "v0.3.0") == "## v0.3.0\n\nc\n\n## v0.2.0\n\nb\n"
    assert changelog.entries(text, "v0.3.0", "v0.3.0") == ""
