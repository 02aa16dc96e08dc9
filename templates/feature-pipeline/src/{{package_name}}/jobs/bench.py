"""`make bench`: throughput of each pipeline stage, medians of several runs, in a scratch folder.

Rows per second are for the stage as a whole (file in, file out), because that is what a
scheduled batch job costs. The serving path is timed per request, and the batch/serving ratio
says how much a vectorised SQL engine buys over per-entity Python for the same feature vectors.
"""

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import duckdb
import numpy as np
from pydantic import BaseModel, ConfigDict

from ..files import write_json
from ..offline.batch_features import connect_events, default_cutoff, snapshot_relation
from ..offline.reference_sql import range_join_relation
from ..online.serving import load_event_log
from ..online.store import OnlineStore
from ..settings import Settings
from . import steps

SCALING_USERS = (500, 1_000, 2_000, 4_000)


class StageResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    stage: str
    rows: int
    unit: str
    median_s: float
    rows_per_s: float


class ScalingPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    n_users: int
    events: int
    snapshots: int
    median_s: float
    events_per_s: float


class BenchResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    machine: dict[str, str]
    n_users: int
    n_days: int
    runs: int
    stages: list[StageResult]
    tiled_over_range_join: float
    serving_p50_us: float
    serving_p99_us: float
    batch_over_serving: float
    scaling: list[ScalingPoint]


def _median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _stage(stage: str, rows: int, unit: str, seconds: float) -> StageResult:
    return StageResult(
        stage=stage, rows=rows, unit=unit, median_s=seconds, rows_per_s=rows / seconds
    )


def run_bench(
    settings: Settings, runs: int = 5, scaling_users: tuple[int, ...] = SCALING_USERS
) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        local = settings.model_copy(
            update={
                "data_dir": Path(scratch) / "data",
                "reports_dir": Path(scratch) / "reports",
                "online_store_url": "",
                "events_csv": None,
            }
        )
        raw_rows = steps.generate(local)
        report = steps.ingest(local)
        snapshots = steps.compute_features(local)
        labels = steps.training_set(local).rows
        users = steps.materialize_online(local)
        ingest_s = _median_seconds(lambda: steps.ingest(local), runs)
        features_s = _median_seconds(lambda: steps.compute_features(local), runs)
        tiled_s, range_join_s, speedup = _tiled_vs_range_join(local, runs)
        training_s = _median_seconds(lambda: steps.training_set(local), runs)
        materialize_s = _median_seconds(lambda: steps.materialize_online(local), runs)
        skew_s = _median_seconds(lambda: steps.parity_check(local), runs)
        vectors = sum(steps.parity_check(local).compared.values())
        stages = [
            _stage("ingest (CSV -> pandera -> Parquet)", raw_rows, "raw rows", ingest_s),
            _stage("features step (tiled SQL -> Parquet)", report.rows_valid, "events", features_s),
            _stage("features step (tiled SQL -> Parquet)", snapshots, "snapshots", features_s),
            _stage("  tiled SQL, paired run", snapshots, "snapshots", tiled_s),
            _stage("  range-join SQL (baseline), paired", snapshots, "snapshots", range_join_s),
            _stage("training set (ASOF JOIN)", labels, "labels", training_s),
            _stage("materialise (SQLite, build + swap)", users, "users", materialize_s),
            _stage("parity check (end to end)", vectors, "vectors", skew_s),
        ]
        p50, p99 = _serving_latency_us(local)
        scaling = [_scaling_point(local, n, min(runs, 3)) for n in scaling_users]
    result = BenchResult(
        machine={
            "cpus": str(os.cpu_count()),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "platform": platform.platform(terse=True),
        },
        n_users=settings.n_users,
        n_days=settings.n_days,
        runs=runs,
        stages=stages,
        tiled_over_range_join=speedup,
        serving_p50_us=p50,
        serving_p99_us=p99,
        batch_over_serving=(snapshots / features_s) / (1e6 / p50),
        scaling=scaling,
    )
    write_json(settings.reports_dir / "bench.json", result.model_dump(mode="json"))
    return result


def _tiled_vs_range_join(settings: Settings, runs: int) -> tuple[float, float, float]:
    """Both SQL formulations in alternating pairs (the machine's noise hits both alike).

    Returns the median seconds of each and the median of the per-pair speed-ups.
    """
    con = connect_events(settings.clean_events_path)
    cutoff = default_cutoff(con)
    out = settings.data_dir / "bench-snapshots.parquet"
    pairs = []
    try:
        for _ in range(runs):
            tiled = _median_seconds(
                lambda: snapshot_relation(con, cutoff).write_parquet(str(out)), 1
            )
            direct = _median_seconds(
                lambda: range_join_relation(con, cutoff).write_parquet(str(out)), 1
            )
            pairs.append((tiled, direct))
    finally:
        con.close()
    return (
        statistics.median(t for t, _ in pairs),
        statistics.median(d for _, d in pairs),
        statistics.median(d / t for t, d in pairs),
    )


def _serving_latency_us(settings: Settings) -> tuple[float, float]:
    """Per-request time of the serving path for every user in the online store."""
    log = load_event_log(settings.raw_events_path)
    store = OnlineStore(settings.online_url)
    try:
        records = store.scan()
    finally:
        store.close()
    latencies = []
    for record in records:
        as_of = record.as_of.replace(tzinfo=UTC)
        start = time.perf_counter_ns()
        log.features_at(record.user_id, as_of)
        latencies.append((time.perf_counter_ns() - start) / 1_000)
    p50, p99 = np.percentile(latencies, [50, 99])
    return float(p50), float(p99)


def _scaling_point(settings: Settings, n_users: int, runs: int) -> ScalingPoint:
    sized = settings.model_copy(update={"n_users": n_users})
    steps.generate(sized)
    events = steps.ingest(sized).rows_valid
    snapshots = steps.compute_features(sized)
    seconds = _median_seconds(lambda: steps.compute_features(sized), runs)
    return ScalingPoint(
        n_users=n_users,
        events=events,
        snapshots=snapshots,
        median_s=seconds,
        events_per_s=events / seconds,
    )


def format_bench(result: BenchResult) -> str:
    lines = [
        f"bench: {result.n_users} users x {result.n_days} days, median of {result.runs} runs, "
        f"{result.machine['cpus']} CPUs",
        f"{'stage':<40}{'rows':>9} {'unit':<10}{'median s':>10}{'rows/s':>12}",
    ]
    for s in result.stages:
        lines.append(
            f"{s.stage:<40}{s.rows:>9} {s.unit:<10}{s.median_s:>10.3f}{s.rows_per_s:>12,.0f}"
        )
    lines.append(
        f"tiled snapshot SQL is {result.tiled_over_range_join:.1f}x the range-join baseline "
        "(median of alternating pairs)"
    )
    lines.append(
        f"serving path per request: p50 {result.serving_p50_us:.1f} us, "
        f"p99 {result.serving_p99_us:.1f} us; batch SQL is {result.batch_over_serving:.1f}x "
        "the serving path per feature vector"
    )
    for p in result.scaling:
        lines.append(
            f"scaling: {p.n_users:>5} users {p.events:>8} events "
            f"{p.median_s:>7.3f} s {p.events_per_s:>12,.0f} events/s"
        )
    return "\n".join(lines)
