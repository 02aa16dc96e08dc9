"""Dense retrieval: embed the query, search the vector index."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from .base import Hits
from .embeddings import Embedder
from .vector_index import VectorIndex


class DenseRetriever:
    kind = "dense"

    def __init__(self, embedder: Embedder, index: VectorIndex) -> None:
        self.embedder, self.index = embedder, index

    def search(self, queries: Sequence[str], k: int) -> list[Hits]:
        if k <= 0:
            raise InputError(f"k = {k}: the number of results must be > 0")
        if not queries:
            return []
        return self.index.search(self.embedder.encode(queries), k)

    def save(self, directory: Path) -> None:
        self.index.save(directory)
