"""Releases: CHANGELOG.md announces only recorded releases, and `make release` (tests/release.py)
records a release whole, after the upgrade check, or changes nothing."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests import release

CHANGELOG = "# Changelog\n\n## {heading}\n\n- what changed\n\n## v0.1.0\n\n- the first\n"
PYPROJECT = '[project]\nname = "x"\nversion = "0.1.0"\n\n[tool.x]\nversion = "keep"\n'
RELEASES = '# comment kept\n[releases]\n"v0.1.0" = "{commit}"\n'


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def announced_versions(changelog: str) -> list[str]:
    return [h.strip() for h in re.findall(r"^## (.+)$", changelog, re.M)]


def test_changelog_announces_only_recorded_releases() -> None:
    recorded = tomllib.loads((release.REPO_ROOT / "releases.toml").read_text())["releases"]
    headings = announced_versions((release.REPO_ROOT / "CHANGELOG.md").read_text())
    unrecorded = [h for h in headings if h not in recorded and h != release.UNRELEASED]
    assert unrecorded == [], f"CHANGELOG.md announces {unrecorded}, releases.toml lacks them"
    assert release.UNRELEASED not in headings[1:], "only the newest entry may be Unreleased"


def test_package_version_is_the_newest_release() -> None:
    recorded = tomllib.loads((release.REPO_ROOT / "releases.toml").read_text())["releases"]
    pyproject = tomllib.loads((release.REPO_ROOT / "pyproject.toml").read_text())
    newest = max(recorded, key=lambda tag: tuple(int(n) for n in tag[1:].split(".")))
    assert f"v{pyproject['project']['version']}" == newest


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository shaped like this one: templates, a changelog with an Unreleased entry."""
    root = tmp_path / "repo"
    (root / "templates").mkdir(parents=True)
    (root / "templates" / "a.txt").write_text("template\n")
    (root / "copier.yml").write_text("_subdirectory: templates\n")
    (root / "CHANGELOG.md").write_text(CHANGELOG.format(heading="Unreleased"))
    (root / "pyproject.toml").write_text(PYPROJECT)
    git(root, "init", "-q", "-b", "main")
    git(
        root,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "0",
    )
    (root / "releases.toml").write_text(RELEASES.format(commit=git(root, "rev-parse", "HEAD")))
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "1")
    git(root, "config", "user.name", "t")
    git(root, "config", "user.email", "t@t")
    return root


def snapshot(root: Path) -> tuple[str, dict[str, str], str]:
    files = {name: (root / name).read_text() for name in release.WRITTEN}
    return git(root, "rev-parse", "HEAD"), files, git(root, "status", "--porcelain")


def passes(plan: release.Plan) -> None:
    pass


def test_release_records_tag_changelog_and_version_in_one_commit(repo: Path) -> None:
    checked: list[tuple[str, str]] = []
    head = git(repo, "rev-parse", "HEAD")

    def check(plan: release.Plan) -> None:
        checked.append((plan.previous, plan.first))

    _, commit = release.release(repo, "v0.2.0", check)

    assert checked == [("v0.1.0", "v0.1.0")]
    assert git(repo, "rev-parse", "HEAD~1") == head and commit != head
    assert git(repo, "status", "--porcelain") == ""
    recorded = tomllib.loads((repo / "releases.toml").read_text())["releases"]
    assert recorded["v0.2.0"] == head  # the checked commit, not the release commit
    assert (repo / "releases.toml").read_text().startswith("# comment kept")
    assert announced_versions((repo / "CHANGELOG.md").read_text()) == ["v0.2.0", "v0.1.0"]
    pyproject = tomllib.loads((repo / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == "0.2.0"
    assert pyproject["tool"]["x"]["version"] == "keep"
    assert git(repo, "log", "-1", "--format=%s") == f"Release v0.2.0 at {head}"


def test_the_upgrade_check_runs_from_the_previous_and_the_first_release(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release.release(repo, "v0.2.0", passes)
    changelog = (repo / "CHANGELOG.md").read_text()
    (repo / "CHANGELOG.md").write_text(
        changelog.replace("# Changelog\n", "# Changelog\n\n## v0.3.0\n")
    )
    git(repo, "commit", "-qam", "changelog v0.3.0")
    froms: list[str] = []
    monkeypatch.setattr(release, "upgrade_check", lambda plan, since: froms.append(since))

    release.release(repo, "v0.3.0")

    assert froms == ["v0.2.0", "v0.1.0"]
    assert set(tomllib.loads((repo / "releases.toml").read_text())["releases"]) == {
        "v0.1.0",
        "v0.2.0",
        "v0.3.0",
    }


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("0.2.0", "expected vX.Y.Z"),
        ("v0.2", "expected vX.Y.Z"),
        ("v0.1.0", "already released"),
        ("v0.0.9", "must be newer than the newest release, v0.1.0"),
    ],
)
def test_bad_versions_are_refused_and_change_nothing(
    repo: Path, version: str, message: str
) -> None:
    before = snapshot(repo)
    with pytest.raises(release.ReleaseError, match=re.escape(message)):
        release.release(repo, version, passes)
    assert snapshot(repo) == before


def test_a_version_without_a_changelog_entry_is_refused(repo: Path) -> None:
    (repo / "CHANGELOG.md").write_text(CHANGELOG.format(heading="v0.5.0"))
    git(repo, "commit", "-qam", "entry for another version")
    before = snapshot(repo)
    with pytest.raises(release.ReleaseError, match=r"CHANGELOG\.md has no entry for v0\.2\.0"):
        release.release(repo, "v0.2.0", passes)
    assert snapshot(repo) == before


def test_uncommitted_template_changes_are_refused(repo: Path) -> None:
    (repo / "templates" / "a.txt").write_text("edited\n")
    before = snapshot(repo)
    with pytest.raises(release.ReleaseError, match=r"uncommitted changes in templates/a\.txt"):
        release.release(repo, "v0.2.0", passes)
    assert snapshot(repo) == before


@pytest.mark.parametrize("failure", [release.ReleaseError("upgrade failed"), KeyboardInterrupt()])
def test_a_failed_or_interrupted_check_changes_nothing(repo: Path, failure: BaseException) -> None:
    before = snapshot(repo)

    def check(plan: release.Plan) -> None:
        raise failure

    with pytest.raises(type(failure)):
        release.release(repo, "v0.2.0", check)
    assert snapshot(repo) == before


def test_a_failed_commit_puts_the_files_back(repo: Path) -> None:
    before = snapshot(repo)
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(release.ReleaseError, match="git commit"):
        release.release(repo, "v0.2.0", passes)
    assert snapshot(repo) == before
