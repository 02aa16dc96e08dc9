"""A chunked corpus plus a retriever: built from specs, searched, saved to and loaded from disk.

Index folder layout: manifest.json (what was built, with which settings), chunks.jsonl (the
chunks with their offsets), and the retriever's own files (bm25/, vectors.npy or qdrant.json).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..chunking import Chunk, ChunkerSpec, chunk_corpus
from ..data.types import Document, Run
from ..errors import InputError
from .analyzer import STEMMERS, STOPWORD_LISTS, Analyzer
from .base import Hits, Retriever
from .bm25 import BM25Retriever
from .documents import best_chunk_per_document

INDEX_FORMAT = 1


class RetrieverSpec(BaseModel):
    """A retriever's configuration. BM25's parameters (k1, b, stemmer, stopwords) apply to
    `bm25` and to the BM25 half of `hybrid`; a non-default value shows in the name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["bm25", "dense", "hybrid"] = "bm25"
    backend: Literal["exact", "qdrant"] = "exact"
    k1: float = Field(default=1.2, ge=0, description="BM25 term-frequency saturation")
    b: float = Field(default=0.75, ge=0, le=1, description="BM25 document-length normalisation")
    stemmer: str = Field(default="english", description=f"one of {', '.join(STEMMERS)}")
    stopwords: str = Field(default="english", description=f"one of {', '.join(STOPWORD_LISTS)}")

    @field_validator("stemmer")
    @classmethod
    def _known_stemmer(cls, value: str) -> str:
        if value not in STEMMERS:
            raise ValueError(f"unknown stemmer {value!r}; expected one of {', '.join(STEMMERS)}")
        return value

    @field_validator("stopwords")
    @classmethod
    def _known_stopwords(cls, value: str) -> str:
        if value not in STOPWORD_LISTS:
            raise ValueError(
                f"unknown stopword list {value!r}; expected one of {list(STOPWORD_LISTS)}"
            )
        return value

    @property
    def analyzer(self) -> Analyzer:
        return Analyzer(self.stemmer, self.stopwords)

    @property
    def name(self) -> str:
        name = (
            self.kind
            if self.backend == "exact" or self.kind == "bm25"
            else f"{self.kind}-{self.backend}"
        )
        if self.kind == "dense":
            return name
        defaults = RetrieverSpec.model_fields
        for field in ("k1", "b", "stemmer", "stopwords"):
            value = getattr(self, field)
            if value != defaults[field].default:
                name += f"-{field}={value:g}" if isinstance(value, float) else f"-{field}={value}"
        return name

    def bm25(self, texts: Sequence[str]) -> BM25Retriever:
        return BM25Retriever.build(texts, k1=self.k1, b=self.b, analyzer=self.analyzer)


@dataclass(frozen=True)
class DenseOptions:
    """Where dense retrieval gets its model and stores its vectors."""

    model: str
    cache_dir: Path | None = None
    batch_size: int = 32
    qdrant_location: str = ":memory:"


def search_text(chunk: Chunk, titles: Mapping[str, str]) -> str:
    """What gets indexed: the document title, then the chunk, so a chunk keeps its context."""
    title = titles.get(chunk.doc_id, "")
    return f"{title}\n{chunk.text}" if title else chunk.text


