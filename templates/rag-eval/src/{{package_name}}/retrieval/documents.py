"""From chunk rankings to document rankings, the level relevance is judged at.

Rule (MaxP): a document scores as its best chunk, and documents keep the order of their best
chunks. Every chunking strategy thus produces a document run of the same shape, so strategies
are compared on the same judgements; a document with many mediocre chunks gains nothing over
one with a single good chunk. Retrieval fetches `chunk_depth` chunks so that `depth` distinct
documents usually survive the merge.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..chunking import Chunk
from .base import Hits


def best_chunk_per_document(hits: Hits, chunks: Sequence[Chunk], depth: int) -> dict[str, float]:
    ranked: dict[str, float] = {}
    for position, score in zip(hits.positions.tolist(), hits.scores.tolist(), strict=True):
        doc_id = chunks[position].doc_id
        if doc_id not in ranked:
            ranked[doc_id] = score
            if len(ranked) == depth:
                break
    return ranked
