"""Nearest-neighbour search over unit vectors: exact in-process (default) or Qdrant (scale-out).

Both answer the same question, cosine similarity top-k, so an experiment run on the exact index
carries over to Qdrant; tests check that they return the same neighbours.
"""

from __future__ import annotations

import atexit
import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..errors import InputError, MissingExtraError
from .base import Hits, top_k

Vectors = npt.NDArray[np.float32]


class VectorIndex(Protocol):
    backend: str

    def search(self, queries: Vectors, k: int) -> list[Hits]: ...

    def save(self, directory: Path) -> None: ...


class ExactVectorIndex:
    """Brute-force inner product over normalised vectors: exact, and fast to a few 100k chunks."""

    backend = "exact"

    def __init__(self, vectors: Vectors) -> None:
        if vectors.ndim != 2 or vectors.shape[0] == 0:
            raise InputError("vector index: expected a non-empty 2-D array of embeddings")
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    def search(self, queries: Vectors, k: int) -> list[Hits]:
        scores = queries.astype(np.float32) @ self.vectors.T
        return [top_k(row.astype(np.float64), k) for row in scores]

    def save(self, directory: Path) -> None:
        np.save(directory / "vectors.npy", self.vectors)

    @classmethod
    def load(cls, directory: Path) -> ExactVectorIndex:
        return cls(np.load(directory / "vectors.npy"))


class QdrantVectorIndex:
    """The same search on Qdrant: local mode (a folder or memory) here, a server in production.

    `location` is ":memory:", a folder path (the client's embedded mode), or an http(s) URL.
    """

    backend = "qdrant"

    def __init__(self, location: str, collection: str, client: Any | None = None) -> None:
        self.location, self.collection = location, collection
        self.client = client or _qdrant_client(location)

    @classmethod
    def create(cls, vectors: Vectors, location: str, collection: str) -> QdrantVectorIndex:
        from qdrant_client import models

        index = cls(location, collection)
        if index.client.collection_exists(collection):
            index.client.delete_collection(collection)
        index.client.create_collection(
            collection,
            vectors_config=models.VectorParams(
                size=vectors.shape[1], distance=models.Distance.COSINE
            ),
        )
        batch = 256
        for first in range(0, vectors.shape[0], batch):
            block = vectors[first : first + batch]
            index.client.upload_collection(
                collection, vectors=block.tolist(), ids=list(range(first, first + len(block)))
            )
        return index

    def search(self, queries: Vectors, k: int) -> list[Hits]:
        from qdrant_client import models

        requests = [models.QueryRequest(query=q.tolist(), limit=k) for q in queries]
        responses = self.client.query_batch_points(self.collection, requests=requests)
        results = []
        for response in responses:
            # Same tie rule as the exact index: score descending, then position ascending.
            points = sorted(response.points, key=lambda p: (-p.score, int(p.id)))
            results.append(
                Hits(
                    np.asarray([int(p.id) for p in points], dtype=np.int64),
                    np.asarray([p.score for p in points], dtype=np.float64),
                )
            )
        return results

    def save(self, directory: Path) -> None:
        # The vectors live in Qdrant; the index folder records where.
        if self.location == ":memory:":
            raise InputError("an in-memory Qdrant index cannot be saved: set a folder or URL")
        record = {"location": self.location, "collection": self.collection}
        (directory / "qdrant.json").write_text(json.dumps(record))

    @classmethod
    def load(cls, directory: Path) -> QdrantVectorIndex:
        record = json.loads((directory / "qdrant.json").read_text())
        return cls(record["location"], record["collection"])

    def close(self) -> None:
        """Release the client (and a local folder's lock) for every index at this location."""
        if _CLIENTS.get(self.location) is self.client:
            del _CLIENTS[self.location]
        self.client.close()


# Qdrant's local mode locks its folder to one client per process, so every index at the same
# location shares one client (a grid builds one collection per chunking strategy).
_CLIENTS: dict[str, Any] = {}


def _qdrant_client(location: str) -> Any:
    if location not in _CLIENTS:
        if not _CLIENTS:
            # Close before interpreter shutdown: the client's own __del__ runs too late for that.
            atexit.register(_close_all)
        _CLIENTS[location] = _open_client(location)
    return _CLIENTS[location]


def _close_all() -> None:
    while _CLIENTS:
        _CLIENTS.popitem()[1].close()


def _open_client(location: str) -> Any:
    try:
        from qdrant_client import QdrantClient
    except ImportError:
        raise MissingExtraError(
            "the Qdrant backend needs the 'qdrant' extra (qdrant-client)"
        ) from None
    if location == ":memory:":
        return QdrantClient(location=":memory:")
    if location.startswith(("http://", "https://")):
        return QdrantClient(url=location)
    return QdrantClient(path=location)
