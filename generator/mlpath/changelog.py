"""`mlpath changelog`: the CHANGELOG.md entries an update of a project would bring.

The entries newer than the version the project records, up to the newest release: what the update
pull request (templates/_shared/template-update.sh.jinja) puts in its body. CHANGELOG.md is read
at the newest commit of the template's history: this installation's (the built-in templates), or
a fork's when it is a local repository; a fork on a server has none offline, and gets nothing.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from . import history
from .check import read_record

CHANGELOG_FILE = "CHANGELOG.md"


def project_entries(project: Path, source: str | None = None) -> str:
    record = read_record(project, source)
    text = read_changelog(record.source)
    return entries(text, record.version, record.newest) if text else ""


def entries(text: str, after: str, upto: str) -> str:
    """The `## vX.Y.Z` sections with after < X.Y.Z <= upto, newest first, as written."""
    low, high = history.parse_version(after), history.parse_version(upto)
    kept = []
    for part in text.split("\n## ")[1:]:
        version = history.parse_version(part.split("\n", 1)[0].strip())
        if version and low and high and low < version <= high:
            kept.append("## " + part.rstrip("\n") + "\n")
    return "\n".join(kept)


def read_changelog(source: str) -> str | None:
    if history.is_builtin(source):
        return show_file(history.history_source())
    location = history.git_url(source)
    if "://" in location and not location.startswith("file://"):
        return None  # on a server: not offline
    path = Path(location.removeprefix("file://")).expanduser()
    return show_file(path) if path.exists() else None


def show_file(repository: Path) -> str | None:
    """CHANGELOG.md at HEAD of a repository, or of a bundle (fetched into a scratch repository)."""
    if repository.is_file():
        with tempfile.TemporaryDirectory(prefix="mlpath-changelog-") as tmp:
            if git(Path(tmp), "init", "--quiet", "--bare") is None:
                return None
            if git(Path(tmp), "fetch", "--quiet", str(repository), "HEAD:refs/heads/h") is None:
                return None
            return git(Path(tmp), "show", f"refs/heads/h:{CHANGELOG_FILE}")
    return git(repository, "show", f"HEAD:{CHANGELOG_FILE}")


def git(cwd: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    return proc.stdout if proc.returncode == 0 else None
