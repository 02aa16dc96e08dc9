"""Exercise: the population stability index (core/drift.py, `psi`)."""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pytest


def test_identical_distributions_have_zero_psi(drift: ModuleType) -> None:
    """The same bin shares on both sides give a PSI of 0."""
    shares = np.array([0.1, 0.2, 0.3, 0.4])
    assert drift.psi(shares, shares) == pytest.approx(0.0, abs=1e-12)


def test_hand_computed_shift(drift: ModuleType) -> None:
    """PSI is the sum over bins of (actual - expected) * ln(actual / expected)."""
    actual, expected = np.array([0.5, 0.3, 0.2]), np.array([0.3, 0.3, 0.4])
    by_hand = sum((a - e) * math.log(a / e) for a, e in zip(actual, expected, strict=True))
    assert drift.psi(actual, expected) == pytest.approx(by_hand, rel=1e-9)


def test_symmetric_in_its_two_arguments(drift: ModuleType) -> None:
    """Swapping live and training shares gives the same PSI (each term is symmetric)."""
    rng = np.random.default_rng(7)
    a, e = rng.dirichlet(np.ones(10)), rng.dirichlet(np.ones(10))
    assert drift.psi(a, e) == pytest.approx(drift.psi(e, a), rel=1e-9)


def test_empty_bin_gives_a_large_finite_value(drift: ModuleType) -> None:
    """A bin empty on one side is clamped at SHARE_FLOOR: the PSI is large but finite."""
    value = drift.psi(np.array([0.0, 0.5, 0.5]), np.array([0.4, 0.3, 0.3]))
    assert math.isfinite(value) and value > 1.0


def test_clamped_and_renormalised_like_the_docstring_says(drift: ModuleType) -> None:
    """Both sides are clamped at SHARE_FLOOR and renormalised before the sum."""
    actual, expected = np.array([0.0, 0.2, 0.8]), np.array([0.5, 0.5, 0.0])
    a = np.clip(actual, drift.SHARE_FLOOR, None)
    e = np.clip(expected, drift.SHARE_FLOOR, None)
    a, e = a / a.sum(), e / e.sum()
    expected_value = float(np.sum((a - e) * np.log(a / e)))
    assert drift.psi(actual, expected) == pytest.approx(expected_value, rel=1e-9)


def test_moderate_shift_lands_in_the_usual_band(drift: ModuleType) -> None:
    """A normal shifted by half a standard deviation scores a PSI between 0.1 and 0.5."""
    rng = np.random.default_rng(0)
    train, live = rng.normal(0, 1, 50_000), rng.normal(0.5, 1, 50_000)
    edges = np.quantile(train, np.linspace(0, 1, 11)[1:-1])
    share = lambda x: np.bincount(np.searchsorted(edges, x), minlength=10) / x.size  # noqa: E731
    assert 0.1 < drift.psi(share(live), share(train)) < 0.5
