"""`make bench`: the server in its own process pinned to CPU 0, the load generator on CPU 1.

Four experiments:
0. the inference backends (scikit-learn, ONNX Runtime) timed in process, single-row and batched;
1. the matrix: monitoring on/off x micro-batching off/on x concurrency 1, 8, 32; the four
   servers are up together and driven in interleaved rounds, and each figure is the median
   over rounds, so a burst of load from elsewhere on the machine hits every configuration;
2. the cost of monitoring, measured the way noisy machines allow: two servers (monitoring on and
   off) up side by side, driven in many short alternating windows; the ratio of each pair's
   throughput is the figure, reported as a median;
3. the service as deployed (monitoring, drift, auth, access logs on) against the FastAPI +
   scikit-learn app a user would write first (bench/bare_app.py), side by side in alternating
   windows at 32 clients, the same way: the median ratio of throughput, and each one's p99.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from ..core.data import generate_loans, to_records
from ..io.loader import load_model
from .backends import format_backends, time_backends
from .loadgen import run_load
from .process import ServerProcess

BARE_APP_MODULE = __name__.rsplit(".", 1)[0] + ".bare_app"

SERVER_CPU, CLIENT_CPU = 0, 1


@dataclass(frozen=True)
class BenchConfig:
    model_uri: str = "artifacts/model"
    concurrencies: tuple[int, ...] = (1, 8, 32)
    seconds: float = 1.5
    rounds: int = 3
    overhead_pairs: int = 16
    overhead_seconds: float = 1.0
    overhead_concurrency: int = 32
    baseline_pairs: int = 8
    rows_per_request: int = 1
    seed: int = 11


def request_bodies(rows_per_request: int, seed: int, n_bodies: int = 512) -> list[bytes]:
    data = generate_loans(n_bodies * rows_per_request, seed)
    records = to_records(data.features)
    return [
        json.dumps({"instances": records[i : i + rows_per_request]}).encode()
        for i in range(0, len(records), rows_per_request)
    ]


def _cpu_seconds(server: ServerProcess) -> float:
    assert server.process is not None
    times = psutil.Process(server.process.pid).cpu_times()
    return float(times.user + times.system)


def _measure(
    server: ServerProcess,
    bodies: list[bytes],
    concurrency: int,
    seconds: float,
    warmup_s: float = 0.5,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One load run, plus the server's CPU time per successful request: on a shared machine
    that is far steadier than throughput, which moves with whatever else is running."""
    cpu_before = _cpu_seconds(server)
    result = asyncio.run(
        run_load(
            f"{server.url}/v1/predict",
            bodies,
            concurrency,
            seconds,
            warmup_s=warmup_s,
            headers=headers,
        )
    )
    summary = result.summary()
    ok = summary["requests"] - summary["errors"]
    # The warm-up's requests are not counted, so scale its CPU out by time.
    cpu = (_cpu_seconds(server) - cpu_before) * result.seconds / (result.seconds + warmup_s)
    return {**summary, "server_cpu_ms_per_request": 1000 * cpu / ok if ok else float("nan")}


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
    configs = [(monitoring, batching) for batching in (False, True) for monitoring in (True, False)]
    rounds: dict[tuple[bool, bool, int], list[dict[str, Any]]] = {}
    with contextlib.ExitStack() as stack:
        servers = {
            (monitoring, batching): stack.enter_context(
                ServerProcess(
                    _server_env(config, monitoring, batching),
                    cpu=SERVER_CPU if pinned else None,
                )
            )
            for monitoring, batching in configs
        }
        for _ in range(config.rounds):
            for (monitoring, batching), server in servers.items():
                for concurrency in config.concurrencies:
                    measured = _measure(server, bodies, concurrency, config.seconds)
                    rounds.setdefault((monitoring, batching, concurrency), []).append(measured)
        runs = []
        for (monitoring, batching, _), per_round in rounds.items():
            server = servers[(monitoring, batching)]
            assert server.process is not None
            row = {
                "monitoring": monitoring,
                "batching": batching,
                **_median_run(per_round),
                "server_rss_mb": psutil.Process(server.process.pid).memory_info().rss / 2**20,
                "ready_s": server.ready_s,
            }
            runs.append(row)
            print(_format_row(row), flush=True)
    return runs


