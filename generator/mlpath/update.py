"""`mlpath update` and `mlpath status`: a project against its template's history.

The update itself is Copier's 3-way update, run on a scratch clone of the project's repository
(never on the user's files). mlpath picks and checks the target version, makes sure the built-in
history is in place under this HOME (so it works offline and on another machine), refuses
uncommitted changes in the project up front, keeps a file the template deletes or renames when
the user changed it (a conflict to resolve, never a silent loss), and then lands the result in
one step (landing.py): interrupted at any moment, the project is either at its previous HEAD
with a clean tree, or fully updated. `--pretend` stops before landing.

`--data KEY=VALUE` changes recorded answers in the same 3-way update (Copier renders the old
version with the old answers and the target with the new ones), also at the version in use: the
user's edits are kept, and the data is checked as `mlpath new` checks it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import copier
import git
import jinja2
from copier.errors import CopierError, InteractiveSessionError, UserMessageError
from plumbum import ProcessExecutionError

from . import answers, history, landing, vcs
from .errors import (
    GenerationError,
    InvalidAnswerError,
    TemplateSourceError,
    UserError,
    VersionError,
)
from .generate import one_line
from .landing import Change
from .options import UpdateOptions

KEPT_DELETED = "the template deletes it; kept because you changed it"


@dataclass(frozen=True)
class UpdateResult:
    project: Path
    from_version: str
    to_version: str
    changes: list[Change] = field(default_factory=list)
    new_answers: dict[str, Any] = field(default_factory=dict)
    pretend: bool = False
    recovered: bool = False
    interrupted: bool = False
    changed_answers: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # key: (was, now)
    dropped_answers: dict[str, Any] = field(default_factory=dict)  # no longer asked

    @property
    def up_to_date(self) -> bool:
        """Nothing to do: same version, and no answer or file that changed."""
        return (
            self.from_version == self.to_version
            and not self.changes
            and not self.changed_answers
            and not self.dropped_answers
            and not self.new_answers
        )

    @property
    def changed(self) -> list[str]:
        return [change.path for change in self.changes]

    @property
    def conflicts(self) -> list[str]:
        return [change.old_path or change.path for change in self.changes if change.conflict]

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for change in self.changes:
            counted[change.letter] = counted.get(change.letter, 0) + 1
        return counted


@dataclass(frozen=True)
class Status:
    project: Path
    template: str
    source: str
    version: str
    newest: str
    answers: dict[str, Any]
    repository: Path | None


def project_status(project: Path) -> Status:
    recorded = answers.read_answers(project)
    source = str(recorded["_src_path"])
    if history.is_builtin(source):
        history.install_history(str(recorded.get("template")))
    repository = vcs.worktree_root(vcs.open_repo(project)) if vcs.is_inside_repo(project) else None
    return Status(
        project,
        str(recorded.get("template", "?")),
        source,
        str(recorded["_commit"]),
        history.newest_version(source),
        answers.user_answers(recorded),
        repository,
    )


def update_project(opts: UpdateOptions) -> UpdateResult:
    project = opts.dest.absolute()
    recovered = landing.recover(project)
    recorded = answers.read_answers(project)
    vcs.require_clean(project)
    source = str(recorded["_src_path"])
    if history.is_builtin(source):
        history.install_history(str(recorded.get("template")))
    current = str(recorded["_commit"])
    target = target_version(source, current, opts.to)
    check_template_kept(opts.data, recorded)
    if target == current and not opts.data:
        return UpdateResult(project, current, target, recovered=recovered)
    if opts.data:
        quick_check_data(source, target, opts.data, recorded)
    with scratch_clone(project, source) as scratch:
        questions = run_copier_update(scratch, target, opts)
        updated = answers.read_answers(scratch)
        if opts.data:  # after the render, as `new` does: Copier casts any string it is given
            answers.check_data(opts.data, questions, updated)
        changes = keep_changed_deletions(project, recorded, read_changes(scratch))
        new_answers = {
            key: value
            for key, value in answers.user_answers(updated).items()
            if key not in recorded
        }
        changed_answers = {
            key: (recorded[key], updated[key])
            for key in opts.data
            if key in recorded and key in updated and recorded[key] != updated[key]
        }
        # An answer to a question that is no longer asked (its `when` turned false) goes from
        # the answers file; say so rather than drop it silently.
        dropped_answers = {
            key: value
            for key, value in answers.user_answers(recorded).items()
            if key not in updated
        }
        if opts.pretend:
            return UpdateResult(
                project,
                current,
                target,
                changes,
                new_answers,
                pretend=True,
                recovered=recovered,
                changed_answers=changed_answers,
                dropped_answers=dropped_answers,
            )
        landed = landing.land(project, scratch, changes)
    return UpdateResult(
        project,
        current,
        target,
        changes,
        new_answers,
        recovered=recovered,
        interrupted=bool(landed.interrupted_by),
        changed_answers=changed_answers,
        dropped_answers=dropped_answers,
    )


def quick_check_data(
    source: str, target: str, data: dict[str, Any], recorded: dict[str, Any]
) -> None:
    """Refuse a --data key the target version has no question for, or a value of the wrong type,
    from one pretend render (under a second) instead of after the update's five (several seconds
    on a real template). Whatever this look cannot tell is checked after the update's render."""
    if is_relative_path(source):  # it resolves against the project, not the working directory
        return
    with tempfile.TemporaryDirectory(prefix="mlpath-questions-") as tmp:
        try:
            worker = copier.run_copy(
                source,
                tmp,
                data={"template": recorded.get("template")},
                vcs_ref=target,
                defaults=True,
                pretend=True,
                quiet=True,
                unsafe=False,
            )
        except (CopierError, ProcessExecutionError, OSError, ValueError, jinja2.TemplateError):
            return
    answers.check_names_and_types(data, worker.template.questions_data)


