"""The hidden inputs both halves share: the probes compute the student's PSI on them in the
sandbox, the checks recompute the expected values on them outside it."""

from __future__ import annotations

import numpy as np

SHARES = [0.1, 0.2, 0.3, 0.4]
HAND_ACTUAL, HAND_EXPECTED = [0.5, 0.3, 0.2], [0.3, 0.3, 0.4]
EMPTY_ACTUAL, EMPTY_EXPECTED = [0.0, 0.5, 0.5], [0.4, 0.3, 0.3]
CLAMP_ACTUAL, CLAMP_EXPECTED = [0.0, 0.2, 0.8], [0.5, 0.5, 0.0]


def symmetric_pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.dirichlet(np.ones(10)), rng.dirichlet(np.ones(10))


def shifted_shares() -> tuple[np.ndarray, np.ndarray]:
    """Bin shares of a normal shifted by half a standard deviation, and of the training one."""
    rng = np.random.default_rng(0)
    train, live = rng.normal(0, 1, 50_000), rng.normal(0.5, 1, 50_000)
    edges = np.quantile(train, np.linspace(0, 1, 11)[1:-1])

    def share(x: np.ndarray) -> np.ndarray:
        return np.bincount(np.searchsorted(edges, x), minlength=10) / x.size

    return share(live), share(train)
