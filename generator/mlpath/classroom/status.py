"""`mlpath classroom status`: each repository's template version, last commit, state, remote."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

from .. import answers
from ..errors import MlpathError
from . import manifest, repos
from .manifest import Classroom


@dataclass(frozen=True)
class RepoStatus:
    handle: str
    version: str
    last_commit: str
    worktree: str
    remote: str

    def row(self) -> list[str]:
        return [self.handle, self.version, self.last_commit, self.worktree, self.remote]


HEADERS = ["student", "version", "last commit", "worktree", "remote"]


def repo_status(folder: Path, record: manifest.StudentRecord, fetch: bool) -> RepoStatus:
    project = folder / record.path
    if not record.has_repo:
        return RepoStatus(record.handle, "-", "-", "no repository", record.detail or record.state)
    try:
        version = str(answers.read_answers(project)["_commit"])
    except MlpathError:
        version = "?"
    try:
        repo = git.Repo(project)
        head = repo.head.commit
        when = head.committed_datetime.strftime("%Y-%m-%d %H:%M")
        last = f"{head.hexsha[:8]} {when} {str(head.summary)[:40]}"
        dirty = repos.dirty_files(project)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError) as err:
        return RepoStatus(record.handle, version, "-", "broken", f"not a git repository ({err})")
    remote = "no remote"
    if repos.has_remote(project):
        fetched = ""
        if fetch:
            try:
                repo.git.fetch("--quiet", repos.REMOTE_NAME, env=repos.NO_PROMPT)
            except git.GitCommandError as err:
                fetched = f" (fetch failed: {repos.first_line(err)})"
        counts = repos.ahead_behind(project)
        remote = (f"ahead {counts[0]}, behind {counts[1]}" if counts else "not pushed") + fetched
    worktree = f"dirty ({len(dirty)} files)" if dirty else "clean"
    return RepoStatus(record.handle, version, last, worktree, remote)


def class_status(folder: Path, fetch: bool = False) -> tuple[Classroom, list[RepoStatus]]:
    room = manifest.load(folder)
    return room, [repo_status(folder, record, fetch) for record in room.students]
