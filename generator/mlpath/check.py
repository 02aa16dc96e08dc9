"""`mlpath check`: is a project at its template's newest version? (as `cruft check` does, for CI)

It reads the recorded source and version from the answers file and lists the source's release
tags without rendering anything: the built-in templates from the per-user release bundle (placed
offline from this installation's history, under any HOME), a fork by `git ls-remote` (a path, or
a URL). `--source` reads another copy of the project's template repository than the recorded one
(a fork's URL on a machine that never saw its recorded path).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import answers, catalog, history, sources
from .errors import NotAProjectError, VersionError

BEHIND_EXIT_CODE = 4  # 1: internal error, 2: bad input, 3: an update left conflicts


@dataclass(frozen=True)
class Record:
    """Where a project came from: its answers file, read and checked against its source."""

    project: Path
    template: str
    source: str  # as Copier is handed it (a relative path resolved against the project)
    version: str
    versions: list[str]  # the source's releases, oldest first
    answers: dict[str, Any]

    @property
    def newest(self) -> str:
        return self.versions[-1]

    @property
    def behind(self) -> bool:
        return self.versions.index(self.newest) > self.versions.index(self.version)


@dataclass(frozen=True)
class CheckResult:
    template: str
    version: str
    newest: str
    behind: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "version": self.version,
            "newest": self.newest,
            "behind": self.behind,
        }


def check_project(project: Path, source: str | None = None) -> CheckResult:
    record = read_record(project, source)
    return CheckResult(record.template, record.version, record.newest, record.behind)


def read_record(project: Path, source: str | None = None) -> Record:
    """The project's answers, its source and that source's releases; one line when unusable."""
    project = project.absolute()
    recorded = answers.read_answers(project)
    template = recorded.get("template")
    if not isinstance(template, str) or not template:
        raise NotAProjectError(
            f"{project / answers.ANSWERS_FILE}: records no template; restore it from git"
        )
    where = sources.normalize(source) if source is not None else str(recorded["_src_path"])
    if history.is_builtin(where):
        catalog.check_template_name(template)
        history.install_history(template)
    elif sources.is_relative_path(
        where
    ):  # Copier resolves a relative template path from the project
        where = str((project / where).resolve())
    versions = history.available_versions(where)
    if not versions:
        raise VersionError(f"{where}: no release tags (PEP 440 versions such as v0.1.0)")
    version = str(recorded["_commit"])
    wanted = history.parse_version(version)
    matches = [tag for tag in versions if wanted and history.parse_version(tag) == wanted]
    if not matches:
        raise VersionError(
            f"{project / answers.ANSWERS_FILE}: records version {version}, which {where} does "
            f"not have; its releases: {', '.join(versions)}"
        )
    return Record(project, template, where, matches[0], versions, dict(recorded))
