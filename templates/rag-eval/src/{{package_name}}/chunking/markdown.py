"""Recursive chunks by markdown structure: sections, then paragraphs, then sentences.

A section that fits in `max_chars` is one chunk, heading included, so a chunk carries its own
context. A longer one is split at blank lines, then at sentence ends, then at `max_chars`,
packing the pieces back together up to `max_chars` at each level.
"""

from __future__ import annotations

import itertools
import re

from .fixed import FixedSizeChunker
from .spans import Span, pack, sentence_spans, strip_span

HEADING = re.compile(r"^#{1,6} ", re.MULTILINE)
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


class MarkdownChunker:
    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars

    def spans(self, text: str) -> list[Span]:
        starts = [0, *(m.start() for m in HEADING.finditer(text) if m.start() > 0), len(text)]
        spans: list[Span] = []
        for start, end in itertools.pairwise(starts):
            section = strip_span(text, start, end)
            if section:
                spans.extend(self._split(text, section, level=0))
        return spans

    def _split(self, text: str, span: Span, level: int) -> list[Span]:
        start, end = span
        if end - start <= self.max_chars:
            return [span]
        if level == 0:
            pieces = _split_at(text, start, end, PARAGRAPH_BREAK)
        elif level == 1:
            pieces = sentence_spans(text, start, end)
        else:
            window = FixedSizeChunker(self.max_chars, 0, "chars")
            return [(start + a, start + b) for a, b in window.spans(text[start:end])]
        if len(pieces) <= 1:
            return self._split(text, span, level + 1)
        refined = [part for piece in pieces for part in self._split(text, piece, level + 1)]
        return pack(refined, self.max_chars)


def _split_at(text: str, start: int, end: int, separator: re.Pattern[str]) -> list[Span]:
    pieces: list[Span] = []
    cursor = start
    for match in separator.finditer(text, start, end):
        piece = strip_span(text, cursor, match.start())
        if piece:
            pieces.append(piece)
        cursor = match.end()
    last = strip_span(text, cursor, end)
    if last:
        pieces.append(last)
    return pieces
