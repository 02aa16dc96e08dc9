"""The skew check: what the online store serves vs what the serving path computes, per feature.

For every user in the online store (materialised from the batch snapshots), the serving path
recomputes the features from raw events at the same `as_of`. If both paths implement the same
definitions the two agree to rounding; a timezone slip, a window boundary off by one, a
validation rule applied on one side only all show up as mismatches or PSI.
"""

from datetime import UTC, datetime

import numpy as np
from pydantic import BaseModel, ConfigDict, computed_field

from ..definitions import FEATURE_NAMES
from ..errors import SkewCheckFailedError
from ..online.serving import EventLog
from ..online.store import OnlineRecord
from .metrics import FeatureSkew, feature_skew


class SkewThresholds(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_mismatch_rate: float
    max_psi: float
    abs_tolerance: float


class SkewReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    entities: int
    as_of_min: datetime | None
    as_of_max: datetime | None
    thresholds: SkewThresholds
    features: list[FeatureSkew]
    failures: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return not self.failures


def compare(records: list[OnlineRecord], log: EventLog, thresholds: SkewThresholds) -> SkewReport:
    offline = np.full((len(records), len(FEATURE_NAMES)), np.nan)
    serving = np.full_like(offline, np.nan)
    for i, record in enumerate(records):
        computed = log.features_at(record.user_id, record.as_of.replace(tzinfo=UTC))
        for j, name in enumerate(FEATURE_NAMES):
            stored = record.features.get(name)
            offline[i, j] = np.nan if stored is None else stored
            serving[i, j] = computed[name]
    features = [
        feature_skew(name, offline[:, j], serving[:, j], thresholds.abs_tolerance)
        for j, name in enumerate(FEATURE_NAMES)
    ]
    return SkewReport(
        entities=len(records),
        as_of_min=min((r.as_of for r in records), default=None),
        as_of_max=max((r.as_of for r in records), default=None),
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


def raise_on_failure(report: SkewReport) -> None:
    if report.failures:
        raise SkewCheckFailedError(
            f"skew check failed for {len(report.failures)} threshold(s): "
            + "; ".join(report.failures)
        )


def skew_table(report: SkewReport) -> str:
    """A fixed-width table for the terminal."""
    lines = [f"{'feature':<26}{'mismatch':>10}{'max |diff|':>12}{'PSI':>9}"]
    for f in report.features:
        lines.append(f"{f.feature:<26}{f.mismatch_rate:>10.2%}{f.max_abs_diff:>12.3g}{f.psi:>9.4f}")
    verdict = "PASSED" if report.passed else "FAILED"
    lines.append(f"skew check {verdict} on {report.entities} users as of {report.as_of_max}")
    return "\n".join(lines)
