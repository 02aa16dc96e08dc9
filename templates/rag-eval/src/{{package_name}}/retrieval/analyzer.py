"""Text to BM25 terms: lowercase words of 2+ characters, stopwords out, Snowball stems.

The stemmer (any of PyStemmer's algorithms, or "none") and the stopword list ("english" or
"none") are part of a BM25 retriever's configuration; the defaults are English for both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

WORD = re.compile(r"(?u)\b\w\w+\b")
STOPWORD_LISTS: dict[str, frozenset[str]] = {
    "english": frozenset(STOPWORDS_EN),
    "none": frozenset(),
}
STEMMERS: tuple[str, ...] = ("none", *Stemmer.algorithms())


@lru_cache(maxsize=8)
def _stemmer(name: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(name)


@dataclass(frozen=True)
class Analyzer:
    stemmer: str = "english"
    stopwords: str = "english"

    def __post_init__(self) -> None:
        if self.stemmer not in STEMMERS:
            raise ValueError(f"stemmer {self.stemmer!r}: expected one of {', '.join(STEMMERS)}")
        if self.stopwords not in STOPWORD_LISTS:
            raise ValueError(
                f"stopwords {self.stopwords!r}: expected one of {', '.join(STOPWORD_LISTS)}"
            )

    def __call__(self, text: str) -> list[str]:
        stopwords = STOPWORD_LISTS[self.stopwords]
        words = [w for w in WORD.findall(text.lower()) if w not in stopwords]
        if self.stemmer == "none":
            return words
        return list(_stemmer(self.stemmer).stemWords(words))


DEFAULT_ANALYZER = Analyzer()


def analyze(text: str) -> list[str]:
    """The default analyzer (English stopwords and stems): what the extractive answerer uses."""
    return DEFAULT_ANALYZER(text)
