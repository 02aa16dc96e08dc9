"""`mlpath new`: render a template through Copier's API into a new project.

Copier renders into a staging folder beside the destination, which is then renamed into place:
a failed or interrupted generation leaves nothing behind, and an existing destination is never
touched unless the user said `--force`.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import jinja2
from copier.errors import CopierError, InteractiveSessionError, UserMessageError
from plumbum import ProcessExecutionError

from . import answers, catalog, history, vcs
from .errors import (
    DestinationExistsError,
    GenerationError,
    InvalidAnswerError,
    TemplateSourceError,
    UserError,
    VersionError,
)
from .options import NewOptions

NO_TERMINAL = (
    "no terminal to ask the questions on; pass --defaults (and --data key=value for "
    "the answers you want)"
)


@dataclass(frozen=True)
class Generated:
    path: Path
    template: str
    version: str
    answers: dict[str, Any]
    commit: str | None


def new_project(opts: NewOptions) -> Generated:
    source = resolve_source(opts)
    planned = opts.dest or (
        Path(str(opts.data["project_name"])) if "project_name" in opts.data else None
    )
    if planned is not None:
        check_destination(planned, opts.force)
    parent = (planned.parent if planned is not None else Path()).absolute()
    created = first_missing_ancestor(parent)
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mlpath-new-", dir=parent))
    try:
        recorded = render(source, staging / "project", opts)
        final = planned if planned is not None else parent / str(recorded["project_name"])
        check_destination(final, opts.force)
        move_into_place(staging / "project", final)
    except BaseException:
        if created is not None:  # the folders made for DEST go too
            shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    commit = None
    if opts.git and not vcs.is_inside_repo(final):
        author = (str(recorded.get("author_name", "")), str(recorded.get("author_email", "")))
        commit = vcs.init_and_commit(
            final, f"Generate from mlpath template {opts.template} {recorded['_commit']}", author
        )
    return Generated(
        final, opts.template, str(recorded["_commit"]), answers.user_answers(recorded), commit
    )


def first_missing_ancestor(path: Path) -> Path | None:
    missing = None
    while not path.exists():
        missing, path = path, path.parent
    return missing


def resolve_source(opts: NewOptions) -> str:
    """The template source to record: the per-user bundle, or `--source` as given."""
    if opts.source is None:
        catalog.check_template_name(opts.template)
        source = history.install_history(opts.template)
        if opts.vcs_ref is not None and opts.vcs_ref not in history.available_versions(source):
            raise VersionError(
                f"--vcs-ref {opts.vcs_ref}: no such template version; available: "
                f"{', '.join(history.available_versions(source))}"
            )
        return source
    return check_source(opts.source)


def check_source(source: str) -> str:
    local = Path(source).expanduser()
    if "://" in source or source.startswith("git@"):
        history.remote_refs(source)  # fails with a clear line when unreachable
        return source
    if not local.exists():
        raise TemplateSourceError(f"--source {source}: no such path or git URL")
    if local.is_dir() and not any(
        (local / name).is_file() for name in ("copier.yml", "copier.yaml")
    ):
        raise TemplateSourceError(f"--source {source}: not a Copier template (no copier.yml)")
    # Recorded as given, but a relative path would only resolve from today's working directory.
    return source if source.startswith("~") or local.is_absolute() else str(local.resolve())


def check_destination(dest: Path, force: bool) -> None:
    if dest.exists() and not dest.is_dir():
        raise DestinationExistsError(f"{dest}: exists and is not a directory")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise DestinationExistsError(
            f"{dest}: exists and is not empty; choose another DEST or pass --force to render "
            "over it (files the template also has are overwritten)"
        )


def render(source: str, dest: Path, opts: NewOptions) -> dict[str, Any]:
    """Copier's copy with Copier's errors turned into mlpath's; returns the recorded answers."""
    data = {**opts.data, "template": opts.template}
    if not opts.defaults and not sys.stdin.isatty():
        raise UserError(NO_TERMINAL)
    try:
        worker = copier.run_copy(
            source,
            dest,
            data=data,
            vcs_ref=opts.vcs_ref,
            defaults=opts.defaults,
            quiet=True,
            unsafe=False,
            cleanup_on_error=True,
        )
    except InteractiveSessionError:
        raise UserError(NO_TERMINAL) from None
    except ValueError as err:
        raise InvalidAnswerError(f"--data: {err}") from None
    except (UserMessageError, ProcessExecutionError) as err:
        raise TemplateSourceError(f"{source}: {err}") from None
    except (CopierError, jinja2.TemplateError, OSError) as err:
        raise GenerationError(f"rendering {opts.template} from {source} failed: {err}") from err
    questions = worker.template.questions_data
    if "template" not in questions:
        raise TemplateSourceError(f"{source}: not an mlpath template (it does not ask `template`)")
    answers.check_data(opts.data, questions)
    return answers.read_answers(dest)


def move_into_place(staged: Path, final: Path) -> None:
    if final.is_dir() and any(final.iterdir()):  # --force: render over what is there
        shutil.copytree(staged, final, dirs_exist_ok=True, symlinks=True)
        return
    if final.is_dir():
        final.rmdir()
    os.rename(staged, final)