def _median_run(measured: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-round figures reduced to their median; requests and errors are summed."""
    summed = {"requests", "errors", "seconds"}
    row: dict[str, Any] = {
        key: statistics.median(m[key] for m in measured) for key in measured[0] if key not in summed
    }
    for key in summed:
        row[key] = sum(m[key] for m in measured)
    row["error_rate"] = row["errors"] / row["requests"] if row["requests"] else 0.0
    row["rounds"] = len(measured)
    return row


def run_overhead_pairs(config: BenchConfig, bodies: list[bytes], pinned: bool) -> dict[str, Any]:
    cpu = SERVER_CPU if pinned else None
    on_env = _server_env(config, monitoring=True, batching=False)
    off_env = _server_env(config, monitoring=False, batching=False)
    on_rps: list[float] = []
    off_rps: list[float] = []
    on_cpu: list[float] = []
    off_cpu: list[float] = []
    with ServerProcess(on_env, cpu=cpu) as on, ServerProcess(off_env, cpu=cpu) as off:
        for pair in range(config.overhead_pairs):
            # Alternate which goes first so a drift in machine load does not favour one side.
            order = [(on, on_rps, on_cpu), (off, off_rps, off_cpu)]
            for server, rps, cpu_ms in order if pair % 2 == 0 else order[::-1]:
                measured = _measure(
                    server, bodies, config.overhead_concurrency, config.overhead_seconds, 0.2
                )
                rps.append(measured["rps"])
                cpu_ms.append(measured["server_cpu_ms_per_request"])
    ratios = [a / b for a, b in zip(on_rps, off_rps, strict=True)]
    # Throughput of a CPU-bound server is inversely proportional to its CPU per request.
    cpu_ratios = [off / on for on, off in zip(on_cpu, off_cpu, strict=True)]
    return {
        "concurrency": config.overhead_concurrency,
        "seconds_per_window": config.overhead_seconds,
        "on_rps": on_rps,
        "off_rps": off_rps,
        "ratios": ratios,
        "median_ratio": statistics.median(ratios),
        "on_cpu_ms_per_request": on_cpu,
        "off_cpu_ms_per_request": off_cpu,
        "cpu_ratios": cpu_ratios,
        "median_cpu_ratio": statistics.median(cpu_ratios),
    }


BENCH_API_KEY = "bench-key"


def run_baseline_pairs(config: BenchConfig, bodies: list[bytes], pinned: bool) -> dict[str, Any]:
    """The service, everything on, against bench/bare_app.py: alternating windows at the same
    concurrency, both sent the API key (the bare app ignores it)."""
    cpu = SERVER_CPU if pinned else None
    service_env = {
        **_server_env(config, monitoring=True, batching=False),
        "SERVING_AUTH": "true",
        "SERVING_API_KEYS": BENCH_API_KEY,
        "SERVING_LOG_LEVEL": "info",  # one JSON access-log line per request, as deployed
    }
    bare_env = {"SERVING_MODEL_URI": config.model_uri}
    headers = {"X-API-Key": BENCH_API_KEY}
    windows: dict[str, list[dict[str, Any]]] = {"service": [], "bare": []}
    with (
        ServerProcess(service_env, cpu=cpu) as service,
        ServerProcess(bare_env, cpu=cpu, module=BARE_APP_MODULE) as bare,
    ):
        for pair in range(config.baseline_pairs):
            order = [("service", service), ("bare", bare)]
            for name, server in order if pair % 2 == 0 else order[::-1]:
                windows[name].append(
                    _measure(
                        server,
                        bodies,
                        config.overhead_concurrency,
                        config.overhead_seconds,
                        0.2,
                        headers,
                    )
                )
    errors = sum(w["errors"] for ws in windows.values() for w in ws)
    pairs = zip(windows["service"], windows["bare"], strict=True)
    ratios = [service_window["rps"] / bare_window["rps"] for service_window, bare_window in pairs]
    return {
        "concurrency": config.overhead_concurrency,
        "seconds_per_window": config.overhead_seconds,
        "service_rps": [w["rps"] for w in windows["service"]],
        "bare_rps": [w["rps"] for w in windows["bare"]],
        "ratios": ratios,
        "median_ratio": statistics.median(ratios),
        "service_p99_ms": statistics.median(w["p99_ms"] for w in windows["service"]),
        "bare_p99_ms": statistics.median(w["p99_ms"] for w in windows["bare"]),
        "service_cpu_ms_per_request": statistics.median(
            w["server_cpu_ms_per_request"] for w in windows["service"]
        ),
        "bare_cpu_ms_per_request": statistics.median(
            w["server_cpu_ms_per_request"] for w in windows["bare"]
        ),
        "errors": errors,
    }


def format_baseline(baseline: dict[str, Any]) -> str:
    return (
        f"service (monitoring, drift, auth, access log on) vs bare FastAPI + scikit-learn at"
        f" c={baseline['concurrency']}: median throughput ratio {baseline['median_ratio']:.3f}"
        f" over {len(baseline['ratios'])} alternating pairs"
        f" ({statistics.median(baseline['service_rps']):.0f} vs"
        f" {statistics.median(baseline['bare_rps']):.0f} req/s); p99"
        f" {baseline['service_p99_ms']:.1f} ms vs {baseline['bare_p99_ms']:.1f} ms; server CPU"
        f" {baseline['service_cpu_ms_per_request']:.3f} vs"
        f" {baseline['bare_cpu_ms_per_request']:.3f} ms/request; errors {baseline['errors']}"
    )


def _format_row(row: dict[str, Any]) -> str:
    return (
        f"monitoring={'on ' if row['monitoring'] else 'off'} "
        f"batching={'on ' if row['batching'] else 'off'} c={row['concurrency']:>2}: "
        f"{row['rps']:7.1f} req/s  p50 {row['p50_ms']:6.2f} ms  p95 {row['p95_ms']:6.2f} ms  "
        f"p99 {row['p99_ms']:6.2f} ms  errors {row['errors']}  "
        f"cpu {row['server_cpu_ms_per_request']:.3f} ms/req  rss {row['server_rss_mb']:.0f} MiB"
    )


def cpu_model() -> str | None:
    """The processor's marketing name (Linux), else whatever the platform reports."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or None


def run_benchmark(config: BenchConfig, output: Path) -> dict[str, Any]:
    pinned = _pin_self()
    load_before = os.getloadavg()
    backends = time_backends(load_model(config.model_uri))
    print(format_backends(backends), flush=True)
    bodies = request_bodies(config.rows_per_request, config.seed)
    runs = run_matrix(config, bodies, pinned)
    overhead = run_overhead_pairs(config, bodies, pinned)
    print(
        f"monitoring on/off throughput at c={overhead['concurrency']}: median ratio "
        f"{overhead['median_ratio']:.3f} over {len(overhead['ratios'])} alternating pairs; "
        f"from server CPU per request: {overhead['median_cpu_ratio']:.3f}"
    )
    baseline = run_baseline_pairs(config, bodies, pinned)
    print(format_baseline(baseline), flush=True)
    result = {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpus": os.cpu_count(),
            "cpu_model": cpu_model(),
            "pinned": pinned,
            "python": platform.python_version(),
            "platform": platform.platform(),
            # 1, 5 and 15 minute load averages (`uptime`) before and after: what else ran.
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "config": {k: v for k, v in vars(config).items()},
        "backends": backends,
        "runs": runs,
        "monitoring_overhead": overhead,
        "baseline": baseline,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    return result
