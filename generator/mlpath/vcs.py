"""Git operations on generated projects, through GitPython.

A project is usually its own repository, but it may also be a folder inside a larger one (a
monorepo, an instructor's class folder): every function here takes the project folder and works
on the repository that contains it, limited to that folder, with paths relative to it.
"""

from __future__ import annotations

from pathlib import Path

import git

from .errors import DirtyWorktreeError, NotAProjectError

FALLBACK_IDENTITY = ("mlpath", "mlpath@localhost")


def open_repo(project: Path) -> git.Repo:
    """The repository that contains `project` (the project itself or a parent folder)."""
    try:
        return git.Repo(project, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise NotAProjectError(
            f"{project}: not a git repository (nor inside one); `mlpath update` needs the project "
            "under git (git init && git add -A && git commit -m 'Start')"
        ) from None


def is_inside_repo(path: Path) -> bool:
    try:
        git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return False
    return True


def worktree_root(repo: git.Repo) -> Path:
    if repo.working_tree_dir is None:
        raise NotAProjectError(f"{repo.git_dir}: a bare repository has no project files")
    return Path(repo.working_tree_dir).resolve()


def project_prefix(repo: git.Repo, project: Path) -> str:
    """The project's folder relative to the repository root ('' when it is the root)."""
    relative = project.resolve().relative_to(worktree_root(repo)).as_posix()
    return "" if relative == "." else relative


def has_commits(repo: git.Repo) -> bool:
    try:
        repo.head.commit  # noqa: B018 - raises ValueError on an unborn branch
    except ValueError:
        return False
    return True


def init_and_commit(project: Path, message: str, author: tuple[str, str]) -> str:
    """`git init` (branch main) and a first commit of everything; returns the commit id."""
    repo = git.Repo.init(project, initial_branch="main")
    repo.git.add(all=True)
    name, email = identity(repo, author)
    repo.git.commit(
        "--quiet",
        "--no-verify",
        "-m",
        message,
        env={
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        },
    )
    return str(repo.head.commit.hexsha)


def identity(repo: git.Repo, fallback: tuple[str, str]) -> tuple[str, str]:
    """The user's configured git identity, else the project's author answers."""
    reader = repo.config_reader()
    name = reader.get_value("user", "name", "") or fallback[0] or FALLBACK_IDENTITY[0]
    email = reader.get_value("user", "email", "") or fallback[1] or FALLBACK_IDENTITY[1]
    return str(name), str(email)


def require_clean(project: Path, doing: str = "updating") -> None:
    """A repository with a commit and nothing uncommitted in the project's folder."""
    repo = open_repo(project)
    if not has_commits(repo):
        raise NotAProjectError(f"{project}: the repository has no commit yet; commit the project")
    dirty = changed_files(project)
    if dirty:
        shown = ", ".join(dirty[:10]) + (f" and {len(dirty) - 10} more" if len(dirty) > 10 else "")
        raise DirtyWorktreeError(
            f"{project}: uncommitted changes in {shown}; commit or stash them before {doing}"
        )


def changed_files(project: Path) -> list[str]:
    """Files under `project` that differ from HEAD, new untracked ones included."""
    repo = open_repo(project)
    out = repo.git.status(
        "--porcelain", "--untracked-files=all", "--no-renames", "--", str(project.resolve())
    )
    prefix = project_prefix(repo, project)
    names = []
    for line in out.splitlines():
        name = line[3:].strip('"')
        names.append(name.removeprefix(f"{prefix}/") if prefix else name)
    return sorted(names)


def conflicted_files(project: Path, changed: list[str]) -> list[str]:
    """Changed files left with inline conflict markers, and `.rej` files."""
    return [
        name for name in changed if name.endswith(".rej") or has_conflict_markers(project / name)
    ]


def has_conflict_markers(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        lines = path.read_text().splitlines()
    except (UnicodeDecodeError, OSError):
        return False
    return any(line.startswith("<<<<<<< ") for line in lines) and any(
        line.startswith(">>>>>>> ") for line in lines
    )
