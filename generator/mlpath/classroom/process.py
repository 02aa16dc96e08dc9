"""Run one grading process: its files streamed in on stdin, its results on a file descriptor,
its output capped and kept short, its wall time limited.

The files reach the process as a tar stream (`git archive` of the commit, or `tar` of a folder)
piped straight into it, never held in memory here, so a large file in a commit costs a pipe's
buffer, not its size. The results come back through a descriptor (its number in
MLPATH_RESULTS_FD), opened on a file in a folder the process cannot see; what is read back is
bounded by the caller. The process runs in
its own session and is killed with its group at the end; inside the sandbox, its PID namespace
takes everything else with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

MAX_OUTPUT_BYTES = 10 * 1024 * 1024
KEPT_OUTPUT_BYTES = 8 * 1024
RESULTS_FD_VARIABLE = "MLPATH_RESULTS_FD"


@dataclass(frozen=True)
class RunOutput:
    returncode: int | None
    timed_out: bool
    output_bytes: int
    output_tail: str


def drain(stream: object, keep: bytearray, count: list[int], on_limit: threading.Event) -> None:
    reader = stream.read1 if hasattr(stream, "read1") else stream.read  # type: ignore[attr-defined]
    while chunk := reader(65536):
        count[0] += len(chunk)
        keep.extend(chunk)
        del keep[:-KEPT_OUTPUT_BYTES]
        if count[0] > MAX_OUTPUT_BYTES:
            on_limit.set()


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run(
    cmd: list[str],
    env: dict[str, str],
    timeout_s: int,
    results: Path,
    feeder: list[str] | None = None,
    feeder_cwd: Path | None = None,
    cwd: Path | None = None,
) -> RunOutput:
    """Run `cmd` with the output of `feeder` on its stdin and `results` open for writing."""
    source = None
    if feeder is not None:
        source = subprocess.Popen(
            feeder, cwd=feeder_cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    sink = os.open(results, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env={**env, RESULTS_FD_VARIABLE: str(sink)},
            stdin=source.stdout if source else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=(sink,),
        )
    finally:
        os.close(sink)
    if source is not None and source.stdout is not None:
        source.stdout.close()  # the child holds it now
    return watch(proc, source, timeout_s)


def watch(
    proc: subprocess.Popen[bytes], source: subprocess.Popen[bytes] | None, timeout_s: int
) -> RunOutput:
    tail = bytearray()
    count = [0]
    too_much = threading.Event()
    reader = threading.Thread(target=drain, args=(proc.stdout, tail, count, too_much), daemon=True)
    reader.start()
    timed_out = False
    deadline = time.monotonic() + timeout_s
    try:
        while not too_much.is_set():
            try:
                proc.wait(timeout=0.25)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    timed_out = True
                    break
    finally:
        kill_group(proc.pid)  # the run and anything it started in its session
        proc.wait()
        if source is not None:
            source.kill()
            source.wait()
        reader.join(timeout=5)
    returncode = None if (timed_out or too_much.is_set()) else proc.returncode
    return RunOutput(returncode, timed_out, count[0], tail.decode("utf-8", "replace"))
