"""The git operations the classroom needs on student repositories, through GitPython.

Commits are authored by the instructor (`git var GIT_AUTHOR_IDENT`: git's own resolution of the
environment and the configuration). Remote operations never prompt (a class of 300 must not stop
on a password question) and never force: a push that is not a fast-forward is refused by git and
reported.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import git

from ..errors import UserError

REMOTE_NAME = "origin"
NO_PROMPT = {"GIT_TERMINAL_PROMPT": "0", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes"}
REMOTE_TIMEOUT_S = 60
IDENT = re.compile(r"^(?P<name>.*) <(?P<email>[^>]*)> \d+ [+-]\d{4}$")


@dataclass(frozen=True)
class Identity:
    name: str
    email: str

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
        }


def instructor_identity() -> Identity:
    proc = subprocess.run(["git", "var", "GIT_AUTHOR_IDENT"], capture_output=True, text=True)
    found = IDENT.match(proc.stdout.strip()) if proc.returncode == 0 else None
    if found is None:
        raise UserError(
            "no git identity to author the students' first commits; set one with "
            "git config --global user.name 'Your Name' && git config --global user.email you@..."
        )
    return Identity(found["name"], found["email"])


def first_line(err: git.GitCommandError | subprocess.CalledProcessError | str) -> str:
    text = err if isinstance(err, str) else str(getattr(err, "stderr", "") or err)
    lines = [line.strip() for line in text.replace("stderr:", "").splitlines() if line.strip()]
    lines = [line.strip("'").removeprefix("fatal: ").removeprefix("error: ") for line in lines]
    return lines[-1] if lines else "git failed"


def remote_env() -> dict[str, str]:
    return {**os.environ, **NO_PROMPT}


def check_remote(url: str) -> str | None:
    """None when `url` answers as a git repository, else why not (one line)."""
    try:
        subprocess.run(
            ["git", "ls-remote", "--heads", url],
            env=remote_env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=REMOTE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return f"no answer within {REMOTE_TIMEOUT_S} s"
    except subprocess.CalledProcessError as err:
        return first_line(err.stderr or str(err))
    return None


def init_and_commit(project: Path, message: str, who: Identity) -> str:
    repo = git.Repo.init(project, initial_branch="main")
    repo.git.add(all=True)
    repo.git.commit("--quiet", "--no-verify", "-m", message, env=who.env())
    return str(repo.head.commit.hexsha)


def commit_all(project: Path, message: str, who: Identity) -> str:
    repo = git.Repo(project)
    repo.git.add(all=True)
    repo.git.commit("--quiet", "--no-verify", "-m", message, env=who.env())
    return str(repo.head.commit.hexsha)


def add_remote_and_push(project: Path, url: str) -> None:
    repo = git.Repo(project)
    repo.create_remote(REMOTE_NAME, url)
    repo.git.push("--quiet", "-u", REMOTE_NAME, "main", env=NO_PROMPT)


def push_branch(project: Path, branch: str) -> None:
    git.Repo(project).git.push(
        "--quiet", REMOTE_NAME, f"{branch}:refs/heads/{branch}", env=NO_PROMPT
    )


def has_remote(project: Path) -> bool:
    return REMOTE_NAME in [remote.name for remote in git.Repo(project).remotes]


def fetch_latest(project: Path) -> str:
    """Fetch the remote and fast-forward main to the student's pushed work.

    Returns what happened in a few words; raises GitCommandError (or ValueError when main and
    the remote have diverged, which only a person should untangle).
    """
    repo = git.Repo(project)
    repo.git.fetch("--quiet", REMOTE_NAME, env=NO_PROMPT)
    remote_ref = f"{REMOTE_NAME}/main"
    if not any(ref.name == remote_ref for ref in repo.remote(REMOTE_NAME).refs):
        return "remote has no main"
    local, remote = repo.head.commit, repo.commit(remote_ref)
    if local == remote or repo.is_ancestor(remote, local):
        return "up to date"
    if not repo.is_ancestor(local, remote):
        raise ValueError(f"main and {remote_ref} have diverged; merge them by hand")
    if repo.active_branch.name != "main":
        raise ValueError(f"on branch {repo.active_branch.name}, not main")
    repo.git.merge("--quiet", "--ff-only", remote_ref)
    return "fast-forwarded"


def ahead_behind(project: Path) -> tuple[int, int] | None:
    """Commits of HEAD not on the remote's main, and the other way round; None without one."""
    repo = git.Repo(project)
    if REMOTE_NAME not in [remote.name for remote in repo.remotes]:
        return None
    try:
        out = repo.git.rev_list("--left-right", "--count", f"HEAD...{REMOTE_NAME}/main")
    except git.GitCommandError:
        return None
    ahead, behind = out.split()
    return int(ahead), int(behind)


def dirty_files(project: Path) -> list[str]:
    out = git.Repo(project).git.status("--porcelain", "--untracked-files=all")
    return sorted(line[3:].split(" -> ")[-1].strip('"') for line in out.splitlines())


def head_commit(project: Path) -> str:
    return str(git.Repo(project).head.commit.hexsha)


def export_commit(project: Path, commit: str, into: Path) -> None:
    """The files of `commit` (not the working tree, not the history) into the folder `into`."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=project, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
