"""Paired comparison of two systems on the same queries, and one system's mean with its interval.

Reports the mean difference with a bootstrap 95% interval, the per-query wins, losses and ties,
and two paired tests from scipy: the t-test (means) and the Wilcoxon signed-rank test (no
normality assumption; per-query metric differences are often far from normal).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from ..errors import InputError


@dataclass(frozen=True)
class PairedComparison:
    system: str
    baseline: str
    metric: str
    queries: int
    mean_system: float
    mean_baseline: float
    mean_difference: float
    ci95_low: float
    ci95_high: float
    wins: int
    losses: int
    ties: int
    t_test_p: float
    wilcoxon_p: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def paired_comparison(
    system: npt.NDArray[np.float64],
    baseline: npt.NDArray[np.float64],
    *,
    names: tuple[str, str],
    metric: str,
    seed: int = 13,
    resamples: int = 10_000,
) -> PairedComparison:
    if system.shape != baseline.shape or system.ndim != 1:
        raise InputError("paired comparison: both systems need one score per query, same queries")
    if system.size < 2:
        raise InputError("paired comparison: needs at least 2 queries")
    difference = system - baseline
    rng = np.random.default_rng(seed)
    samples = rng.integers(0, difference.size, size=(resamples, difference.size))
    boot = difference[samples].mean(axis=1)
    low, high = np.quantile(boot, [0.025, 0.975])
    if np.allclose(difference, 0.0):
        t_p = w_p = 1.0  # identical per-query scores: no evidence of any difference
    else:
        t_p = float(stats.ttest_rel(system, baseline).pvalue)
        w_p = float(stats.wilcoxon(system, baseline, zero_method="zsplit").pvalue)
    return PairedComparison(
        system=names[0],
        baseline=names[1],
        metric=metric,
        queries=int(difference.size),
        mean_system=float(system.mean()),
        mean_baseline=float(baseline.mean()),
        mean_difference=float(difference.mean()),
        ci95_low=float(low),
        ci95_high=float(high),
        wins=int((difference > 1e-12).sum()),
        losses=int((difference < -1e-12).sum()),
        ties=int((np.abs(difference) <= 1e-12).sum()),
        t_test_p=t_p,
        wilcoxon_p=w_p,
    )


@dataclass(frozen=True)
class Interval:
    """A mean over queries with its 95% bootstrap (percentile) interval."""

    mean: float
    low: float
    high: float


def mean_interval(
    scores: npt.NDArray[np.float64], *, seed: int = 13, resamples: int = 10_000
) -> Interval:
    """The mean of per-query scores and scipy's percentile bootstrap 95% interval for it."""
    if scores.ndim != 1 or scores.size < 2:
        raise InputError("mean interval: needs one score per query, at least 2 queries")
    mean = float(scores.mean())
    if np.all(scores == scores[0]):
        return Interval(mean, mean, mean)  # every query alike: the bootstrap has nothing to vary
    result = stats.bootstrap(
        (scores,),
        np.mean,
        confidence_level=0.95,
        n_resamples=resamples,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return Interval(mean, float(interval.low), float(interval.high))
