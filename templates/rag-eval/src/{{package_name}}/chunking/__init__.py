"""Chunking strategies behind one registry, so an experiment names them in its config."""

from .base import Chunk, Chunker, ChunkerSpec, chunk_corpus, make_chunker

__all__ = ["Chunk", "Chunker", "ChunkerSpec", "chunk_corpus", "make_chunker"]
