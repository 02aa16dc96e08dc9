"""What a chunk is, the chunker interface, and the registry of strategies.

Every chunk keeps its character offsets into the source text, and `text == source[start:end]`
holds for every chunker (tests check it): answers can cite the exact passage they used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..data.types import Document
from ..errors import InputError


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    index: int  # position within its document
    start: int  # character offsets into the document text
    end: int
    text: str

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}#{self.index}"


class Chunker(Protocol):
    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans (start, end) of the chunks of `text`, in order."""
        ...


Strategy = Literal["document", "fixed", "sentence", "markdown"]


class ChunkerSpec(BaseModel):
    """A chunking strategy and its parameters, as written in an experiment config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: Strategy
    size: int = Field(default=512, gt=0, description="maximum chunk size, in `unit`s")
    overlap: int = Field(default=0, ge=0, description="overlap between neighbours, in `unit`s")
    unit: Literal["chars", "tokens"] = "chars"

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkerSpec:
        if self.overlap >= self.size:
            raise ValueError(f"overlap ({self.overlap}) must be smaller than size ({self.size})")
        return self

    @property
    def name(self) -> str:
        if self.strategy == "document":
            return "document"
        if self.strategy == "fixed":
            return f"fixed-{self.unit}-{self.size}-{self.overlap}"
        if self.strategy == "sentence":
            return f"sentence-{self.size}-{self.overlap}"
        return f"markdown-{self.size}"


def make_chunker(spec: ChunkerSpec) -> Chunker:
    from .fixed import FixedSizeChunker
    from .markdown import MarkdownChunker
    from .sentences import SentenceChunker, WholeDocument

    builders: dict[str, Callable[[], Chunker]] = {
        "document": WholeDocument,
        "fixed": lambda: FixedSizeChunker(spec.size, spec.overlap, spec.unit),
        "sentence": lambda: SentenceChunker(spec.size, spec.overlap),
        "markdown": lambda: MarkdownChunker(spec.size),
    }
    return builders[spec.strategy]()


def chunk_corpus(documents: Sequence[Document], spec: ChunkerSpec) -> list[Chunk]:
    """Chunks of every document, in corpus order."""
    if not documents:
        raise InputError("corpus: no documents to chunk")
    chunker = make_chunker(spec)
    chunks: list[Chunk] = []
    for doc in documents:
        for index, (start, end) in enumerate(chunker.spans(doc.text)):
            chunks.append(Chunk(doc.doc_id, index, start, end, doc.text[start:end]))
    return chunks
