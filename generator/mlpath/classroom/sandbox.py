"""Where student code runs: a bubblewrap sandbox, and the resource limits inside it.

The sandbox sees the system's programs and libraries (read-only), the grading environment's
venv and its base interpreter (read-only), the folders the caller binds read-only, and a fresh,
size-limited tmpfs at /work that holds the student's files, a HOME and nothing else. It has its own
user, PID, network, IPC, UTS and mount namespaces (no network at all), a fresh /proc that shows
only its own processes, and dies with its parent: when the run ends or is killed, the kernel
kills every process left in its PID namespace, a double-forked setsid daemon included.

It never sees the class folder, `_grading/` (other than the environment), the instructor's HOME
(other than the base interpreter's install folder, when that lives there) or other students.

Inside, `prlimit` caps memory (address space), processes, file size, open files and core dumps
before anything of the student's runs. RLIMIT_NPROC counts the processes of the real user on the
whole machine, so the cap is what that user runs already plus PROCESS_MARGIN.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

INSIDE = Path("/work")
INSIDE_ENV = Path("/grading/env")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives", "/etc/mime.types")
NOBODY = "65534"
PROCESS_MARGIN = 256
UNSAFE_FLAG = "--unsafe-no-sandbox"


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 4 * 1024**3
    file_bytes: int = 256 * 1024**2
    scratch_bytes: int = 1024**3  # the tmpfs at /work (and the one at /tmp), each
    open_files: int = 1024


@dataclass(frozen=True)
class Mount:
    source: Path
    target: Path


class SandboxUnavailableError(UserError):
    pass


def bwrap() -> str | None:
    return shutil.which("bwrap")


def check_available() -> None:
    """Raise one line when bubblewrap is missing or cannot make its namespaces here."""
    found = bwrap()
    if found is None:
        raise SandboxUnavailableError(
            "classroom grade runs student code in a bubblewrap sandbox and bwrap is not installed "
            f"(apt-get install bubblewrap); {UNSAFE_FLAG} grades without one, letting student "
            "code read the hidden suite and change files"
        )
    probe = subprocess.run(
        [found, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        why = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        raise SandboxUnavailableError(
            f"bwrap cannot make a sandbox on this machine ({why}); unprivileged user namespaces "
            f"may be disabled; {UNSAFE_FLAG} grades without one"
        )


def base_interpreter(env: Path) -> Path | None:
    """The install folder of the venv's base interpreter (its pyvenv.cfg `home`, one up)."""
    try:
        lines = (env / "pyvenv.cfg").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() == "home" and value.strip():
            return Path(value.strip()).parent
    return None


def user_processes() -> int:
    uid = os.getuid()
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                count += entry.stat().st_uid == uid
            except OSError:
                continue
    return count


def prlimit_argv(limits: Limits) -> list[str]:
    return [
        "prlimit",
        f"--as={limits.memory_bytes}",
        f"--fsize={limits.file_bytes}",
        f"--nproc={user_processes() + PROCESS_MARGIN}",
        f"--nofile={limits.open_files}",
        "--core=0",
        "--",
    ]


def system_binds() -> list[str]:
    argv: list[str] = []
    for folder in SYSTEM_DIRS:
        path = Path(folder)
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), folder]
        elif path.is_dir():
            argv += ["--ro-bind", folder, folder]
    for file in SYSTEM_FILES:
        argv += ["--ro-bind-try", file, file]
    return argv


def bwrap_argv(env: Path, readonly: list[Mount], limits: Limits) -> list[str]:
    """bwrap's arguments up to the command: /work is a fresh tmpfs, `env` is at INSIDE_ENV."""
    found = bwrap()
    if found is None:
        raise SandboxUnavailableError("bwrap is not installed (apt-get install bubblewrap)")
    argv = [found, "--unshare-all", "--die-with-parent", "--new-session"]
    argv += ["--uid", NOBODY, "--gid", NOBODY, "--hostname", "grading"]
    argv += system_binds()
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", str(limits.scratch_bytes), "--tmpfs", "/tmp"]
    argv += ["--size", str(limits.scratch_bytes), "--tmpfs", str(INSIDE)]
    base = base_interpreter(env)
    if base is not None and not any(str(base).startswith(d + "/") for d in SYSTEM_DIRS):
        argv += ["--ro-bind", str(base), str(base)]
    argv += ["--ro-bind", str(env), str(INSIDE_ENV)]
    for mount in readonly:
        argv += ["--ro-bind", str(mount.source), str(mount.target)]
    # The root is bwrap's own tmpfs: read-only, so only /work and /tmp (both capped) take writes.
    return [*argv, "--remount-ro", "/", "--chdir", str(INSIDE), "--"]
