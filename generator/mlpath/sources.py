"""`--source`: any Copier-compatible template repository, in the forms Copier accepts.

A local checkout is recorded as an absolute path (`~/...` as given); a bare repository or a
`file://` URL as `git+file://...` (Copier reads a bare folder as a plain template otherwise);
`https://`, `ssh://`, `git@host:path`, `git+...` and the `gh:`/`gl:` shorthands as given.
Remote sources are checked with one `git ls-remote`, so an unreachable one fails in one line
before anything is rendered; `--vcs-ref` is checked against the same listing.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import history
from .errors import TemplateSourceError, VersionError

REMOTE_PREFIXES = ("https://", "http://", "ssh://", "git://", "git@", "git+", "gh:", "gl:")
COMMIT_ID = re.compile(r"^[0-9a-f]{7,40}$")


def normalize(source: str) -> str:
    """The form to record and hand to Copier; raises when it is no template repository."""
    if source.startswith("file://"):
        source = "git+" + source
    if source.startswith(REMOTE_PREFIXES):
        refs(source)  # one line when unreachable
        return source
    local = Path(source).expanduser()
    if not local.exists():
        raise TemplateSourceError(f"--source {source}: no such path, and not a git URL")
    if local.is_file():
        refs(str(local))  # a git bundle, or an error naming --source
        return source if source.startswith("~") else str(local.resolve())
    if is_bare_repository(local):
        return f"git+file://{local.resolve()}"
    if not any((local / name).is_file() for name in ("copier.yml", "copier.yaml")):
        raise TemplateSourceError(f"--source {source}: not a Copier template (no copier.yml)")
    # Recorded as given, but a relative path would only resolve from today's working directory.
    return source if source.startswith("~") or local.is_absolute() else str(local.resolve())


def is_relative_path(source: str) -> bool:
    """A recorded source Copier resolves against the project folder."""
    return not (
        "://" in source
        or source.startswith(("~", "/", "git@", "gh:", "gl:", "git+"))
        or Path(source).is_absolute()
    )


def is_bare_repository(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def refs(source: str) -> dict[str, str]:
    try:
        return history.remote_refs(source)
    except TemplateSourceError as err:
        raise TemplateSourceError(f"--source {err}") from None


def check_ref(source: str, ref: str) -> None:
    """--vcs-ref must name a tag or branch of the source (or look like a commit id)."""
    if COMMIT_ID.match(ref):
        return
    listing = refs(source)
    names = {name.removeprefix("refs/tags/").removeprefix("refs/heads/") for name in listing}
    if ref not in names:
        tags = history.by_version(list(history.release_tags(listing)))
        raise VersionError(
            f"--vcs-ref {ref}: no such tag or branch in {source}; "
            f"release tags: {', '.join(tags) or 'none'}"
        )
