"""Fixed-size windows with overlap, measured in characters or in whitespace tokens."""

from __future__ import annotations

import re
from typing import Literal

from .spans import Span, strip_span

TOKEN = re.compile(r"\S+")


class FixedSizeChunker:
    def __init__(self, size: int, overlap: int, unit: Literal["chars", "tokens"]) -> None:
        if not 0 <= overlap < size:
            raise ValueError(f"overlap must be in [0, size): got size={size}, overlap={overlap}")
        self.size, self.overlap, self.unit = size, overlap, unit

    def spans(self, text: str) -> list[Span]:
        return self._token_spans(text) if self.unit == "tokens" else self._char_spans(text)

    def _char_spans(self, text: str) -> list[Span]:
        """Windows of `size` characters; a window ends at a space when one is in its second half,
        so words are not cut in two."""
        spans: list[Span] = []
        start, n = 0, len(text)
        while start < n:
            end = min(start + self.size, n)
            if end < n:
                space = text.rfind(" ", start + self.size // 2, end)
                end = space if space > start else end
            span = strip_span(text, start, end)
            if span:
                spans.append(span)
            if end >= n:
                break
            start = max(end - self.overlap, start + 1)
            if self.overlap and not text[start - 1].isspace():
                # An overlapping window starts at the next word, not inside one.
                space = text.find(" ", start, end)
                start = space + 1 if space != -1 else start
        return spans

    def _token_spans(self, text: str) -> list[Span]:
        tokens = [m.span() for m in TOKEN.finditer(text)]
        step = self.size - self.overlap
        spans: list[Span] = []
        for first in range(0, len(tokens), step):
            window = tokens[first : first + self.size]
            spans.append((window[0][0], window[-1][1]))
            if first + self.size >= len(tokens):
                break
        return spans
