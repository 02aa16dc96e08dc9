"""Span helpers the chunkers share: trimming whitespace and packing small spans."""

from __future__ import annotations

import re

Span = tuple[int, int]
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


def strip_span(text: str, start: int, end: int) -> Span | None:
    """Shrink a span to exclude surrounding whitespace; None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences (and paragraphs without end punctuation) of text[start:end]."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in SENTENCE_END.finditer(text, start, end):
        span = strip_span(text, cursor, match.start())
        if span:
            spans.append(span)
        cursor = match.end()
    span = strip_span(text, cursor, end)
    if span:
        spans.append(span)
    return spans


def pack(spans: list[Span], max_chars: int, overlap: int = 0) -> list[Span]:
    """Merge consecutive spans while the merged span fits in max_chars.

    A span longer than max_chars stays whole here (the caller splits it further). With
    overlap = n, each packed span after the first starts with the last n units of the previous.
    """
    packed: list[Span] = []
    i = 0
    while i < len(spans):
        j = i + 1
        while j < len(spans) and spans[j][1] - spans[i][0] <= max_chars:
            j += 1
        packed.append((spans[i][0], spans[j - 1][1]))
        if j >= len(spans):
            break
        i = max(j - overlap, i + 1)
    return packed
