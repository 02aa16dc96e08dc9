"""The retriever interface: ranked chunk positions and scores for each query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Hits:
    """One query's results: positions into the indexed chunk list, best first."""

    positions: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float64]

    @classmethod
    def empty(cls) -> Hits:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))

    def __len__(self) -> int:
        return int(self.positions.size)


class Retriever(Protocol):
    kind: str

    def search(self, queries: Sequence[str], k: int) -> list[Hits]:
        """The k best chunks for each query (fewer when fewer match)."""
        ...

    def save(self, directory: Path) -> None: ...


def top_k(scores: npt.NDArray[np.floating], k: int, keep_zero: bool = True) -> Hits:
    """The k highest scores, ties broken by position (lower first), so results are reproducible."""
    candidates = np.arange(scores.size) if keep_zero else np.flatnonzero(scores > 0)
    if k < candidates.size:
        # argpartition narrows to the k best plus every score tied with the k-th; then sort those.
        kth = np.partition(scores[candidates], candidates.size - k)[candidates.size - k]
        candidates = candidates[scores[candidates] >= kth]
    order = np.lexsort((candidates, -scores[candidates]))[:k]
    chosen = candidates[order]
    return Hits(chosen.astype(np.int64), scores[chosen].astype(np.float64))


def top_k_per_row(scores: npt.NDArray[np.floating], k: int, keep_zero: bool = True) -> list[Hits]:
    """`top_k` of each row of a (queries x chunks) matrix: the same selection and tie rule, in a
    few passes over the whole matrix instead of a Python loop over its rows."""
    n_rows, n_columns = scores.shape
    if n_rows == 0:
        return []
    keep = np.ones(scores.shape, dtype=bool) if keep_zero else scores > 0
    if k < n_columns:
        # A row's k-th highest score is at least the k-th highest of its blocks' maxima (k blocks
        # each hold a score that high), so scores under that bound cannot make the top k. The
        # bound needs a partition of ~8k block maxima per row, not of the whole row.
        starts = np.arange(0, n_columns, max(1, n_columns // (8 * k)))
        maxima = np.maximum.reduceat(scores, starts, axis=1)
        bound = np.partition(maxima, starts.size - k, axis=1)[:, starts.size - k]
        keep &= scores >= bound[:, None]
    rows, positions = np.divmod(np.flatnonzero(keep), n_columns)
    values = scores[rows, positions]
    # By row, then score (highest first); lexsort is stable and flatnonzero lists each row's
    # positions in ascending order, so tied scores keep the lower position first.
    order = np.lexsort((-values, rows))
    rows, positions, values = rows[order], positions[order], values[order]
    counts = np.bincount(rows, minlength=n_rows)
    rank_in_row = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    best = rank_in_row < k
    bounds = np.cumsum(np.minimum(counts, k))[:-1]
    return [
        Hits(row_positions, row_scores)
        for row_positions, row_scores in zip(
            np.split(positions[best].astype(np.int64), bounds),
            np.split(values[best].astype(np.float64), bounds),
            strict=True,
        )
    ]
