"""`mlpath update` and `mlpath status`: a project against its template's history.

The update itself is Copier's 3-way update. mlpath picks and checks the target version, makes
sure the built-in history is in place under this HOME (so it works offline and on another
machine), refuses a dirty tree up front, and reports what changed and what conflicts remain.
`--pretend` runs the same update on a throwaway clone beside the project.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import git
from copier.errors import CopierError
from plumbum import ProcessExecutionError

from . import answers, history, vcs
from .errors import GenerationError, InvalidAnswerError, TemplateSourceError, VersionError
from .options import UpdateOptions


@dataclass(frozen=True)
class UpdateResult:
    project: Path
    from_version: str
    to_version: str
    changed: list[str]
    conflicts: list[str]
    pretend: bool

    @property
    def up_to_date(self) -> bool:
        return self.from_version == self.to_version


@dataclass(frozen=True)
class Status:
    project: Path
    template: str
    source: str
    version: str
    newest: str
    answers: dict[str, Any]


def project_status(project: Path) -> Status:
    recorded = answers.read_answers(project)
    source = str(recorded["_src_path"])
    if history.is_builtin(source):
        history.install_history(str(recorded.get("template")))
    return Status(
        project,
        str(recorded.get("template", "?")),
        source,
        str(recorded["_commit"]),
        history.newest_version(source),
        answers.user_answers(recorded),
    )


def update_project(opts: UpdateOptions) -> UpdateResult:
    project = opts.dest.absolute()
    recorded = answers.read_answers(project)
    vcs.require_clean(project)
    source = str(recorded["_src_path"])
    if history.is_builtin(source):
        history.install_history(str(recorded.get("template")))
    current = str(recorded["_commit"])
    target = target_version(source, current, opts.to)
    if target == current:
        return UpdateResult(project, current, target, [], [], opts.pretend)
    if opts.pretend:
        return pretend_update(project, current, target, opts)
    run_copier_update(project, target, opts)
    changed = vcs.changed_files(project)
    return UpdateResult(
        project, current, target, changed, vcs.conflicted_files(project, changed), pretend=False
    )


def target_version(source: str, current: str, wanted: str | None) -> str:
    available = history.available_versions(source)
    if not available:
        raise VersionError(f"{source}: no release tags to update to")
    current_version = history.parse_version(current)
    if wanted is None:
        newest = available[-1]
        newest_version = history.parse_version(newest)
        if current_version and newest_version and newest_version <= current_version:
            return current
        return newest
    wanted_version = history.parse_version(wanted)
    matches = [tag for tag in available if history.parse_version(tag) == wanted_version]
    if not matches:
        raise VersionError(
            f"--to {wanted}: no such template version; available: {', '.join(available)}"
        )
    target = matches[0]
    target_parsed = history.parse_version(target)
    if current_version and target_parsed and target_parsed < current_version:
        raise VersionError(
            f"--to {wanted}: older than the version in use ({current}); mlpath updates forward only"
        )
    return target


def pretend_update(project: Path, current: str, target: str, opts: UpdateOptions) -> UpdateResult:
    # A sibling folder, so a relative _src_path resolves exactly as it does for the project.
    scratch = Path(tempfile.mkdtemp(prefix=".mlpath-pretend-", dir=project.parent))
    try:
        clone = scratch / project.name
        git.Repo.clone_from(str(project), str(clone))
        run_copier_update(clone, target, opts)
        changed = vcs.changed_files(clone)
        return UpdateResult(
            project, current, target, changed, vcs.conflicted_files(clone, changed), pretend=True
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_copier_update(project: Path, target: str, opts: UpdateOptions) -> None:
    try:
        copier.run_update(
            project,
            vcs_ref=target,
            defaults=True,
            overwrite=True,
            skip_answered=True,
            conflict=opts.conflict,
            quiet=True,
            unsafe=False,
        )
    except ValueError as err:
        raise InvalidAnswerError(f"{project}: {err}") from None
    except ProcessExecutionError as err:
        raise TemplateSourceError(f"{project}: reading the template failed: {err}") from None
    except CopierError as err:
        raise GenerationError(f"{project}: copier update failed: {err}") from err