class RetrievalSystem:
    def __init__(
        self,
        chunker: ChunkerSpec,
        retriever_spec: RetrieverSpec,
        chunks: Sequence[Chunk],
        retriever: Retriever,
        titles: Mapping[str, str],
    ) -> None:
        self.chunker, self.retriever_spec = chunker, retriever_spec
        self.chunks, self.retriever = list(chunks), retriever
        self.titles = dict(titles)

    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        chunker: ChunkerSpec,
        retriever_spec: RetrieverSpec,
        dense: DenseOptions | None = None,
    ) -> RetrievalSystem:
        chunks = chunk_corpus(documents, chunker)
        titles = {doc.doc_id: doc.title for doc in documents}
        texts = [search_text(chunk, titles) for chunk in chunks]
        retriever = _build_retriever(retriever_spec, texts, dense, collection=chunker.name)
        return cls(chunker, retriever_spec, chunks, retriever, titles)

    def search_chunks(self, queries: Sequence[str], k: int) -> list[Hits]:
        if k <= 0:
            raise InputError(f"k = {k}: the number of results must be > 0")
        return self.retriever.search(queries, k)

    def search_documents(self, queries: Mapping[str, str], depth: int) -> Run:
        """A document run (MaxP over chunks) for every query."""
        if depth <= 0:
            raise InputError(f"depth = {depth}: the number of documents must be > 0")
        query_ids = list(queries)
        chunk_depth = min(len(self.chunks), depth * 5)
        hits = self.search_chunks([queries[q] for q in query_ids], chunk_depth)
        return {
            q: best_chunk_per_document(h, self.chunks, depth)
            for q, h in zip(query_ids, hits, strict=True)
        }

    def save(self, directory: Path, dense: DenseOptions | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        manifest = {
            "format": INDEX_FORMAT,
            "chunker": self.chunker.model_dump(),
            "retriever": self.retriever_spec.model_dump(),
            "dense_model": dense.model if dense else None,
        }
        (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        with (directory / "chunks.jsonl").open("w", encoding="utf-8") as out:
            for chunk in self.chunks:
                out.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
        (directory / "titles.json").write_text(json.dumps(self.titles, ensure_ascii=False))
        self.retriever.save(directory)

    @classmethod
    def load(cls, directory: Path, dense: DenseOptions | None = None) -> RetrievalSystem:
        manifest_path = directory / "manifest.json"
        if not manifest_path.is_file():
            raise InputError(
                f"{directory}: not an index folder (no manifest.json); run `index` first"
            )
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != INDEX_FORMAT:
            raise InputError(
                f"{manifest_path}: index format {manifest.get('format')}, "
                f"expected {INDEX_FORMAT}; rebuild it"
            )
        chunker = ChunkerSpec.model_validate(manifest["chunker"])
        spec = RetrieverSpec.model_validate(manifest["retriever"])
        with (directory / "chunks.jsonl").open(encoding="utf-8") as lines:
            chunks = [Chunk(**json.loads(line)) for line in lines]
        if spec.kind != "bm25":
            # Queries must be embedded by the model that embedded the chunks: the index decides.
            model = manifest.get("dense_model")
            if not model:
                raise InputError(
                    f"{manifest_path}: a {spec.kind} index without its embedding model"
                )
            dense = replace(dense, model=model) if dense else DenseOptions(model=model)
        titles = json.loads((directory / "titles.json").read_text(encoding="utf-8"))
        return cls(chunker, spec, chunks, _load_retriever(spec, directory, dense), titles)


def _build_retriever(
    spec: RetrieverSpec, texts: Sequence[str], dense: DenseOptions | None, collection: str
) -> Retriever:
    if spec.kind == "bm25":
        return spec.bm25(texts)
    if dense is None:
        raise InputError(f"retriever {spec.name!r} needs an embedding model (dense options)")
    from .dense import DenseRetriever
    from .embeddings import Embedder
    from .vector_index import ExactVectorIndex, QdrantVectorIndex, VectorIndex

    embedder = Embedder(dense.model, dense.batch_size, dense.cache_dir)
    vectors = embedder.encode(texts)
    index: VectorIndex
    if spec.backend == "qdrant":
        index = QdrantVectorIndex.create(vectors, dense.qdrant_location, collection)
    else:
        index = ExactVectorIndex(vectors)
    dense_retriever = DenseRetriever(embedder, index)
    if spec.kind == "dense":
        return dense_retriever
    from .hybrid import HybridRetriever

    return HybridRetriever([spec.bm25(texts), dense_retriever])


def _load_retriever(spec: RetrieverSpec, directory: Path, dense: DenseOptions | None) -> Retriever:
    if spec.kind == "bm25":
        return BM25Retriever.load(directory, spec.analyzer)
    assert dense is not None  # load() fills it from the manifest
    from .dense import DenseRetriever
    from .embeddings import Embedder
    from .hybrid import HybridRetriever
    from .vector_index import ExactVectorIndex, QdrantVectorIndex, VectorIndex

    index: VectorIndex
    if spec.backend == "qdrant":
        index = QdrantVectorIndex.load(directory)
    else:
        index = ExactVectorIndex.load(directory)
    dense_retriever = DenseRetriever(Embedder(dense.model, dense.batch_size), index)
    if spec.kind == "dense":
        return dense_retriever
    return HybridRetriever([BM25Retriever.load(directory, spec.analyzer), dense_retriever])
