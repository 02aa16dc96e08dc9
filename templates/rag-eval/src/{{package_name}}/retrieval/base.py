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
