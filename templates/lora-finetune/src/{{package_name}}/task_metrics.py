"""The task metric and its uncertainty: exact match of the answer, with a bootstrap interval.

Every task in the embedded dataset has one right answer as a string, so a response is right when
it equals the reference after trimming surrounding whitespace; nothing is fuzzy. A test split of
a few hundred examples leaves real sampling noise, so each score comes with a percentile
bootstrap interval, and base vs adapter with a paired one (the same resampled examples for both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def exact_match(prediction: str, reference: str) -> bool:
    return prediction.strip() == reference.strip()


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


def bootstrap_mean(
    values: Sequence[float], resamples: int = 2000, confidence: float = 0.95, seed: int = 0
) -> Interval:
    """The mean of `values` with a percentile bootstrap interval (seeded: rerunnable)."""
    data = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(data), size=(resamples, len(data)))
    means = data[picks].mean(axis=1)
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return Interval(float(data.mean()), float(low), float(high))


def paired_difference(
    treated: Sequence[float], control: Sequence[float], resamples: int = 2000, seed: int = 0
) -> Interval:
    """Mean of treated - control per example, with a bootstrap interval over examples."""
    if len(treated) != len(control):
        raise ValueError("paired scores need the same examples on both sides")
    diffs = np.asarray(treated, dtype=np.float64) - np.asarray(control, dtype=np.float64)
    return bootstrap_mean(diffs.tolist(), resamples=resamples, seed=seed)
