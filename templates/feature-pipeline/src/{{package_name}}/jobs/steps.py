"""The pipeline's steps, each reading and writing files so it can also run on its own.

generate -> ingest -> features -> training-set -> train -> materialize -> parity-check
-> replay-traffic -> skew-check
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Generic, TypeVar

import pandas as pd
from pydantic import BaseModel, ConfigDict

from ..definitions import MAX_USER_ID, FeatureVector, PlausibleTimes
from ..errors import InputError
from ..files import write_atomically, write_json
from ..ingest.validate import IngestReport, ingest_file
from ..model.artifact import load_bundle, save_bundle
from ..model.summary import TrainingSummary
from ..offline.batch_features import (
    connect_events,
    default_cutoff,
    sample_historic_snapshots,
    write_snapshots,
)
from ..offline.postgres_store import PostgresOfflineStore
from ..offline.spark_engine import SparkOfflineEngine, spark_session
from ..offline.training_set import build_training_set, sample_label_times
from ..online.serving import load_event_log
from ..online.store import OnlineStore, materialize
from ..service.scoring import Scorer
from ..service.served_log import ServedLog
from ..settings import Settings
from ..skew.check import SkewReport, SkewThresholds, compare
from ..skew.drills import DRILLS, DrillResult, run_drill
from ..skew.served import ServedSkewReport, ServedThresholds, check_served
from ..skew.serving_drills import (
    CONTROL,
    SERVING_DRILLS,
    DrillContext,
    ServingDrillResult,
    replay,
    run_serving_drill,
    sample_entities,
)
from ..source.synthetic import SourceSpec, generate_events, write_events

T = TypeVar("T")


class TrainingSetSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int
    positive_rate: float
    without_history: int
    max_feature_lag_hours: float


@dataclass(frozen=True)
class Timed(Generic[T]):
    value: T
    seconds: float


def timed(fn: Callable[[], T]) -> Timed[T]:
    start = time.perf_counter()
    value = fn()
    return Timed(value, time.perf_counter() - start)


def source_spec(settings: Settings) -> SourceSpec:
    return SourceSpec(
        n_users=settings.n_users,
        n_days=settings.n_days,
        start_date=settings.start_date,
        seed=settings.seed,
        dirty_fraction=settings.dirty_fraction,
    )


def generate(settings: Settings) -> int:
    events = generate_events(source_spec(settings))
    write_events(events, settings.synthetic_events_path)  # never over a CSV of your own
    return len(events)


def plausible_times(settings: Settings) -> PlausibleTimes:
    """The event times ingestion keeps and the serving path accepts: floor to now."""
    return PlausibleTimes.until_now(settings.event_time_floor)


def ingest(settings: Settings) -> IngestReport:
    return ingest_file(
        settings.raw_events_path,
        settings.clean_events_path,
        settings.rejected_events_path,
        settings.quarantined_events_path,
        settings.reports_dir / "ingest.json",
        plausible_times(settings),
    )


def compute_features(settings: Settings) -> int:
    """Daily snapshots into the offline store: Parquet by DuckDB or Spark, or PostgreSQL."""
    con = connect_events(_existing(settings.clean_events_path, "ingest"))
    try:
        cutoff = default_cutoff(con)
        if not settings.offline_store_url and settings.offline_engine == "duckdb":
            return write_snapshots(con, cutoff, settings.offline_features_path)
    finally:
        con.close()
    if settings.offline_engine == "spark":
        with spark_session(settings.spark_master) as spark:
            return SparkOfflineEngine(spark).build(
                settings.clean_events_path, cutoff, settings.offline_features_path
            )
    store = PostgresOfflineStore(settings.offline_store_url)
    try:
        return store.build(settings.clean_events_path, cutoff, settings.offline_features_path)
    finally:
        store.close()


def training_set(settings: Settings) -> TrainingSetSummary:
    con = connect_events(_existing(settings.clean_events_path, "ingest"))
    try:
        cutoff = default_cutoff(con)
        [(first_day,)] = con.sql("SELECT date_trunc('day', min(event_time)) FROM events").fetchall()
        users = con.sql("SELECT DISTINCT user_id FROM events").fetchnumpy()["user_id"]
        labels = sample_label_times(
            users, first_day, cutoff, settings.labels_per_user, settings.seed
        )
        offline = _existing(settings.offline_features_path, "features")
        if settings.offline_store_url:
            training = _postgres_training_set(settings.offline_store_url, labels)
        elif settings.offline_engine == "spark":
            with spark_session(settings.spark_master) as spark:
                training = SparkOfflineEngine(spark).training_set(
                    settings.clean_events_path, labels, offline
                )
        else:
            training = build_training_set(con, labels, offline)
    finally:
        con.close()
    write_atomically(settings.training_set_path, lambda p: training.to_parquet(p, index=False))
    lag = (training["label_time"] - training["feature_as_of"]).max()
    return TrainingSetSummary(
        rows=len(training),
        positive_rate=float(training["target"].mean()),
        without_history=int(training["feature_as_of"].isna().sum()),
        max_feature_lag_hours=0.0 if pd.isna(lag) else float(lag / timedelta(hours=1)),
    )


def _postgres_training_set(url: str, labels: pd.DataFrame) -> pd.DataFrame:
    store = PostgresOfflineStore(url)
    try:
        return store.training_set(labels)
    finally:
        store.close()


def materialize_online(settings: Settings) -> int:
    store = OnlineStore(settings.online_url)
    try:
        return materialize(_existing(settings.offline_features_path, "features"), store)
    finally:
        store.close()


def feast_apply(settings: Settings) -> Path:
    """The Feast repository from definitions.py, applied and materialised (the `feast` extra)."""
    try:
        from .. import feast_repo
    except ModuleNotFoundError as err:
        if err.name != "feast":
            raise
        raise InputError(
            "feast: not installed; install the extra with `uv sync --extra feast` "
            "(make setup installs every extra)"
        ) from err
    since, until = snapshot_window(settings)
    repo = feast_repo.write_repo(settings)
    feast_repo.apply_and_materialize(repo, since, until)
    return repo


def snapshot_window(settings: Settings) -> tuple[datetime, datetime]:
    """The window Feast materialises: every snapshot, as the pipeline's own materialize reads
    them; it ends a second past the newest, as Feast has counted its end both in and out."""
    as_of = pd.read_parquet(
        _existing(settings.offline_features_path, "features"), columns=["as_of"]
    )["as_of"]
    return as_of.min().to_pydatetime(), as_of.max().to_pydatetime() + timedelta(seconds=1)


def stored_vectors(settings: Settings) -> dict[str, list[FeatureVector]]:
    """What the skew check compares: the whole online store and a historic offline sample."""
    store = OnlineStore(settings.online_url)
    try:
        online = store.scan()
    finally:
        store.close()
    if not online:
        raise InputError(f"online store {settings.online_url}: empty (run `materialize` first)")
    historic = sample_historic_snapshots(
        _existing(settings.offline_features_path, "features"),
        settings.skew_offline_sample,
        settings.seed,
    )
    return {"online store": online, "offline store": historic}


def skew_thresholds(settings: Settings) -> SkewThresholds:
    return SkewThresholds(
        max_mismatch_rate=settings.skew_max_mismatch_rate,
        max_psi=settings.skew_max_psi,
        abs_tolerance=settings.skew_abs_tolerance,
    )


def parity_check(settings: Settings) -> SkewReport:
    """SQL-built stores vs the Python path; writes reports/parity.json, the caller judges."""
    vectors = stored_vectors(settings)
    log = load_event_log(settings.raw_events_path, plausible_times(settings))
    report = compare(vectors, log, skew_thresholds(settings))
    write_json(settings.reports_dir / "parity.json", report.model_dump(mode="json"))
    return report


def parity_drills(settings: Settings) -> list[DrillResult]:
    """Every streaming-path drill against the current stores; writes reports/parity_drills.json."""
    vectors = stored_vectors(settings)
    raw = _existing(settings.raw_events_path, "generate")
    plausible = plausible_times(settings)
    results = [run_drill(d, raw, vectors, skew_thresholds(settings), plausible) for d in DRILLS]
    write_json(
        settings.reports_dir / "parity_drills.json",
        {"drills": [r.model_dump(mode="json") for r in results]},
    )
    return results


def train(settings: Settings) -> TrainingSummary:
    """Fit the model on the training set, save it with its references; reports/model.json."""
    from ..model.train import train_model  # scikit-learn loads only for the jobs that need it

    training = pd.read_parquet(_existing(settings.training_set_path, "training-set"))
    bundle, summary = train_model(training, settings.holdout_fraction, settings.seed)
    save_bundle(bundle, settings.model_dir)
    write_json(settings.reports_dir / "model.json", bundle.metadata)
    return summary


def served_thresholds(settings: Settings) -> ServedThresholds:
    return ServedThresholds(
        max_mismatch_rate=settings.skew_max_mismatch_rate,
        abs_tolerance=settings.skew_abs_tolerance,
        max_distribution_distance=settings.skew_max_served_psi,
        fail_on_drift=settings.skew_fail_on_drift,
    )


def ttl(settings: Settings) -> timedelta:
    return timedelta(hours=settings.online_ttl_hours)


def replay_traffic(settings: Settings, requests: int) -> int:
    """Score `requests` random users through the serving path and log them, as `serve` does."""
    bundle = load_bundle(settings.model_dir)
    store = OnlineStore(settings.online_url)
    try:
        log = ServedLog(store, settings.served_log_max_rows)
        served = replay(
            Scorer(store, bundle, ttl(settings)),
            sample_entities(store, requests, settings.seed),
        )
        for record in served:
            log.record(record)
        log.flush()
    finally:
        store.close()
    return len(served)


def skew_check(settings: Settings) -> ServedSkewReport:
    """The served log vs the offline store as of each request; writes reports/skew.json."""
    bundle = load_bundle(settings.model_dir)
    store = OnlineStore(settings.online_url)
    try:
        served = ServedLog(store, settings.served_log_max_rows).read()
    finally:
        store.close()
    report = check_served(
        served,
        _existing(settings.offline_features_path, "features"),
        bundle,
        served_thresholds(settings),
    )
    write_json(settings.reports_dir / "skew.json", report.model_dump(mode="json"))
    # The served vectors for the report's served-vs-training plots.
    write_atomically(
        settings.reports_dir / "served_sample.parquet",
        lambda p: served.to_parquet(p, index=False),
    )
    return report


def skew_drills(settings: Settings, requests: int = 500) -> list[ServingDrillResult]:
    """Serving-path bugs replayed through the scorer; each must fail the served skew check."""
    bundle = load_bundle(settings.model_dir)
    store = OnlineStore(settings.online_url)
    try:
        ctx = DrillContext(
            store=store,
            offline_features=_existing(settings.offline_features_path, "features"),
            raw_events=_existing(settings.raw_events_path, "generate"),
            plausible=plausible_times(settings),
        )
        entities = sample_entities(store, requests, settings.seed + 1)
        results = [
            run_serving_drill(d, ctx, bundle, entities, served_thresholds(settings), ttl(settings))
            for d in (CONTROL, *SERVING_DRILLS)
        ]
    finally:
        store.close()
    write_json(
        settings.reports_dir / "skew_drills.json",
        {"drills": [r.model_dump(mode="json") for r in results]},
    )
    return results


def lookup(settings: Settings, user_id: int) -> FeatureVector:
    """One user's features from the online store, as a serving request reads them."""
    if not 0 <= user_id <= MAX_USER_ID:
        raise InputError(f"user {user_id}: expected a user id between 0 and {MAX_USER_ID}")
    store = OnlineStore(settings.online_url)
    try:
        record = store.get(user_id)
    finally:
        store.close()
    if record is None:
        raise InputError(f"user {user_id}: not in the online store {settings.online_url}")
    return record


def explain(settings: Settings, user_id: int) -> tuple[FeatureVector, dict[str, float]]:
    """One user's stored features and what the serving path computes at the same time."""
    record = lookup(settings, user_id)
    log = load_event_log(settings.raw_events_path, plausible_times(settings))
    return record, log.features_at(user_id, record.as_of.replace(tzinfo=UTC))


def _existing(path: Path, producing_step: str) -> Path:
    if not path.is_file():
        raise InputError(f"{path}: missing (run `{producing_step}` first)")
    return path
