"""`make release VERSION=vX.Y.Z`: a release of the templates, done whole or not at all.

1. Refuses unless VERSION is a new `vX.Y.Z` newer than every recorded release, CHANGELOG.md's
   newest entry is headed `## VERSION` or `## Unreleased`, and what a release records
   (copier.yml, questions/, templates/, the changelog, releases.toml, pyproject.toml) has no
   uncommitted change: the commit recorded must be the one that was checked.
2. Runs the upgrade check (tests/test_upgrade_path.py, every template and answer set) from the
   previous release, and again from the first release straight to this one.
3. Only when both pass: records VERSION -> HEAD in releases.toml, heads the changelog entry
   `## VERSION`, sets pyproject's version, and commits those three files as "Release VERSION".
   If anything fails or is interrupted before that commit, the three files are as they were.

Usable from a shell:

    python -m tests.release v0.4.0
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

REPO_ROOT = Path(__file__).resolve().parents[1]
RECORDED_PATHS = ("copier.yml", "questions", "templates")
WRITTEN = ("CHANGELOG.md", "releases.toml", "pyproject.toml")
TAG = re.compile(r"v(\d+)\.(\d+)\.(\d+)")
UNRELEASED = "Unreleased"


class ReleaseError(Exception):
    """Why the release was refused or failed; nothing was changed."""


@dataclass(frozen=True)
class Plan:
    root: Path
    version: str
    commit: str
    releases: dict[str, str]

    @property
    def previous(self) -> str:
        return max(self.releases, key=Version)

    @property
    def first(self) -> str:
        return min(self.releases, key=Version)


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.rstrip("\n")  # not strip(): porcelain lines start with a space


def newest_heading(changelog: str) -> str:
    match = re.search(r"^## (.+)$", changelog, re.M)
    return match.group(1).strip() if match else ""


def plan(root: Path, version: str) -> Plan:
    """Everything checked that can be checked before the upgrade check runs."""
    if not TAG.fullmatch(version):
        raise ReleaseError(f"VERSION {version!r}: expected vX.Y.Z, e.g. v0.4.0")
    try:
        releases = dict(tomllib.loads((root / "releases.toml").read_text())["releases"])
    except (OSError, tomllib.TOMLDecodeError, KeyError) as err:
        raise ReleaseError(f"releases.toml: cannot read its [releases] table ({err})") from err
    if not releases:
        raise ReleaseError("releases.toml records no release: the upgrade check needs one")
    if version in releases:
        raise ReleaseError(f"{version} is already released (releases.toml: {releases[version]})")
    try:
        newest = max(releases, key=Version)
    except InvalidVersion as err:
        raise ReleaseError(f"releases.toml: {err}") from err
    if Version(version) <= Version(newest):
        raise ReleaseError(f"VERSION {version}: must be newer than the newest release, {newest}")
    heading = newest_heading((root / "CHANGELOG.md").read_text())
    if heading not in {version, UNRELEASED}:
        raise ReleaseError(
            f"CHANGELOG.md has no entry for {version}: its newest heading is "
            f"'## {heading or '(none)'}'; write '## {version}' (or '## {UNRELEASED}') first"
        )
    dirty = git(root, "status", "--porcelain", "--", *RECORDED_PATHS, *WRITTEN)
    if dirty:
        names = ", ".join(line[3:] for line in dirty.splitlines())
        raise ReleaseError(f"uncommitted changes in {names}: commit them first")
    return Plan(root, version, git(root, "rev-parse", "HEAD"), releases)


def upgrade_check(plan: Plan, since: str) -> None:
    """tests/test_upgrade_path.py from the release `since` to the working tree."""
    print(f"release {plan.version}: upgrade check from {since} (every template and answer set)")
    env = {**os.environ, "MLPATH_UPGRADE_FROM": since}
    command = [sys.executable, "-m", "pytest", "-q", "-n", "2", "tests/test_upgrade_path.py"]
    if subprocess.run(command, cwd=plan.root, env=env, check=False).returncode != 0:
        raise ReleaseError(f"the upgrade check from {since} failed; nothing was released")


def upgrade_checks(plan: Plan) -> None:
    for since in dict.fromkeys([plan.previous, plan.first]):
        upgrade_check(plan, since)


def recorded_files(plan: Plan, texts: dict[str, str]) -> dict[str, str]:
    """The three files as the release commit has them."""
    changelog = re.sub(
        rf"^## {re.escape(UNRELEASED)}$",
        f"## {plan.version}",
        texts["CHANGELOG.md"],
        count=1,
        flags=re.M,
    )
    releases = texts["releases.toml"].rstrip("\n") + f'\n"{plan.version}" = "{plan.commit}"\n'
    pyproject, count = re.subn(
        r'^version = "[^"]*"$',
        f'version = "{plan.version[1:]}"',
        texts["pyproject.toml"],
        count=1,
        flags=re.M,
    )
    if count != 1:
        raise ReleaseError('pyproject.toml: no line `version = "..."` to set')
    return {"CHANGELOG.md": changelog, "releases.toml": releases, "pyproject.toml": pyproject}


def record(plan: Plan) -> str:
    """Write and commit the release; on any failure put the three files back."""
    before = {name: (plan.root / name).read_text() for name in WRITTEN}
    try:
        for name, text in recorded_files(plan, before).items():
            (plan.root / name).write_text(text)
        git(
            plan.root,
            "commit",
            "-q",
            "-m",
            f"Release {plan.version} at {plan.commit}",
            "--",
            *WRITTEN,
        )
    except BaseException:
        if git(plan.root, "rev-parse", "HEAD") == plan.commit:  # the commit did not happen
            for name, text in before.items():
                (plan.root / name).write_text(text)
        raise
    return git(plan.root, "rev-parse", "HEAD")


def release(
    root: Path, version: str, check: Callable[[Plan], None] = upgrade_checks
) -> tuple[Plan, str]:
    chosen = plan(root, version)
    check(chosen)
    return chosen, record(chosen)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="the release's tag, vX.Y.Z")
    args = parser.parse_args(argv)
    try:
        done, commit = release(REPO_ROOT, args.version)
    except ReleaseError as err:
        print(f"release: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("release: interrupted; nothing was released", file=sys.stderr)
        return 130
    print(f"release {done.version}: recorded at {done.commit} (commit {commit[:12]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
