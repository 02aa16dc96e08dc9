"""Serving drills: bugs injected into the serving path, each of which the served skew check
must catch from the log of served vectors alone.

Every drill replays the same requests through `Scorer` with one thing broken — where the features
come from, or how the model's vector is put together — logs what was served, and runs
`check_served` on that log. A control run with nothing broken must pass with 0 mismatches.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
from pydantic import BaseModel, ConfigDict

from ..definitions import FEATURE_NAMES, FeatureVector, PlausibleTimes
from ..ingest.raw import raw_event_rows
from ..model.artifact import ModelBundle
from ..online.serving import EventLog
from ..online.store import OnlineStore, utc_now
from ..service.scoring import (
    Assemble,
    FeatureSource,
    NotServedError,
    Scorer,
    Served,
    assemble_vector,
)
from ..service.served_log import served_frame
from .drills import offsets_dropped
from .served import ServedThresholds, check_served


class DictSource:
    """A feature source from vectors in memory (what a buggy online store would hold)."""

    def __init__(self, vectors: Mapping[int, FeatureVector]) -> None:
        self.vectors = vectors

    def get(self, user_id: int, ttl: timedelta | None = None) -> FeatureVector | None:
        return self.vectors.get(user_id)


@dataclass(frozen=True)
class DrillContext:
    store: OnlineStore
    offline_features: Path
    raw_events: Path
    plausible: PlausibleTimes | None = None  # the serving path's rule; None: floor to now


def _snapshots_at(offline_features: Path, days_back: int) -> dict[int, FeatureVector]:
    with duckdb.connect() as con:
        rows = con.execute(
            f"SELECT user_id, as_of, {', '.join(FEATURE_NAMES)} FROM read_parquet($p) "
            "WHERE as_of = (SELECT max(as_of) FROM read_parquet($p)) - to_days($d)",
            {"p": str(offline_features), "d": days_back},
        ).fetchall()
    now = utc_now()
    return {
        int(r[0]): FeatureVector(
            int(r[0]),
            r[1],
            {
                n: None if v is None or math.isnan(v) else float(v)
                for n, v in zip(FEATURE_NAMES, r[2:], strict=True)
            },
            materialized_at=now,
        )
        for r in rows
    }


def stale_store(ctx: DrillContext) -> tuple[FeatureSource, Assemble]:
    """The last materialisation failed unnoticed: the store still holds yesterday's snapshots."""
    return DictSource(_snapshots_at(ctx.offline_features, 1)), assemble_vector


def nulls_served_as_zero(ctx: DrillContext) -> tuple[FeatureSource, Assemble]:
    """The service fills missing features with 0 (no purchase yet = 0 hours since the last)."""

    def assemble(features: Mapping[str, float | None], order: Sequence[str]) -> list[float]:
        return [0.0 if math.isnan(v) else v for v in assemble_vector(features, order)]

    return ctx.store, assemble


def features_swapped(ctx: DrillContext) -> tuple[FeatureSource, Assemble]:
    """The vector is built from a hand-written column list with two counts in the wrong order."""

    def assemble(features: Mapping[str, float | None], order: Sequence[str]) -> list[float]:
        swapped = list(order)
        i, j = swapped.index("txn_count_7d"), swapped.index("txn_count_28d")
        swapped[i], swapped[j] = swapped[j], swapped[i]
        return assemble_vector(features, swapped)

    return ctx.store, assemble


def streaming_offsets_dropped(ctx: DrillContext) -> tuple[FeatureSource, Assemble]:
    """The online store is fed by the streaming path, which reads '12:00+02:00' as 12:00 UTC."""
    newest = max(v.as_of for v in ctx.store.scan())
    log = EventLog(ctx.plausible)
    log.extend(offsets_dropped(raw_event_rows(ctx.raw_events), newest))
    now = utc_now()
    vectors = {}
    for record in ctx.store.scan():
        features = log.features_at(record.user_id, newest.replace(tzinfo=UTC))
        vectors[record.user_id] = FeatureVector(
            record.user_id,
            newest,
            {n: None if math.isnan(v) else v for n, v in features.items()},
            materialized_at=now,
        )
    return DictSource(vectors), assemble_vector


def clean(ctx: DrillContext) -> tuple[FeatureSource, Assemble]:
    """Nothing broken: the control, which must pass with no mismatch at all."""
    return ctx.store, assemble_vector


@dataclass(frozen=True)
class ServingDrill:
    name: str
    inject: Callable[[DrillContext], tuple[FeatureSource, Assemble]]

    @property
    def description(self) -> str:
        return (self.inject.__doc__ or "").strip()


CONTROL = ServingDrill("no bug (control)", clean)
SERVING_DRILLS = (
    ServingDrill("online store a day stale", stale_store),
    ServingDrill("nulls served as 0", nulls_served_as_zero),
    ServingDrill("two features swapped", features_swapped),
    ServingDrill("streaming path drops UTC offsets", streaming_offsets_dropped),
)


class ServingDrillResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    drill: str
    description: str
    requests: int
    caught: bool
    flagged: list[str]
    worst_mismatch_rate: float
    worst_distance: float


def replay(scorer: Scorer, entity_ids: Sequence[int], now: datetime | None = None) -> list[Served]:
    """Score each entity in turn; entities the scorer refuses (unknown, stale) are skipped."""
    served = []
    for entity_id in entity_ids:
        try:
            served.append(scorer.predict(entity_id, now))
        except NotServedError:
            continue
    return served


def sample_entities(store: OnlineStore, n: int, seed: int) -> list[int]:
    users = np.asarray([v.user_id for v in store.scan()])
    rng = np.random.default_rng(seed)
    return [int(u) for u in rng.choice(users, size=n, replace=True)] if users.size else []


def run_serving_drill(
    drill: ServingDrill,
    ctx: DrillContext,
    bundle: ModelBundle,
    entity_ids: Sequence[int],
    thresholds: ServedThresholds,
    ttl: timedelta,
) -> ServingDrillResult:
    source, assemble = drill.inject(ctx)
    served = replay(Scorer(source, bundle, ttl, assemble), entity_ids)
    report = check_served(served_frame(served), ctx.offline_features, bundle, thresholds)
    return ServingDrillResult(
        drill=drill.name,
        description=drill.description,
        requests=report.requests,
        caught=not report.passed,
        flagged=sorted({failure.split(":")[0] for failure in report.failures}),
        worst_mismatch_rate=max(f.mismatch_rate for f in report.features),
        worst_distance=max(f.distance for f in report.features),
    )
