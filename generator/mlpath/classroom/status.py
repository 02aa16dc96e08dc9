"""`mlpath classroom status`: each repository's template version, last commit, state, remote,
the update branches that wait to be merged, and whether feedback was pushed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

from .. import answers
from ..errors import MlpathError
from . import batch_update, feedback_push, manifest, repos
from .manifest import Classroom


@dataclass(frozen=True)
class RepoStatus:
    handle: str
    version: str
    last_commit: str
    worktree: str
    remote: str
    waiting: tuple[str, ...] = ()  # update branches not merged into the student's main
    feedback: str = "-"

    def row(self) -> list[str]:
        waits = ", ".join(self.waiting) or "-"
        return [self.handle, self.version, self.last_commit, self.worktree, self.remote, waits,
                self.feedback]  # fmt: skip


HEADERS = ["student", "version", "last commit", "worktree", "remote", "update waiting", "feedback"]
UPDATE_PREFIX = batch_update.branch_name("")


def waiting_updates(repo: git.Repo) -> tuple[str, ...]:
    """Update branches (here or on the remote) whose commit the student's main does not hold."""
    tips = {h.name: h.commit for h in repo.heads if h.name.startswith(UPDATE_PREFIX)}
    main: git.Commit = repo.heads["main"].commit if "main" in repo.heads else repo.head.commit
    if repos.REMOTE_NAME in [remote.name for remote in repo.remotes]:
        remote = repo.remote(repos.REMOTE_NAME)
        tips.update(
            {
                r.remote_head: r.commit
                for r in remote.refs
                if r.remote_head.startswith(UPDATE_PREFIX)
            }
        )
        main = next((r.commit for r in remote.refs if r.remote_head == "main"), main)
    return tuple(sorted(name for name, tip in tips.items() if not repo.is_ancestor(tip, main)))


def feedback_state(repo: git.Repo) -> str:
    local = next((h.commit for h in repo.heads if h.name == feedback_push.BRANCH), None)
    if local is None:
        return "-"
    pushed = f"refs/remotes/{repos.REMOTE_NAME}/{feedback_push.BRANCH}"
    try:
        return "pushed" if repo.commit(pushed) == local else "not pushed"
    except (git.BadName, ValueError):
        return "not pushed"


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
    waiting = waiting_updates(repo)
    return RepoStatus(record.handle, version, last, worktree, remote, waiting, feedback_state(repo))


def class_status(folder: Path, fetch: bool = False) -> tuple[Classroom, list[RepoStatus]]:
    room = manifest.load(folder)
    return room, [repo_status(folder, record, fetch) for record in room.students]
