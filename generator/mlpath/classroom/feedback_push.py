"""`mlpath classroom feedback`: each student's feedback, as a commit on a `feedback` branch.

The branch holds one file, FEEDBACK.md (what `classroom grade` wrote to feedback/<handle>.md). Its
commits are made with git's plumbing (hash-object, mktree, commit-tree) in the student's
repository, so neither the working tree nor `main` is touched. Each new commit has the remote's
`feedback` branch as its parent, so pushing it is a fast-forward: re-running replaces the file
without force-pushing, and feedback the remote already has is not committed again.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import gradebook, manifest, repos
from .manifest import StudentRecord

BRANCH = "feedback"
FILE = "FEEDBACK.md"
PUSHED, LOCAL, UNCHANGED, SKIPPED, FAILED = "pushed", "committed", "unchanged", "skipped", "failed"
RESULTS = (PUSHED, LOCAL, UNCHANGED, SKIPPED, FAILED)


@dataclass(frozen=True)
class Delivery:
    handle: str
    result: str
    detail: str = ""


class GitFailed(Exception):
    pass


def run_git(
    project: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=project,
        input=stdin,
        capture_output=True,
        text=True,
        env=env or repos.remote_env(),
        timeout=repos.REMOTE_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise GitFailed(why(done.stderr or done.stdout))
    return done.stdout.strip()


def why(output: str) -> str:
    """git's own reason: its first "fatal:" or "error:" line (the lines after it are advice)."""
    for line in output.splitlines():
        if line.startswith(("fatal: ", "error: ")):
            return line.split(": ", 1)[1].strip().strip("'")
    return repos.first_line(output)


def remote_tip(project: Path) -> str:
    """The remote's feedback commit ("" when it has none), fetched into this repository."""
    listed = run_git(project, "ls-remote", "--heads", repos.REMOTE_NAME, BRANCH)
    if not listed:
        return ""
    run_git(project, "fetch", "--quiet", repos.REMOTE_NAME, f"refs/heads/{BRANCH}")
    return run_git(project, "rev-parse", "FETCH_HEAD")


def feedback_commit(project: Path, text: str, parent: str, who: repos.Identity) -> str | None:
    """A commit holding FILE = text on top of `parent`; None when `parent` holds it already."""
    blob = run_git(project, "hash-object", "-w", "--stdin", stdin=text)
    tree = run_git(project, "mktree", stdin=f"100644 blob {blob}\t{FILE}\n")
    if parent and run_git(project, "rev-parse", f"{parent}^{{tree}}") == tree:
        return None
    parents = ["-p", parent] if parent else []
    env = {**repos.remote_env(), **who.env()}
    message = "Feedback on your graded commit"
    return run_git(project, "commit-tree", tree, *parents, "-m", message, env=env)


def deliver(folder: Path, student: StudentRecord, push: bool, who: repos.Identity) -> Delivery:
    project = folder / student.path
    feedback = folder / gradebook.FEEDBACK_DIR / f"{student.handle}.md"
    if not feedback.is_file():
        return Delivery(student.handle, SKIPPED, "no feedback yet (run classroom grade)")
    if push and not repos.has_remote(project):
        return Delivery(student.handle, SKIPPED, "no remote")
    try:
        parent = remote_tip(project) if push else ""
        if not push:
            local = run_git(project, "branch", "--list", BRANCH)
            parent = run_git(project, "rev-parse", BRANCH) if local else ""
        commit = feedback_commit(project, feedback.read_text(encoding="utf-8"), parent, who)
        if commit is None:
            return Delivery(student.handle, UNCHANGED, f"{BRANCH} already holds this feedback")
        run_git(project, "update-ref", f"refs/heads/{BRANCH}", commit)
        if not push:
            return Delivery(student.handle, LOCAL, f"branch {BRANCH} at {commit[:12]}")
        run_git(project, "push", "--quiet", repos.REMOTE_NAME, f"{commit}:refs/heads/{BRANCH}")
        # What status reads as "pushed" (a push of a commit id moves no remote-tracking ref).
        run_git(project, "update-ref", f"refs/remotes/{repos.REMOTE_NAME}/{BRANCH}", commit)
    except (GitFailed, subprocess.TimeoutExpired) as err:
        return Delivery(student.handle, FAILED, str(err) or "git timed out")
    return Delivery(student.handle, PUSHED, f"{BRANCH} at {commit[:12]}")


def deliver_class(folder: Path, push: bool) -> list[Delivery]:
    room = manifest.load(folder)
    who = repos.instructor_identity()
    return [deliver(folder, s, push, who) for s in room.students if s.has_repo]
