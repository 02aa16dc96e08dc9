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
from ..ingest.validate import typed_events
from ..offline.batch_features import connect_events, default_cutoff, snapshot_relation
from ..offline.reference_sql import range_join_relation
from ..online.serving import load_event_log
from ..online.store import OnlineStore
from ..settings import Settings
from ..source.synthetic import generate_events
from . import steps
from .bench_serving import ServingBench, bench_serving

# Offline build (features + training set, DuckDB) at these event counts; --with-10m adds 10M.
SCALING_EVENTS = (100_000, 1_000_000)
TEN_MILLION = 10_000_000


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
    serving: ServingBench


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
    settings: Settings,
    runs: int = 5,
    scaling_events: tuple[int, ...] = SCALING_EVENTS,
    lookups: int = 1_000,
    skew_rows: int = 100_000,
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
        steps.train(local)
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
        serving = bench_serving(local, lookups, skew_rows)
        per_user = raw_rows / settings.n_users
        scaling = [_scaling_point(local, n, per_user) for n in scaling_events]
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
        serving=serving,
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
    log = load_event_log(settings.raw_events_path, steps.plausible_times(settings))
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


def _scaling_point(settings: Settings, events: int, events_per_user: float) -> ScalingPoint:
    """Features + training set on `events` clean events, timed once (the sizes are the point).

    Ingestion is left out (it has its own stage above): the events are typed straight from the
    generator, as a warehouse export of clean events would arrive.
    """
    n_users = max(1, round(events / events_per_user))
    sized = settings.model_copy(
        update={"n_users": n_users, "data_dir": settings.data_dir / f"scale-{events}"}
    )
    raw = generate_events(steps.source_spec(sized.model_copy(update={"dirty_fraction": 0.0})))
    clean = typed_events(raw.drop_duplicates("event_id"))
    sized.clean_events_path.parent.mkdir(parents=True, exist_ok=True)
    clean.to_parquet(sized.clean_events_path, index=False)
    del raw
    start = time.perf_counter()
    snapshots = steps.compute_features(sized)
    steps.training_set(sized)
    seconds = time.perf_counter() - start
    return ScalingPoint(
        n_users=n_users,
        events=len(clean),
        snapshots=snapshots,
        median_s=seconds,
        events_per_s=len(clean) / seconds,
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
            f"offline build (features + training set): {p.events:>10,} events "
            f"{p.median_s:>7.2f} s {p.events_per_s:>12,.0f} events/s"
        )
    for latency in result.serving.latencies:
        lines.append(
            f"{latency.path}: p50 {latency.p50_ms:.2f} ms, p99 {latency.p99_ms:.2f} ms "
            f"({latency.requests} requests)"
        )
    lines.append(
        f"served skew check on {result.serving.skew_check_rows:,} logged lookups: "
        f"{result.serving.skew_check_s:.2f} s"
    )
    return "\n".join(lines)
