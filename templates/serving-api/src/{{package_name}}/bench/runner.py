"""`make bench`: the server in its own process pinned to CPU 0, the load generator on CPU 1.

Two experiments:
1. the matrix: monitoring on/off x micro-batching off/on x concurrency 1, 8, 32, one run each;
2. the cost of monitoring, measured the way noisy machines allow: two servers (monitoring on and
   off) up side by side, driven in many short alternating windows; the ratio of each pair's
   throughput is the figure, reported as a median.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from ..core.data import generate_loans, to_records
from .loadgen import run_load
from .process import ServerProcess

SERVER_CPU, CLIENT_CPU = 0, 1


@dataclass(frozen=True)
class BenchConfig:
    model_uri: str = "artifacts/model"
    concurrencies: tuple[int, ...] = (1, 8, 32)
    seconds: float = 4.0
    overhead_pairs: int = 10
    overhead_seconds: float = 1.5
    overhead_concurrency: int = 32
    rows_per_request: int = 1
    seed: int = 11


def request_bodies(rows_per_request: int, seed: int, n_bodies: int = 512) -> list[bytes]:
    data = generate_loans(n_bodies * rows_per_request, seed)
    records = to_records(data.features)
    return [
        json.dumps({"instances": records[i : i + rows_per_request]}).encode()
        for i in range(0, len(records), rows_per_request)
    ]


def _server_env(config: BenchConfig, monitoring: bool, batching: bool) -> dict[str, str]:
    return {
        "SERVING_MODEL_URI": config.model_uri,
        "SERVING_MONITORING": str(monitoring).lower(),
        "SERVING_BATCHING": str(batching).lower(),
        "SERVING_LOG_LEVEL": "warning",
    }


def _pin_self() -> bool:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {CLIENT_CPU})
        return True
    return False


def run_matrix(config: BenchConfig, bodies: list[bytes], pinned: bool) -> list[dict[str, Any]]:
    runs = []
    for batching in (False, True):
        for monitoring in (True, False):
            env = _server_env(config, monitoring, batching)
            with ServerProcess(env, cpu=SERVER_CPU if pinned else None) as server:
                for concurrency in config.concurrencies:
                    result = asyncio.run(
                        run_load(f"{server.url}/v1/predict", bodies, concurrency, config.seconds)
                    )
                    assert server.process is not None
                    rss = psutil.Process(server.process.pid).memory_info().rss
                    row = {
                        "monitoring": monitoring,
                        "batching": batching,
                        **result.summary(),
                        "server_rss_mb": rss / 2**20,
                        "ready_s": server.ready_s,
                    }
                    runs.append(row)
                    print(_format_row(row), flush=True)
    return runs


def run_overhead_pairs(config: BenchConfig, bodies: list[bytes], pinned: bool) -> dict[str, Any]:
    cpu = SERVER_CPU if pinned else None
    on_env = _server_env(config, monitoring=True, batching=False)
    off_env = _server_env(config, monitoring=False, batching=False)
    on_rps: list[float] = []
    off_rps: list[float] = []
    with ServerProcess(on_env, cpu=cpu) as on, ServerProcess(off_env, cpu=cpu) as off:
        for pair in range(config.overhead_pairs):
            # Alternate which goes first so a drift in machine load does not favour one side.
            order = [(on, on_rps), (off, off_rps)]
            for server, sink in order if pair % 2 == 0 else order[::-1]:
                result = asyncio.run(
                    run_load(
                        f"{server.url}/v1/predict",
                        bodies,
                        config.overhead_concurrency,
                        config.overhead_seconds,
                        warmup_s=0.2,
                    )
                )
                sink.append(result.summary()["rps"])
    ratios = [a / b for a, b in zip(on_rps, off_rps, strict=True)]
    return {
        "concurrency": config.overhead_concurrency,
        "seconds_per_window": config.overhead_seconds,
        "on_rps": on_rps,
        "off_rps": off_rps,
        "ratios": ratios,
        "median_ratio": statistics.median(ratios),
    }


def _format_row(row: dict[str, Any]) -> str:
    return (
        f"monitoring={'on ' if row['monitoring'] else 'off'} "
        f"batching={'on ' if row['batching'] else 'off'} c={row['concurrency']:>2}: "
        f"{row['rps']:7.1f} req/s  p50 {row['p50_ms']:6.2f} ms  p95 {row['p95_ms']:6.2f} ms  "
        f"p99 {row['p99_ms']:6.2f} ms  errors {row['errors']}  rss {row['server_rss_mb']:.0f} MiB"
    )


def run_benchmark(config: BenchConfig, output: Path) -> dict[str, Any]:
    pinned = _pin_self()
    bodies = request_bodies(config.rows_per_request, config.seed)
    runs = run_matrix(config, bodies, pinned)
    overhead = run_overhead_pairs(config, bodies, pinned)
    print(
        f"monitoring on/off throughput at c={overhead['concurrency']}: median ratio "
        f"{overhead['median_ratio']:.3f} over {len(overhead['ratios'])} alternating pairs"
    )
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "pinned": pinned,
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "config": {k: v for k, v in vars(config).items()},
        "runs": runs,
        "monitoring_overhead": overhead,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    return result
