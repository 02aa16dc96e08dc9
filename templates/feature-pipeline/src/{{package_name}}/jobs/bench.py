"""`make bench`: throughput of each pipeline stage, medians of several runs, in a scratch folder.

Rows per second are for the stage as a whole (file in, file out), because that is what a
scheduled batch job costs. The serving path is timed per request, and the batch/serving ratio
says how much a vectorised SQL engine buys over per-entity Python for the same feature vectors.
The offline build is also measured at 100k and 1M events (10M with --with-10m), and the result
states each speed target (TARGETS) next to what was measured, with the machine's load average.
With the `feast` extra, Feast's training set, materialisation and online lookup are timed beside
the pipeline's on the same data (bench_feast.py).
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
from .bench_feast import FeastBench, bench_feast, format_feast
from .bench_serving import ServingBench, bench_serving

# Offline build (features + training set, DuckDB) at these event counts; --with-10m adds 10M.
SCALING_EVENTS = (100_000, 1_000_000)
TEN_MILLION = 10_000_000
MILLION = 1_000_000


class Target(BaseModel):
    """A speed target of the project and what this run measured (None: not measured)."""

    model_config = ConfigDict(frozen=True)

    name: str
    limit_s: float
    measured_s: float | None
    how_to_measure: str = ""

    @property
    def met(self) -> bool | None:
        return None if self.measured_s is None else self.measured_s < self.limit_s


class StageResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    stage: str
    rows: int
    unit: str
    median_s: float
    rows_per_s: float


class ScalingPoint(BaseModel):
    """One data size; every time is the median of `runs` runs."""

    model_config = ConfigDict(frozen=True)

    target_events: int  # the size asked for; users are drawn to give about this many events
    n_users: int
    events: int  # clean events the offline build reads
    snapshots: int
    labels: int
    runs: int
    median_s: float  # features + training set, from clean events to the training set's file
    events_per_s: float
    features_s: float
    training_set_s: float
    materialize_s: float  # each user's newest snapshot into the SQLite online store
    raw_rows: int  # what the synthetic generator wrote (dirty rows and duplicates included)
    generate_s: float  # the `generate` step: events in memory, then the CSV


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
    feast: FeastBench | None = None  # None: the feast extra is not installed
    targets: list[Target]


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
    scaling_runs: int = 3,
) -> BenchResult:
    load_before = _load_average()
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
        serving = bench_serving(local, lookups, skew_rows, runs)
        feast = bench_feast(local, runs, lookups)
        per_user = raw_rows / settings.n_users
        scaling = [_scaling_point(local, n, per_user, scaling_runs) for n in scaling_events]
    result = BenchResult(
        machine={
            "cpus": str(os.cpu_count()),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "platform": platform.platform(terse=True),
            "load_before": load_before,
            "load_after": _load_average(),
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
        feast=feast,
        targets=targets(scaling, serving),
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


def _scaling_point(
    settings: Settings, events: int, events_per_user: float, runs: int
) -> ScalingPoint:
    """The generator, features + training set and materialisation on about `events` events.

    The offline build starts from clean events typed straight from a generator run without dirty
    rows, as a warehouse export of clean events would arrive: ingestion has its own stage above.
    """
    n_users = max(1, round(events / events_per_user))
    sized = settings.model_copy(
        update={"n_users": n_users, "data_dir": settings.data_dir / f"scale-{events}"}
    )
    generate_s = _median_seconds(lambda: steps.generate(sized), runs)
    raw_rows = steps.generate(sized)
    sized.synthetic_events_path.unlink()  # up to 0.7 GB at 10M events
    raw = generate_events(steps.source_spec(sized.model_copy(update={"dirty_fraction": 0.0})))
    clean = typed_events(raw.drop_duplicates("event_id"))
    del raw
    sized.clean_events_path.parent.mkdir(parents=True, exist_ok=True)
    clean.to_parquet(sized.clean_events_path, index=False)
    clean_events = len(clean)
    del clean
    features_s, training_s, total_s = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        snapshots = steps.compute_features(sized)
        middle = time.perf_counter()
        labels = steps.training_set(sized).rows
        end = time.perf_counter()
        features_s.append(middle - start)
        training_s.append(end - middle)
        total_s.append(end - start)
    materialize_s = _median_seconds(lambda: steps.materialize_online(sized), runs)
    median_s = statistics.median(total_s)
    return ScalingPoint(
        target_events=events,
        n_users=n_users,
        events=clean_events,
        snapshots=snapshots,
        labels=labels,
        runs=runs,
        median_s=median_s,
        events_per_s=clean_events / median_s,
        features_s=statistics.median(features_s),
        training_set_s=statistics.median(training_s),
        materialize_s=materialize_s,
        raw_rows=raw_rows,
        generate_s=generate_s,
    )


def _at(points: list[ScalingPoint], events: int) -> ScalingPoint | None:
    return next((p for p in points if p.target_events == events), None)


def targets(scaling: list[ScalingPoint], serving: ServingBench) -> list[Target]:
    """The project's speed targets on a 2-core machine, each with what this run measured."""
    million, ten_million = _at(scaling, MILLION), _at(scaling, TEN_MILLION)
    store = next(x for x in serving.latencies if x.path == "online store lookup")
    return [
        Target(
            name="1M events -> training set (features + training set)",
            limit_s=10.0,
            measured_s=None if million is None else million.median_s,
            how_to_measure="make bench",
        ),
        Target(
            name="online store lookup p99",
            limit_s=0.002,
            measured_s=store.p99_ms / 1_000,
        ),
        Target(
            name="synthetic generator, 10M events (CSV written)",
            limit_s=60.0,
            measured_s=None if ten_million is None else ten_million.generate_s,
            how_to_measure="make bench BENCH_ARGS=--with-10m",
        ),
    ]


def _load_average() -> str:
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


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
            f"{p.median_s:>7.2f} s {p.events_per_s:>12,.0f} events/s; materialise "
            f"{p.n_users:,} users {p.materialize_s:.2f} s; generator {p.raw_rows:,} rows "
            f"{p.generate_s:.2f} s (medians of {p.runs})"
        )
    for latency in result.serving.latencies:
        lines.append(
            f"{latency.path}: p50 {latency.p50_ms:.2f} ms, p99 {latency.p99_ms:.2f} ms "
            f"(medians of {latency.rounds} rounds of {latency.requests} requests)"
        )
    lines.append(
        f"served skew check on {result.serving.skew_check_rows:,} logged lookups: "
        f"{result.serving.skew_check_s:.2f} s"
    )
    lines.extend(format_feast(result.feast))
    for t in result.targets:
        lines.append(f"target: {t.name} under {_seconds(t.limit_s)}: {_verdict(t)}")
    lines.append(
        f"load average (1, 5, 15 min): {result.machine['load_before']} before, "
        f"{result.machine['load_after']} after"
    )
    return "\n".join(lines)


def _seconds(value: float) -> str:
    return f"{value * 1_000:.2f} ms" if value < 1 else f"{value:.2f} s"


def _verdict(target: Target) -> str:
    if target.measured_s is None:
        return f"not measured ({target.how_to_measure})"
    return f"{_seconds(target.measured_s)}, {'met' if target.met else 'NOT MET'}"
