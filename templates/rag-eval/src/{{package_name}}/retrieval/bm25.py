"""BM25 over chunks with bm25s (sparse matrices, fast to build and to query).

k1, b and the analyzer come from the retriever's configuration (RetrieverSpec); bm25s keeps k1
and b with its saved index, the manifest keeps the analyzer.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

from ..errors import InputError
from .analyzer import DEFAULT_ANALYZER, Analyzer
from .base import Hits, top_k_per_row

# About 16 MB of float32 scores per batch of queries.
SCORE_CELLS = 1 << 22


class BM25Retriever:
    kind = "bm25"

    def __init__(self, model: bm25s.BM25, analyzer: Analyzer = DEFAULT_ANALYZER) -> None:
        self.model, self.analyzer = model, analyzer
        self._vocabulary: dict[str, int] = dict(model.vocab_dict)
        # Where each term's postings begin in bm25s's index arrays (a list: fast to index).
        self._postings_start: list[int] = model.scores["indptr"].tolist()

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
        terms = [
            [self._vocabulary[t] for t in self.analyzer(q) if t in self._vocabulary]
            for q in queries
        ]
        # Batches of queries whose dense score matrix stays near SCORE_CELLS floats.
        batch = max(1, SCORE_CELLS // self.model.scores["num_docs"])
        results: list[Hits] = []
        for start in range(0, len(terms), batch):
            scores = self._scores(terms[start : start + batch])
            # A chunk sharing no term with the query scores 0: it was not retrieved.
            results += top_k_per_row(scores, k, keep_zero=False)
        return results

    def _scores(self, queries: Sequence[Sequence[int]]) -> npt.NDArray[np.float32]:
        """bm25s's scores (its get_scores) for many queries: a (queries x chunks) matrix.

        bm25s keeps each term's precomputed weight for every chunk it occurs in (its postings);
        a query's score for a chunk is the sum of its terms' weights there. add.at adds in the
        order given, so each sum runs over the terms in the query's order, in float32, as
        get_scores does: every score is bit for bit bm25s's, with one call per query instead of
        one per term.
        """
        index, starts = self.model.scores, self._postings_start
        scores = np.zeros((len(queries), index["num_docs"]), dtype=index["data"].dtype)
        for row, terms in zip(scores, queries, strict=True):
            if terms:
                postings = [slice(starts[t], starts[t + 1]) for t in terms]
                np.add.at(
                    row,
                    np.concatenate([index["indices"][p] for p in postings]),
                    np.concatenate([index["data"][p] for p in postings]),
                )
        return scores

    def save(self, directory: Path) -> None:
        self.model.save(str(directory / "bm25"), show_progress=False)

    @classmethod
    def load(cls, directory: Path, analyzer: Analyzer = DEFAULT_ANALYZER) -> BM25Retriever:
        return cls(bm25s.BM25.load(str(directory / "bm25"), show_progress=False), analyzer)
