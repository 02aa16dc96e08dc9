"""A throwaway PostgreSQL cluster for tests: initdb + pg_ctl from Debian's postgresql package.

It lives in a temporary folder, listens on 127.0.0.1 only, trusts local connections, and is
stopped and deleted afterwards. PostgreSQL refuses to run as root, so under root (a container, a
CI runner as root) the cluster runs as the unprivileged `nobody` user.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def find_pg_bin() -> Path | None:
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    # Debian and Ubuntu keep the server binaries off PATH, one folder per major version.
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_major, reverse=True)
    return Path(versions[0]).parent if versions else None


def _major(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def postgres_cluster(pg_bin: Path) -> Iterator[str]:
    """Yield a SQLAlchemy URL for a fresh cluster's `postgres` database."""
    root = Path(tempfile.mkdtemp(prefix="pg-test-"))
    user = "nobody" if os.geteuid() == 0 else None
    if user:
        shutil.chown(root, user)
    data, port = root / "data", _free_port()

    def run(*args: str | Path, check: bool = True) -> None:
        subprocess.run(args, check=check, capture_output=True, user=user, cwd=root)

    try:
        run(pg_bin / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
        run(pg_bin / "pg_ctl", "-D", data, "-l", root / "log", "-o", options, "-w", "start")
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            run(pg_bin / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop", check=False)
    finally:
        shutil.rmtree(root, ignore_errors=True)
