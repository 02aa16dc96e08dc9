"""One prediction: look the entity up, assemble the model's vector, score it, say what was served.

This is the whole serving path, shared by the HTTP service, the traffic replay of `pipeline` and
the skew drills (which swap in a buggy feature source or vector assembly), so what the skew check
reads from the log is what a real request produced.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np

from ..definitions import FeatureVector
from ..model.artifact import ModelBundle
from ..online.store import utc_now


class FeatureSource(Protocol):
    def get(self, user_id: int, ttl: timedelta | None = None) -> FeatureVector | None: ...


Assemble = Callable[[Mapping[str, float | None], Sequence[str]], list[float]]


def assemble_vector(features: Mapping[str, float | None], order: Sequence[str]) -> list[float]:
    """The model's input in its feature order; a missing value is NaN, never a made-up 0."""
    values = []
    for name in order:
        value = features.get(name)
        values.append(math.nan if value is None else float(value))
    return values


@dataclass(frozen=True)
class Served:
    entity_id: int
    served_at: datetime  # naive UTC
    feature_as_of: datetime
    model_version: str
    features: dict[str, float | None]  # the vector the model scored, by name
    score: float


class NotServedError(Exception):
    """The entity has no vector the service may use; `reason` is 'unknown' or 'stale'."""

    def __init__(self, entity_id: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.entity_id = entity_id
        self.reason = reason


class Scorer:
    def __init__(
        self,
        source: FeatureSource,
        bundle: ModelBundle,
        ttl: timedelta,
        assemble: Assemble = assemble_vector,
    ) -> None:
        self.source = source
        self.bundle = bundle
        self.ttl = ttl
        self.assemble = assemble

    def predict(self, entity_id: int, now: datetime | None = None) -> Served:
        served_at = now or utc_now()
        vector = self.source.get(entity_id)
        if vector is None:
            raise NotServedError(entity_id, "unknown", f"entity {entity_id}: not in the store")
        if vector.materialized_at is not None and vector.materialized_at < served_at - self.ttl:
            raise NotServedError(
                entity_id,
                "stale",
                f"entity {entity_id}: features materialised at "
                f"{vector.materialized_at:%Y-%m-%d %H:%M}, older than the {self.ttl} TTL "
                "(run `materialize`)",
            )
        values = self.assemble(vector.features, self.bundle.features)
        score = float(self.bundle.score(np.asarray([values], dtype="float64"))[0])
        return Served(
            entity_id=entity_id,
            served_at=served_at,
            feature_as_of=vector.as_of,
            model_version=self.bundle.version,
            features={
                name: None if math.isnan(v) else v
                for name, v in zip(self.bundle.features, values, strict=True)
            },
            score=score,
        )
