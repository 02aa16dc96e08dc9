"""Input drift: the population stability index (PSI) of live traffic against the training data.

The reference stores, per feature, bin edges (training quantiles for numeric features, one bin per
category for categoricals) and the training share of each bin. `DriftWindow` keeps the bin of
each feature for the last `size` rows in a ring buffer with running counts. Binning costs about
the same for 1 row as for 500 (numpy call overhead), so observed rows wait in a pending list and
are binned in bulk when enough have gathered or when the PSI is read (at scrape time): the
per-request cost is an append.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from .features import FEATURES, CategoricalFeature

# Bins empty on one side would make PSI infinite; clamping shares at this floor is the usual fix.
SHARE_FLOOR = 1e-4


def psi(actual_share: np.ndarray, expected_share: np.ndarray) -> float:
    """PSI = sum((a - e) * ln(a / e)) over bins; 0.1 is a moderate, 0.25 a major shift."""
    actual = np.clip(np.asarray(actual_share, dtype=float), SHARE_FLOOR, None)
    expected = np.clip(np.asarray(expected_share, dtype=float), SHARE_FLOOR, None)
    actual, expected = actual / actual.sum(), expected / expected.sum()
    return float(np.sum((actual - expected) * np.log(actual / expected)))


@dataclass(frozen=True)
class FeatureReference:
    name: str
    inner_edges: tuple[float, ...]  # numeric: bin i is [edge[i-1], edge[i]); empty: categorical
    shares: tuple[float, ...]

    @property
    def n_bins(self) -> int:
        return len(self.shares)

    def bin_of(self, values: np.ndarray) -> np.ndarray:
        if not self.inner_edges:  # categorical: the value is the category index
            return np.clip(values.astype(np.int64), 0, self.n_bins - 1)
        return np.searchsorted(np.asarray(self.inner_edges), values, side="right")


def build_reference(features: np.ndarray, n_bins: int = 10) -> list[FeatureReference]:
    """Quantile bins of each numeric column, category shares of each categorical one."""
    references = []
    for column, feature in enumerate(FEATURES):
        values = features[:, column]
        if isinstance(feature, CategoricalFeature):
            edges: tuple[float, ...] = ()
            counts = np.bincount(values.astype(np.int64), minlength=len(feature.categories))
        else:
            quantiles = np.quantile(values, np.linspace(0, 1, n_bins + 1)[1:-1])
            edges = tuple(float(q) for q in np.unique(quantiles))  # ties collapse bins
            counts = np.bincount(
                np.searchsorted(np.asarray(edges), values, side="right"), minlength=len(edges) + 1
            )
        shares = tuple(float(c) for c in counts / counts.sum())
        references.append(FeatureReference(feature.name, edges, shares))
    return references


def reference_to_dict(references: list[FeatureReference]) -> dict[str, Any]:
    return {
        r.name: {"inner_edges": list(r.inner_edges), "shares": list(r.shares)} for r in references
    }


def reference_from_dict(data: dict[str, Any]) -> list[FeatureReference]:
    return [
        FeatureReference(
            feature.name,
            tuple(data[feature.name]["inner_edges"]),
            tuple(data[feature.name]["shares"]),
        )
        for feature in FEATURES
    ]


class DriftWindow:
    """The bins of the last `size` rows seen, with running per-bin counts for each feature."""

    def __init__(
        self, references: list[FeatureReference], size: int, flush_rows: int = 512
    ) -> None:
        if size <= 0:
            raise ValueError(f"drift window size must be positive, got {size}")
        self.references = references
        self.size = size
        self._max_bins = max(r.n_bins for r in references)
        # One flat counter: feature f, bin b lives at f * max_bins + b.
        self._offsets = np.arange(len(references), dtype=np.int64) * self._max_bins
        self._counts = np.zeros(len(references) * self._max_bins, dtype=np.int64)
        self._ring = np.full((size, len(references)), -1, dtype=np.int64)  # -1: empty slot
        self._next = 0
        self._filled = 0
        self._pending: list[np.ndarray] = []
        self._pending_rows = 0
        self._flush_rows = flush_rows
        self._lock = threading.Lock()  # the metrics port scrapes from another thread

    @property
    def rows(self) -> int:
        with self._lock:
            self._flush()
            return self._filled

    def observe(self, features: np.ndarray) -> None:
        """Add rows (schema order); the oldest rows beyond `size` leave the window."""
        with self._lock:
            self._pending.append(features)
            self._pending_rows += len(features)
            if self._pending_rows >= self._flush_rows:
                self._flush()

    def _flush(self) -> None:
        """Bin the pending rows into the ring buffer (call with the lock held)."""
        if not self._pending:
            return
        features = np.concatenate(self._pending)[-self.size :]
        self._pending.clear()
        self._pending_rows = 0
        bins = np.column_stack(
            [ref.bin_of(features[:, i]) for i, ref in enumerate(self.references)]
        )
        slots = (self._next + np.arange(len(features))) % self.size
        evicted = self._ring[slots]
        evicted = evicted[evicted[:, 0] >= 0]
        if len(evicted):
            self._counts -= self._bin_counts(evicted)
        self._ring[slots] = bins
        self._counts += self._bin_counts(bins)
        self._next = int((self._next + len(features)) % self.size)
        self._filled = min(self.size, self._filled + len(features))

    def _bin_counts(self, bins: np.ndarray) -> np.ndarray:
        return np.bincount((bins + self._offsets).ravel(), minlength=self._counts.size)

    def psi_by_feature(self) -> dict[str, float]:
        with self._lock:
            self._flush()
            counts = self._counts.copy()
            rows = self._filled
        if rows == 0:
            return {}
        result = {}
        for i, ref in enumerate(self.references):
            start = i * self._max_bins
            window_share = counts[start : start + ref.n_bins] / rows
            result[ref.name] = psi(window_share, np.asarray(ref.shares))
        return result
