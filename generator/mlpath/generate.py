"""`mlpath new`: render a template through Copier's API into a new project.

Copier renders into a staging folder beside the destination; `uv lock` and the first commit are
made there too, and only then is the folder renamed into place: a failed or interrupted
generation leaves nothing behind, a finished one is complete, and an existing destination is
never touched unless the user said `--force`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import jinja2
from copier.errors import CopierError, InteractiveSessionError, UserMessageError
from plumbum import ProcessExecutionError

from . import answers, catalog, history, prerequisites, sources, vcs
from .errors import (
    DestinationExistsError,
    GenerationError,
    InvalidAnswerError,
    TemplateSourceError,
    UserError,
    VersionError,
)
from .options import NewOptions

LOCK_TIMEOUT_S = 180
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
    lock_note: str | None = None  # why uv.lock was not written, when it was not


def new_project(opts: NewOptions) -> Generated:
    source = resolve_source(opts)
    planned = opts.dest or (
        Path(str(opts.data["project_name"])) if "project_name" in opts.data else None
    )
    if planned is not None:
        check_destination(planned, opts.force)
    parent = (planned.parent if planned is not None else Path()).absolute()
    if parent.exists() and not parent.is_dir():
        raise DestinationExistsError(f"{parent}: is a file, so DEST cannot be made inside it")
    created = first_missing_ancestor(parent)
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mlpath-new-", dir=parent))
    in_repo = vcs.is_inside_repo(parent)
    try:
        staged = staging / "project"
        recorded = render(source, staged, opts, planned)
        final = planned if planned is not None else parent / str(recorded["project_name"])
        check_destination(final, opts.force)
        lock_note = write_lock(staged) if opts.lock else None
        commit = None
        if opts.git and not in_repo and not (opts.force and final.is_dir()):
            commit = first_commit(staged, opts.template, recorded)
        move_into_place(staged, final)
        if opts.git and not in_repo and commit is None:  # --force over an existing folder
            commit = first_commit(final, opts.template, recorded)
    except BaseException:
        if created is not None:  # the folders made for DEST go too
            shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Generated(
        final,
        opts.template,
        str(recorded["_commit"]),
        answers.user_answers(recorded),
        commit,
        lock_note,
    )


def first_commit(project: Path, template: str, recorded: dict[str, Any]) -> str:
    author = (str(recorded.get("author_name", "")), str(recorded.get("author_email", "")))
    return vcs.init_and_commit(
        project, f"Generate from mlpath template {template} {recorded['_commit']}", author
    )


def write_lock(project: Path) -> str | None:
    """`uv lock`, so the first commit pins every dependency; the reason when it cannot."""
    if not (project / "pyproject.toml").is_file():
        return None
    uv = prerequisites.uv_command()
    if uv is None:
        return "uv is not installed"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    try:
        proc = subprocess.run(
            [uv, "lock", "--quiet"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=LOCK_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"uv lock took over {LOCK_TIMEOUT_S} s"
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        return lines[-1].strip() if lines else f"uv lock exited {proc.returncode}"
    return None


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
    source = sources.normalize(opts.source)
    if opts.vcs_ref is not None:
        sources.check_ref(source, opts.vcs_ref)
    return source


def check_destination(dest: Path, force: bool) -> None:
    if dest.exists() and not dest.is_dir():
        raise DestinationExistsError(f"{dest}: exists and is not a directory")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise DestinationExistsError(
            f"{dest}: exists and is not empty; choose another DEST or pass --force to render "
            "over it (files the template also has are overwritten)"
        )


def default_project_name(dest: Path | None) -> dict[str, str]:
    """DEST's folder name, made a valid project name, is the suggested project name."""
    if dest is None:
        return {}
    slug = re.sub(r"[^a-z0-9]+", "-", dest.absolute().name.lower()).strip("-")
    if not slug or not slug[0].isalpha():
        return {}
    return {"project_name": slug}


def render(source: str, dest: Path, opts: NewOptions, planned: Path | None) -> dict[str, Any]:
    """Copier's copy with Copier's errors turned into mlpath's; returns the recorded answers."""
    data = {**opts.data, "template": opts.template}
    if not opts.defaults and not sys.stdin.isatty():
        raise UserError(NO_TERMINAL)
    suggested = default_project_name(planned) if "project_name" not in opts.data else {}
    try:
        worker = copier.run_copy(
            source,
            dest,
            data=data,
            user_defaults=suggested,
            vcs_ref=opts.vcs_ref,
            defaults=opts.defaults,
            quiet=True,
            unsafe=False,
            cleanup_on_error=True,
        )
    except InteractiveSessionError:
        raise UserError(NO_TERMINAL) from None
    except ValueError as err:
        raise InvalidAnswerError(f"--data: {one_line(err)}") from None
    except (UserMessageError, ProcessExecutionError) as err:
        raise TemplateSourceError(f"--source {source}: {one_line(err)}") from None
    except (CopierError, jinja2.TemplateError, OSError) as err:
        raise GenerationError(f"rendering {opts.template} from {source} failed: {err}") from err
    questions = worker.template.questions_data
    if "template" not in questions:
        raise TemplateSourceError(f"{source}: not an mlpath template (it does not ask `template`)")
    recorded = answers.read_answers(dest)
    answers.check_data(opts.data, questions, recorded)
    return recorded


def one_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[-1] if lines else type(err).__name__


def move_into_place(staged: Path, final: Path) -> None:
    if final.is_dir() and any(final.iterdir()):  # --force: render over what is there
        shutil.copytree(staged, final, dirs_exist_ok=True, symlinks=True)
        return
    if final.is_dir():
        final.rmdir()
    os.rename(staged, final)
