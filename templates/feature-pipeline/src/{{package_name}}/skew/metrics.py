"""Per-feature skew metrics between two aligned samples of one feature.

Null (NaN) is a value here: both null is agreement, one null is a mismatch, and PSI gives nulls a
bin of their own, so a path that returns null where the other returns 0 shows up in both numbers.
"""

import numpy as np
from pydantic import BaseModel, ConfigDict

PSI_BINS = 10
PSI_EPSILON = 1e-4  # keeps empty bins from making PSI infinite


class FeatureSkew(BaseModel):
    model_config = ConfigDict(frozen=True)

    feature: str
    n: int
    mismatch_rate: float
    max_abs_diff: float
    psi: float


def mismatches(offline: np.ndarray, serving: np.ndarray, abs_tolerance: float) -> np.ndarray:
    both_null = np.isnan(offline) & np.isnan(serving)
    close = np.isclose(offline, serving, rtol=1e-9, atol=abs_tolerance)
    different: np.ndarray = ~(both_null | close)
    return different


def max_abs_diff(offline: np.ndarray, serving: np.ndarray) -> float:
    both = ~np.isnan(offline) & ~np.isnan(serving)
    return float(np.max(np.abs(offline[both] - serving[both]))) if both.any() else 0.0


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = PSI_BINS) -> float:
    """Population stability index: sum((a - e) * ln(a / e)) over quantile bins of `expected`."""
    e_share, a_share = bin_shares(expected, actual, bins)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


def quantile_edges(present: np.ndarray, bins: int = PSI_BINS) -> np.ndarray:
    """Interior bin edges from a sample's quantiles (nulls removed).

    Repeated edges (a discrete feature) collapse, so a count feature gets one bin per value
    instead of empty duplicates.
    """
    if not present.size:
        return np.array([])
    return np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]))


def shares_on_edges(edges: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """Share of `sample` in each bin between `edges`, then the share of nulls."""
    null = np.isnan(sample)
    counts = np.bincount(
        np.searchsorted(edges, sample[~null], side="right"), minlength=edges.size + 1
    )
    counts = np.append(counts, null.sum()).astype("float64")
    shares: np.ndarray = counts / max(sample.size, 1)
    return shares


def bin_shares(
    expected: np.ndarray, actual: np.ndarray, bins: int = PSI_BINS
) -> tuple[np.ndarray, np.ndarray]:
    """Shares of each sample per bin (quantile bins of `expected`, then a null bin), floored."""
    edges = quantile_edges(expected[~np.isnan(expected)], bins)
    return (
        np.clip(shares_on_edges(edges, expected), PSI_EPSILON, None),
        np.clip(shares_on_edges(edges, actual), PSI_EPSILON, None),
    )


def feature_skew(
    feature: str, offline: np.ndarray, serving: np.ndarray, abs_tolerance: float
) -> FeatureSkew:
    if offline.shape != serving.shape:
        raise ValueError(f"{feature}: {offline.shape} offline values vs {serving.shape} serving")
    return FeatureSkew(
        feature=feature,
        n=int(offline.size),
        mismatch_rate=float(mismatches(offline, serving, abs_tolerance).mean())
        if offline.size
        else 0.0,
        max_abs_diff=max_abs_diff(offline, serving),
        psi=psi(offline, serving),
    )
