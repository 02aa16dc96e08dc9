"""Start the real server in its own process on a free loopback port (for the benchmark and the
end-to-end tests), optionally pinned to one CPU core, and stop it with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

SERVER_MODULE = __name__.split(".")[0] + ".server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """`with ServerProcess(env) as server:` runs until the block ends; `server.url` is its base."""

    def __init__(
        self,
        settings_env: dict[str, str],
        cpu: int | None = None,
        log_path: Path | None = None,
        ready_timeout_s: float = 120.0,  # a bound: a loaded CI runner can take a minute
        module: str = SERVER_MODULE,  # or the benchmark's baseline app
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {
            **os.environ,
            "SERVING_HOST": "127.0.0.1",
            "SERVING_PORT": str(self.port),
            **settings_env,
        }
        self._cpu = cpu
        self._module = module
        self._log_path = log_path
        self._ready_timeout_s = ready_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self.ready_s = float("nan")

    def __enter__(self) -> ServerProcess:
        log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", self._module], env=self._env, stdout=log, stderr=log
        )
        if self._cpu is not None and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(self.process.pid, {self._cpu})
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.ready_s = time.perf_counter() - started
        return self

    def _wait_ready(self) -> None:
        deadline = time.perf_counter() + self._ready_timeout_s
        assert self.process is not None
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with code {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise TimeoutError(f"server not ready after {self._ready_timeout_s} s")

    def terminate(self) -> None:
        """Send SIGTERM (graceful shutdown) without waiting."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout_s: float = 30.0) -> int:
        """SIGTERM, wait for the exit code; SIGKILL if it overstays."""
        if self.process is None:
            return 0
        self.terminate()
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
