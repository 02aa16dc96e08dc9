"""The skew check on served traffic: what the service scored vs what training would have seen.

For every logged prediction (entity, served_at) the offline store gives the features as of that
time: the entity's newest batch snapshot at or before served_at, found with the same ASOF join
the training set uses. Value by value, per feature, they must agree to the tolerance: a stale
online store, a vector assembled in the wrong order, nulls filled at serving time, or an online
store fed by a buggy streaming path all show up as mismatches, from the log alone. Separately,
the served values are compared with the training reference distributions saved with the model
(PSI for numeric features, total variation distance for categorical ones): that is drift of the
population the model sees, not a bug in a feature path. It is reported as a warning above its
threshold, and fails the check only with `fail_on_drift` (FEATURES_SKEW_FAIL_ON_DRIFT=true).
"""

from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, computed_field

from ..definitions import FEATURE_NAMES, FEATURES_BY_NAME
from ..errors import InputError
from ..model.artifact import ModelBundle
from .metrics import max_abs_diff, mismatches
from .reference import psi_against, total_variation

ASOF_SQL = f"""
SELECT l.row_id, f.as_of AS offline_as_of,
       {", ".join(f"f.{name} AS offline_{name}" for name in FEATURE_NAMES)}
FROM served l
ASOF LEFT JOIN read_parquet($offline) f
       ON f.user_id = l.entity_id AND f.as_of <= l.served_at
ORDER BY l.row_id
"""


class ServedThresholds(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_mismatch_rate: float
    abs_tolerance: float
    max_distribution_distance: float
    fail_on_drift: bool = False


class ServedFeatureSkew(BaseModel):
    model_config = ConfigDict(frozen=True)

    feature: str
    kind: str
    mismatch_rate: float
    max_abs_diff: float
    distance: float  # PSI (numeric) or total variation distance (categorical) vs training
    distance_name: str


class ServedSkewReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    requests: int
    model_versions: list[str]
    served_from: datetime | None
    served_to: datetime | None
    as_of_mismatch_rate: float  # served snapshot time != the offline one as of served_at
    thresholds: ServedThresholds
    features: list[ServedFeatureSkew]
    failures: list[str]
    drift_warnings: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return not self.failures


def offline_as_of_served(served: pd.DataFrame, offline_features: Path) -> pd.DataFrame:
    """Per logged row, the offline snapshot as of served_at (null where none existed)."""
    if not offline_features.is_file():
        raise InputError(f"{offline_features}: missing (run `features` first)")
    with duckdb.connect() as con:
        con.register("served", served[["entity_id", "served_at"]].assign(row_id=range(len(served))))
        offline: pd.DataFrame = con.execute(ASOF_SQL, {"offline": str(offline_features)}).df()
    return offline


def check_served(
    served: pd.DataFrame,
    offline_features: Path,
    bundle: ModelBundle,
    thresholds: ServedThresholds,
) -> ServedSkewReport:
    if served.empty:
        raise InputError("served log: empty (serve some requests, or run `replay-traffic`)")
    offline = offline_as_of_served(served, offline_features)
    features = []
    for name in FEATURE_NAMES:
        served_values = served[name].to_numpy(dtype="float64")
        offline_values = offline[f"offline_{name}"].to_numpy(dtype="float64", na_value=np.nan)
        kind = FEATURES_BY_NAME[name].kind
        reference = bundle.reference(name)
        distance = (
            total_variation(reference, served_values)
            if kind == "categorical"
            else psi_against(reference, served_values)
        )
        features.append(
            ServedFeatureSkew(
                feature=name,
                kind=kind,
                mismatch_rate=float(
                    mismatches(offline_values, served_values, thresholds.abs_tolerance).mean()
                ),
                max_abs_diff=max_abs_diff(offline_values, served_values),
                distance=distance,
                distance_name="TVD" if kind == "categorical" else "PSI",
            )
        )
    as_of_differs = served["feature_as_of"].to_numpy() != offline["offline_as_of"].to_numpy()
    drift = _drift(features, thresholds)
    failures = _failures(features, thresholds, float(as_of_differs.mean()))
    return ServedSkewReport(
        requests=len(served),
        model_versions=sorted(served["model_version"].unique().tolist()),
        served_from=served["served_at"].min().to_pydatetime(),
        served_to=served["served_at"].max().to_pydatetime(),
        as_of_mismatch_rate=float(as_of_differs.mean()),
        thresholds=thresholds,
        features=features,
        failures=failures + drift if thresholds.fail_on_drift else failures,
        drift_warnings=drift,
    )


def _failures(
    features: list[ServedFeatureSkew], thresholds: ServedThresholds, as_of_mismatch: float
) -> list[str]:
    failures = []
    if as_of_mismatch > thresholds.max_mismatch_rate:
        failures.append(
            f"snapshot time: served vectors not the newest offline snapshot in "
            f"{as_of_mismatch:.2%} of requests (a stale or partial online store)"
        )
    for f in features:
        if f.mismatch_rate > thresholds.max_mismatch_rate:
            failures.append(
                f"{f.feature}: served vs offline mismatch {f.mismatch_rate:.2%} > "
                f"{thresholds.max_mismatch_rate:.2%} (max abs diff {f.max_abs_diff:.4g})"
            )
    return failures


def _drift(features: list[ServedFeatureSkew], thresholds: ServedThresholds) -> list[str]:
    return [
        f"{f.feature}: {f.distance_name} vs training {f.distance:.3f} > "
        f"{thresholds.max_distribution_distance:.3f}"
        for f in features
        if f.distance > thresholds.max_distribution_distance
    ]


def served_skew_table(report: ServedSkewReport) -> str:
    lines = [f"{'feature':<26}{'mismatch':>10}{'max |diff|':>12}{'vs training':>13}"]
    for f in report.features:
        lines.append(
            f"{f.feature:<26}{f.mismatch_rate:>10.2%}{f.max_abs_diff:>12.3g}"
            f"{f.distance_name:>5} {f.distance:>7.4f}"
        )
    verdict = "PASSED" if report.passed else "FAILED"
    lines.append(
        f"served skew check {verdict}: {report.requests} logged predictions "
        f"({report.served_from} to {report.served_to}), model {', '.join(report.model_versions)}, "
        f"snapshot time differs in {report.as_of_mismatch_rate:.2%}"
    )
    lines.extend(f"drift warning: {warning}" for warning in report.drift_warnings)
    return "\n".join(lines)
