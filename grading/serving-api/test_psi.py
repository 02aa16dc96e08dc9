"""Exercise: the population stability index (core/drift.py, `psi`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from probe._inputs import CLAMP_ACTUAL, CLAMP_EXPECTED, HAND_ACTUAL, HAND_EXPECTED

Outputs = Callable[[str], Any]


def test_identical_distributions_have_zero_psi(outputs: Outputs) -> None:
    """The same bin shares on both sides give a PSI of 0."""
    assert outputs("psi.identical") == pytest.approx(0.0, abs=1e-12)


def test_hand_computed_shift(outputs: Outputs) -> None:
    """PSI is the sum over bins of (actual - expected) * ln(actual / expected)."""
    pairs = zip(HAND_ACTUAL, HAND_EXPECTED, strict=True)
    by_hand = sum((a - e) * math.log(a / e) for a, e in pairs)
    assert outputs("psi.hand_computed") == pytest.approx(by_hand, rel=1e-9)


def test_symmetric_in_its_two_arguments(outputs: Outputs) -> None:
    """Swapping live and training shares gives the same PSI (each term is symmetric)."""
    forward, backward = outputs("psi.symmetric")
    assert forward == pytest.approx(backward, rel=1e-9)


def test_empty_bin_gives_a_large_finite_value(outputs: Outputs) -> None:
    """A bin empty on one side is clamped at SHARE_FLOOR: the PSI is large but finite."""
    value = outputs("psi.empty_bin")
    assert math.isfinite(value) and value > 1.0


def test_clamped_and_renormalised_like_the_docstring_says(outputs: Outputs) -> None:
    """Both sides are clamped at SHARE_FLOOR and renormalised before the sum."""
    out = outputs("psi.clamped")
    a = np.clip(np.array(CLAMP_ACTUAL), out["share_floor"], None)
    e = np.clip(np.array(CLAMP_EXPECTED), out["share_floor"], None)
    a, e = a / a.sum(), e / e.sum()
    expected_value = float(np.sum((a - e) * np.log(a / e)))
    assert out["value"] == pytest.approx(expected_value, rel=1e-9)


def test_moderate_shift_lands_in_the_usual_band(outputs: Outputs) -> None:
    """A normal shifted by half a standard deviation scores a PSI between 0.1 and 0.5."""
    assert 0.1 < outputs("psi.moderate_shift") < 0.5
