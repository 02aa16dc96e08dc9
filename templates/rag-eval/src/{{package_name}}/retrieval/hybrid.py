"""Hybrid retrieval by reciprocal rank fusion (Cormack et al., 2009).

RRF adds 1 / (c + rank) over the input rankings. It needs no score calibration between BM25 and
cosine similarity, which live on unrelated scales, and c = 60 is the value the paper found robust.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from .base import Hits, Retriever, top_k


def reciprocal_rank_fusion(rankings: Sequence[Hits], k: int, c: int = 60) -> Hits:
    fused: dict[int, float] = {}
    for hits in rankings:
        for rank, position in enumerate(hits.positions.tolist(), start=1):
            fused[position] = fused.get(position, 0.0) + 1.0 / (c + rank)
    if not fused:
        return Hits.empty()
    positions = np.fromiter(fused, dtype=np.int64, count=len(fused))
    scores = np.fromiter(fused.values(), dtype=np.float64, count=len(fused))
    best = top_k(scores, k)
    return Hits(positions[best.positions], best.scores)


class HybridRetriever:
    kind = "hybrid"

    def __init__(self, retrievers: Sequence[Retriever], depth: int = 100, c: int = 60) -> None:
        self.retrievers, self.depth, self.c = list(retrievers), depth, c

    def search(self, queries: Sequence[str], k: int) -> list[Hits]:
        if k <= 0:
            raise InputError(f"k = {k}: the number of results must be > 0")
        depth = max(k, self.depth)
        per_retriever = [r.search(queries, depth) for r in self.retrievers]
        return [
            reciprocal_rank_fusion([hits[i] for hits in per_retriever], k, self.c)
            for i in range(len(queries))
        ]

    def save(self, directory: Path) -> None:
        for retriever in self.retrievers:
            retriever.save(directory)
