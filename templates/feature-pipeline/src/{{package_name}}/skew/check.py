"""The skew check: stored features vs what the serving path computes, per feature.

Two kinds of stored vectors are recomputed by the serving path from raw events at their own
`as_of`: every user's vector in the online store (what serving reads now) and a random sample of
historic offline snapshots (what models were trained on). If both paths implement the same
definitions they agree to rounding; a timezone slip, a window boundary off by one, a validation
rule applied on one side only all show up as mismatches or PSI.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
from pydantic import BaseModel, ConfigDict, computed_field

from ..definitions import FEATURE_NAMES, FeatureVector
from ..errors import SkewCheckFailedError
from ..online.serving import EventLog
from .metrics import FeatureSkew, feature_skew


class SkewThresholds(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_mismatch_rate: float
    max_psi: float
    abs_tolerance: float


class SkewReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    compared: dict[str, int]  # vectors per source, e.g. {"online store": 2000}
    as_of_min: datetime | None
    as_of_max: datetime | None
    thresholds: SkewThresholds
    features: list[FeatureSkew]
    failures: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return not self.failures


def compare(
    sources: Mapping[str, Sequence[FeatureVector]], log: EventLog, thresholds: SkewThresholds
) -> SkewReport:
    vectors = [vector for source in sources.values() for vector in source]
    stored = np.full((len(vectors), len(FEATURE_NAMES)), np.nan)
    served = np.full_like(stored, np.nan)
    for i, vector in enumerate(vectors):
        computed = log.features_at(vector.user_id, vector.as_of.replace(tzinfo=UTC))
        for j, name in enumerate(FEATURE_NAMES):
            value = vector.features.get(name)
            stored[i, j] = np.nan if value is None else value
            served[i, j] = computed[name]
    features = [
        feature_skew(name, stored[:, j], served[:, j], thresholds.abs_tolerance)
        for j, name in enumerate(FEATURE_NAMES)
    ]
    return SkewReport(
        compared={name: len(source) for name, source in sources.items()},
        as_of_min=min((v.as_of for v in vectors), default=None),
        as_of_max=max((v.as_of for v in vectors), default=None),
        thresholds=thresholds,
        features=features,
        failures=_failures(features, thresholds),
    )


def _failures(features: list[FeatureSkew], thresholds: SkewThresholds) -> list[str]:
    failures = []
    for f in features:
        if f.mismatch_rate > thresholds.max_mismatch_rate:
            failures.append(
                f"{f.feature}: mismatch rate {f.mismatch_rate:.2%} > "
                f"{thresholds.max_mismatch_rate:.2%} (max abs diff {f.max_abs_diff:.4g})"
            )
        if f.psi > thresholds.max_psi:
            failures.append(f"{f.feature}: PSI {f.psi:.3f} > {thresholds.max_psi:.3f}")
    return failures


def raise_on_failure(failures: Sequence[str], check: str) -> None:
    if failures:
        raise SkewCheckFailedError(
            f"{check} failed for {len(failures)} threshold(s): " + "; ".join(failures)
        )


def skew_table(report: SkewReport) -> str:
    """A fixed-width table for the terminal."""
    lines = [f"{'feature':<26}{'mismatch':>10}{'max |diff|':>12}{'PSI':>9}"]
    for f in report.features:
        lines.append(f"{f.feature:<26}{f.mismatch_rate:>10.2%}{f.max_abs_diff:>12.3g}{f.psi:>9.4f}")
    verdict = "PASSED" if report.passed else "FAILED"
    sources = " + ".join(f"{n} from the {source}" for source, n in report.compared.items())
    lines.append(
        f"parity check {verdict}: {sources}, as of {report.as_of_min} to {report.as_of_max}"
    )
    return "\n".join(lines)
