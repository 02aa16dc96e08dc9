"""BM25 over chunks with bm25s (sparse matrices, fast to build and to query).

k1, b and the analyzer come from the retriever's configuration (RetrieverSpec); bm25s keeps k1
and b with its saved index, the manifest keeps the analyzer.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from ..errors import InputError
from .analyzer import DEFAULT_ANALYZER, Analyzer
from .base import Hits, top_k


class BM25Retriever:
    kind = "bm25"

    def __init__(self, model: bm25s.BM25, analyzer: Analyzer = DEFAULT_ANALYZER) -> None:
        self.model, self.analyzer = model, analyzer
        self._vocabulary: dict[str, int] = dict(model.vocab_dict)

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        k1: float = 1.2,
        b: float = 0.75,
        analyzer: Analyzer = DEFAULT_ANALYZER,
    ) -> BM25Retriever:
        if not texts:
            raise InputError("corpus: cannot build a BM25 index over zero chunks")
        model = bm25s.BM25(k1=k1, b=b)
        model.index([analyzer(text) for text in texts], show_progress=False)
        return cls(model, analyzer)

    def search(self, queries: Sequence[str], k: int) -> list[Hits]:
        if k <= 0:
            raise InputError(f"k = {k}: the number of results must be > 0")
        results = []
        for query in queries:
            terms = [self._vocabulary[t] for t in self.analyzer(query) if t in self._vocabulary]
            if not terms:
                results.append(Hits.empty())
                continue
            scores = np.asarray(self.model.get_scores(terms), dtype=np.float64)
            # A chunk sharing no term with the query scores 0: it was not retrieved.
            results.append(top_k(scores, k, keep_zero=False))
        return results

    def save(self, directory: Path) -> None:
        self.model.save(str(directory / "bm25"), show_progress=False)

    @classmethod
    def load(cls, directory: Path, analyzer: Analyzer = DEFAULT_ANALYZER) -> BM25Retriever:
        return cls(bm25s.BM25.load(str(directory / "bm25"), show_progress=False), analyzer)
