"""Sentence-aware chunks, and the no-chunking baseline (one chunk per document)."""

from __future__ import annotations

from .spans import Span, pack, sentence_spans, strip_span


class WholeDocument:
    """The baseline: the document is its own chunk."""

    def spans(self, text: str) -> list[Span]:
        span = strip_span(text, 0, len(text))
        return [span] if span else []


class SentenceChunker:
    """Whole sentences packed up to `max_chars`, sharing `overlap` sentences with the previous.

    A single sentence longer than `max_chars` becomes a chunk of its own: cutting it would
    break the one property this strategy exists for.
    """

    def __init__(self, max_chars: int, overlap_sentences: int = 0) -> None:
        self.max_chars = max_chars
        self.overlap_sentences = overlap_sentences

    def spans(self, text: str) -> list[Span]:
        return pack(sentence_spans(text), self.max_chars, self.overlap_sentences)
