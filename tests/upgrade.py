"""The upgrade check: a project generated at the previous release, edited the way users edit,
updated to the working tree's templates with nothing resolved by hand, must pass its own checks.

1. A template repository with two releases: the previous release exactly as released (the commit
   releases.toml names, through `git archive`; MLPATH_UPGRADE_FROM picks an older one), and the
   working tree's templates as the version CHANGELOG.md's newest entry prepares.
2. `mlpath new` at the previous release (a fresh HOME, the history placed by mlpath itself).
3. The typical user edits (TYPICAL_EDITS below), committed.
4. `mlpath update --defaults` to the next release (with `--data` for the answers to questions the
   previous release did not ask); the files left with conflicts must be exactly
   the ones CHANGELOG.md predicts for this template (its "Conflicts with the typical edits" lines
   of every entry after the release it started from).
5. The generated project's own checks, through the harness (install, lint, typecheck, test).

Usable from a shell:

    python -m tests.upgrade rag-eval [--keep DIR] [--from v0.1.0]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from packaging.version import Version

from tests import harness

CHANGELOG = harness.REPO_ROOT / "CHANGELOG.md"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Upgrade Check",
    "GIT_AUTHOR_EMAIL": "upgrade@example.com",
    "GIT_COMMITTER_NAME": "Upgrade Check",
    "GIT_COMMITTER_EMAIL": "upgrade@example.com",
}
USER_MODULE = '''"""A module the user added: the update must leave it alone."""


def shout(text: str) -> str:
    return text.upper() + "!"
'''
USER_TEST = """from {package}.user_extra import shout


def test_shout() -> None:
    assert shout("hi") == "HI!"
"""
README_NOTE = "\n## My notes\n\nWhat I changed and why: a section the user wrote.\n"


@dataclass(frozen=True)
class Upgrade:
    project: Path
    from_version: str
    to_version: str
    conflicts: list[str]
    predicted: list[str]
    output: str


def git(cwd: Path, *args: str) -> str:
    return harness.run(["git", *args], cwd, env={**os.environ, **GIT_ENV})


def releases() -> dict[str, str]:
    return dict(tomllib.loads((harness.REPO_ROOT / "releases.toml").read_text())["releases"])


UNRELEASED = "Unreleased"
FROM_RELEASE_ENV = "MLPATH_UPGRADE_FROM"  # the release to update from (default: the previous one)


def changelog_entries() -> list[tuple[str, str]]:
    """CHANGELOG.md's entries, newest first: (heading, body)."""
    parts = CHANGELOG.read_text().split("\n## ")[1:]
    return [(part.split("\n", 1)[0].strip(), part.split("\n", 1)[1]) for part in parts]


def newest_release() -> str:
    return max(releases(), key=Version)


def prepared_version() -> Version:
    """The version the working tree's templates are: CHANGELOG.md's newest entry.

    An "Unreleased" entry is the next minor version after the newest release (a label for the
    check's own repository; `make release` names the real one)."""
    heading = changelog_entries()[0][0]
    if heading == UNRELEASED:
        newest = Version(newest_release())
        return Version(f"{newest.major}.{newest.minor + 1}.0")
    return Version(heading)


def previous_release() -> tuple[str, str]:
    """The release the check updates from, and its commit: MLPATH_UPGRADE_FROM if set, else the
    newest release older than the version being prepared."""
    chosen = os.environ.get(FROM_RELEASE_ENV)
    if chosen:
        if chosen not in releases():
            raise harness.HarnessError(f"{FROM_RELEASE_ENV}={chosen}: not in releases.toml")
        return chosen, releases()[chosen]
    older = [tag for tag in releases() if Version(tag) < prepared_version()]
    if not older:
        raise harness.HarnessError(f"releases.toml: no release older than {prepared_version()}")
    tag = max(older, key=Version)
    return tag, releases()[tag]


def two_release_repo(root: Path, template: str) -> tuple[Path, str, str]:
    """Previous release as released, then the working tree's templates; returns the tags."""
    old_tag, commit = previous_release()
    new_tag = f"v{prepared_version()}"
    repo = root / "templates-repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "copier.yml", "questions", "templates"],
        cwd=harness.REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(repo, filter="data")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"{template} {old_tag} as released")
    git(repo, "tag", old_tag)
    snapshot = harness.template_snapshot(root / "working-tree")
    for item in repo.iterdir():
        if item.name != ".git":
            subprocess.run(["rm", "-rf", str(item)], check=True)
    subprocess.run(["cp", "-a", f"{snapshot}/.", str(repo)], check=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "the working tree's templates")
    git(repo, "tag", new_tag)
    return repo, old_tag, new_tag