def check_template_kept(data: dict[str, Any], recorded: dict[str, Any]) -> None:
    """`template` picks the folder Copier renders; changing it is a new project, not an update."""
    if "template" in data and str(data["template"]).strip() != str(recorded.get("template")):
        raise InvalidAnswerError(
            f"--data template={data['template']}: an update cannot change the template "
            f"(this project is {recorded.get('template')}); generate a new project instead"
        )


def read_changes(scratch: Path) -> list[Change]:
    try:
        return landing.read_changes(scratch)
    except git.GitCommandError as err:
        raise GenerationError(f"reading the update's changes failed: {err.stderr.strip()}") from err


@contextmanager
def scratch_clone(project: Path, source: str) -> Iterator[Path]:
    """The project inside a throwaway clone of its repository (objects shared, not copied)."""
    repo = vcs.open_repo(project)
    root = vcs.worktree_root(repo)
    prefix = vcs.project_prefix(repo, project)
    # A relative template path resolves against the project folder; only a clone that sits
    # beside the repository (and the project at its root) resolves it the same way.
    beside = is_relative_path(source) and not prefix
    try:
        scratch = Path(
            tempfile.mkdtemp(prefix=".mlpath-update-", dir=root.parent if beside else None)
        )
    except OSError as err:
        raise UserError(
            f"{err.filename}: cannot create the update's scratch folder ({err.strerror})"
        ) from None
    try:
        clone = scratch / root.name
        git.Git().clone("--quiet", "--shared", "--no-checkout", str(root), str(clone))
        git.Repo(clone).git.checkout("--quiet", "--detach", repo.head.commit.hexsha)
        yield clone / prefix if prefix else clone
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def is_relative_path(source: str) -> bool:
    return not (
        "://" in source
        or source.startswith(("~", "/", "git@", "gh:", "gl:", "git+"))
        or Path(source).is_absolute()
    )


def keep_changed_deletions(
    project: Path, recorded: dict[str, Any], changes: list[Change]
) -> list[Change]:
    """A file the template deletes or renames away stays where the user changed it."""
    gone = [c for c in changes if c.status == "D" or (c.status == "R" and c.old_path)]
    if not gone:
        return changes
    with tempfile.TemporaryDirectory(prefix="mlpath-pristine-") as tmp:
        pristine = Path(tmp) / "project"
        render_version(str(recorded["_src_path"]), str(recorded["_commit"]), recorded, pristine)
        kept = []
        for change in changes:
            name = change.old_path or change.path
            if change not in gone or same_bytes(pristine / name, project / name):
                kept.append(change)
                continue
            note = KEPT_DELETED if change.status == "D" else f"{KEPT_DELETED}; see {change.path}"
            kept.append(Change(change.status, change.path, change.old_path, True, note, kept=True))
    return kept


def same_bytes(a: Path, b: Path) -> bool:
    return a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes()


def render_version(source: str, version: str, recorded: dict[str, Any], dest: Path) -> None:
    """The project as the template rendered it at `version`, from the recorded answers."""
    try:
        copier.run_copy(
            source,
            dest,
            data=answers.user_answers(recorded),
            vcs_ref=version,
            defaults=True,
            quiet=True,
            unsafe=False,
        )
    except (CopierError, ProcessExecutionError, OSError, ValueError) as err:
        raise GenerationError(f"rendering {version} to compare deletions failed: {err}") from err


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


def run_copier_update(project: Path, target: str, opts: UpdateOptions) -> dict[str, Any]:
    """Copier's update, asking new questions on a terminal unless told to take the defaults;
    returns the target version's questions."""
    try:
        worker = copier.run_update(
            project,
            data=dict(opts.data),
            vcs_ref=target,
            defaults=opts.defaults or not sys.stdin.isatty(),
            overwrite=True,
            skip_answered=True,
            conflict=opts.conflict,
            quiet=True,
            unsafe=False,
        )
    except InteractiveSessionError:
        raise UserError("no terminal to ask the new questions on; pass --defaults") from None
    except UserMessageError as err:
        raise GenerationError(f"{project}: copier update refused: {err}") from None
    except ValueError as err:
        if opts.data:  # a value of --data Copier could not parse or validate
            raise InvalidAnswerError(f"--data: {one_line(err)}") from None
        raise InvalidAnswerError(f"{project}: {err}") from None
    except ProcessExecutionError as err:
        raise TemplateSourceError(f"{project}: reading the template failed: {err}") from None
    except CopierError as err:
        raise GenerationError(f"{project}: copier update failed: {err}") from err
    return dict(worker.template.questions_data)