def mlpath(args: Sequence[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlpath", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def typical_edits(project: Path) -> None:
    """A new module and its test, a README section, a changed setting, a new dependency."""
    package = next(p.name for p in (project / "src").iterdir() if (p / "__init__.py").is_file())
    (project / "src" / package / "user_extra.py").write_text(USER_MODULE)
    (project / "tests" / "test_user_extra.py").write_text(USER_TEST.format(package=package))
    with (project / "README.md").open("a") as readme:
        readme.write(README_NOTE)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    text = text.replace(  # a changed setting
        'addopts = "-ra --strict-markers"', 'addopts = "-ra --strict-markers --durations=5"', 1
    )
    text = re.sub(r"dependencies = \[\n", 'dependencies = [\n    "tabulate>=0.9",\n', text, count=1)
    pyproject.write_text(text)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "my changes: a module, notes, pytest options, tabulate")


def predicted_conflicts(template: str, since: str) -> list[str]:
    """What CHANGELOG.md says the typical edits conflict with, for `template`, updating from the
    release `since`: the union of the "Conflicts with the typical edits" lines of every entry
    newer than it (from the previous release, that is the newest entry's line)."""
    names: set[str] = set()
    for heading, body in changelog_entries():
        if heading != UNRELEASED and Version(heading) <= Version(since):
            break
        section = re.search(rf"### {re.escape(template)}\n(.*?)(?=\n### |\Z)", body, re.S)
        if section is None:
            raise harness.HarnessError(f"CHANGELOG.md: the entry {heading} has no ### {template}")
        line = re.search(r"Conflicts with the typical edits: (.*)", section.group(1))
        if line is None:
            raise harness.HarnessError(
                f"CHANGELOG.md {heading}: {template} names no conflicts line"
            )
        listed = line.group(1).strip().rstrip(".")
        if listed.lower() != "none":
            names.update(n.strip(" `") for n in listed.split(","))
    return sorted(names)


def questions_at(repo: Path, tag: str) -> set[str]:
    """The questions the template repository asks at `tag`: the top-level keys of copier.yml and
    questions/*.yml that are not Copier settings (`_...`)."""
    files = git(repo, "ls-tree", "-r", "--name-only", tag, "--", "copier.yml", "questions")
    return {
        name
        for path in files.split()
        for name in re.findall(r"^([A-Za-z]\w*):", git(repo, "show", f"{tag}:{path}"), re.M)
    }


def data_args(data: dict[str, str]) -> list[str]:
    return [arg for key, value in data.items() for arg in ("--data", f"{key}={value}")]


def upgrade(template: str, work: Path, data: dict[str, str] | None = None) -> Upgrade:
    repo, old_tag, new_tag = two_release_repo(work, template)
    home = work / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV"}}
    env.update({"HOME": str(home), "MLPATH_TEMPLATE_REPO": str(repo), **GIT_ENV})
    project = work / f"my-{template}"
    # An answer to a question the previous release does not ask yet is given to the update,
    # as a user turning the new option on would (`mlpath update --data key=value`).
    asked = questions_at(repo, old_tag)
    at_new = {key: value for key, value in (data or {}).items() if key in asked}
    at_update = {key: value for key, value in (data or {}).items() if key not in asked}
    new = ["new", template, str(project), "--defaults", "--vcs-ref", old_tag, "--no-lock"]
    made = mlpath([*new, *data_args(at_new)], work, env)
    if made.returncode != 0:
        raise harness.HarnessError(f"mlpath new at {old_tag} failed:\n{made.stderr}")
    typical_edits(project)
    updated = mlpath(["update", str(project), "--defaults", *data_args(at_update)], work, env)
    if updated.returncode not in {0, 3}:
        raise harness.HarnessError(f"mlpath update failed:\n{updated.stdout}\n{updated.stderr}")
    conflicts = sorted(
        line.split()[1] for line in updated.stdout.splitlines() if line.startswith("  C ")
    )
    return Upgrade(
        project, old_tag, new_tag, conflicts, predicted_conflicts(template, old_tag), updated.stdout
    )


def check_upgrade(template: str, work: Path, data: dict[str, str] | None = None) -> Upgrade:
    """The whole check: update, compare conflicts with the changelog, run the project's checks."""
    result = upgrade(template, work, data)
    if result.conflicts != result.predicted:
        raise harness.HarnessError(
            f"{template}: the update left conflicts in {result.conflicts or 'no file'}, "
            f"CHANGELOG.md predicts {result.predicted or 'none'}:\n{result.output}"
        )
    harness.check_generated_project(result.project)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", choices=harness.TEMPLATES)
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it")
    parser.add_argument("--from", dest="since", help="the release to update from")
    args = parser.parse_args(argv)
    if args.since:
        os.environ[FROM_RELEASE_ENV] = args.since
    work = args.keep or Path(tempfile.mkdtemp(prefix="mlpath-upgrade-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        result = check_upgrade(args.template, work)
    except harness.HarnessError as err:
        print(err, file=sys.stderr)
        return 1
    print(result.output)
    print(f"upgrade {result.from_version} -> working tree: conflicts {result.conflicts or 'none'}")
    print("upgrade check: all checks passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
