"""Ranking metrics with trec_eval's conventions, computed for all queries at once with numpy.

Conventions (each checked against trec_eval through pytrec_eval in tests/evaluation):

- Ordering: a run is ranked by score, descending; equal scores are ordered by document id,
  descending (trec_eval's rule; the rank column of a run file is ignored). Deterministic, and
  independent of the order in which a retriever happened to emit its results.
- Relevance: a judgement >= `relevance_level` (1) is relevant. nDCG uses the judgement itself as
  the gain (trec_eval's linear gain; negative judgements count as 0), or 2**rel - 1 with
  `gain="exponential"`. The ideal ranking is built from every judged document, retrieved or not.
- Queries: every query in the qrels is evaluated and counted in the mean, as `trec_eval -c` does.
  One the run has no results for scores 0 on every metric; one without a relevant judgement
  scores 0 too (trec_eval's convention). Both are listed in the Evaluation, never hidden. Run
  queries without judgements are ignored (and counted).
- Cutoffs: metric@k looks at the first k results. P@k divides by k even when fewer came back,
  MAP@k divides by all relevant documents (trec_eval's map_cut), Recall@k by all relevant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Literal

import numpy as np
import numpy.typing as npt

from ..data.types import Qrels, Run
from ..errors import InputError

METRIC_NAMES = ("mrr", "ndcg", "recall", "hit", "map", "precision")
Gain = Literal["linear", "exponential"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Metric:
    name: str
    k: int

    def __str__(self) -> str:
        return f"{self.name}@{self.k}"


def parse_metric(text: str) -> Metric:
    """'ndcg@10' -> Metric('ndcg', 10); a clear error for anything else."""
    name, sep, k_text = text.strip().lower().partition("@")
    if not sep or name not in METRIC_NAMES:
        raise InputError(f"metric {text!r}: expected NAME@K with NAME one of {METRIC_NAMES}")
    try:
        k = int(k_text)
    except ValueError:
        raise InputError(f"metric {text!r}: the cutoff k must be an integer") from None
    if k <= 0:
        raise InputError(f"metric {text!r}: the cutoff k must be > 0 (got {k})")
    return Metric(name, k)


@dataclass(frozen=True)
class Evaluation:
    """Per-query scores for each metric, over every judged query, in `query_ids` order."""

    query_ids: tuple[str, ...]
    scores: Mapping[str, FloatArray]
    queries_without_results: tuple[str, ...]
    queries_without_relevant: tuple[str, ...]
    unjudged_run_queries: int

    def mean(self, metric: str) -> float:
        values = self.scores[metric]
        return float(values.mean()) if values.size else 0.0

    def per_query(self, metric: str) -> dict[str, float]:
        return dict(zip(self.query_ids, self.scores[metric].tolist(), strict=True))

    def means(self) -> dict[str, float]:
        return {metric: self.mean(metric) for metric in self.scores}


def evaluate(
    qrels: Qrels,
    run: Run,
    metrics: Sequence[str | Metric],
    *,
    gain: Gain = "linear",
    relevance_level: int = 1,
) -> Evaluation:
    specs = [m if isinstance(m, Metric) else parse_metric(m) for m in metrics]
    if not specs:
        raise InputError("metrics: expected at least one NAME@K")
    if gain not in ("linear", "exponential"):
        raise InputError(f"gain {gain!r}: expected 'linear' or 'exponential'")
    if relevance_level < 1:
        raise InputError(f"relevance level {relevance_level}: expected an integer >= 1")
    query_ids = tuple(sorted(qrels))
    judged = _Judgements.of(qrels, query_ids, relevance_level)
    ranked = _rank_judged(run, query_ids, qrels)
    scores = {str(spec): _metric(spec, ranked, judged, gain) for spec in specs}
    with_results = {q for q, docs in run.items() if docs}
    return Evaluation(
        query_ids=query_ids,
        scores=scores,
        queries_without_results=tuple(q for q in query_ids if q not in with_results),
        queries_without_relevant=tuple(
            q for q, n in zip(query_ids, judged.num_relevant.tolist(), strict=True) if n == 0
        ),
        unjudged_run_queries=sum(1 for q in run if q not in qrels),
    )


@dataclass(frozen=True)
class _Judgements:
    """Per query: how many documents are relevant, and every positive judgement (for ideal DCG)."""

    relevance_level: int
    num_relevant: IntArray
    positive_query: IntArray
    positive_relevance: IntArray

    @classmethod
    def of(cls, qrels: Qrels, query_ids: tuple[str, ...], relevance_level: int) -> _Judgements:
        num_relevant = np.zeros(len(query_ids), dtype=np.int64)
        queries: list[int] = []
        grades: list[int] = []
        for i, q in enumerate(query_ids):
            positive = [rel for rel in qrels[q].values() if rel > 0]
            num_relevant[i] = sum(1 for rel in positive if rel >= relevance_level)
            queries.extend(repeat(i, len(positive)))
            grades.extend(positive)
        return cls(
            relevance_level,
            num_relevant,
            np.asarray(queries, np.int64),
            np.asarray(grades, np.int64),
        )


@dataclass(frozen=True)
class _RankedRun:
    """The retrieved documents that carry a positive judgement, with their trec_eval rank.

    Every metric here depends only on where such documents sit, so the rest of a run never
    leaves numpy: a document's rank is the number of results scored above it, plus the tied
    results whose id sorts after its own (trec_eval's tie rule).
    """

    query: IntArray  # index into query_ids; entries sorted by (query, rank)
    rank: IntArray  # 0-based
    relevance: IntArray


def _rank_judged(run: Run, query_ids: tuple[str, ...], qrels: Qrels) -> _RankedRun:
    position = {q: i for i, q in enumerate(query_ids)}
    runs = [(position[q], docs) for q, docs in run.items() if q in position and docs]
    sizes = np.fromiter((len(docs) for _, docs in runs), dtype=np.int64, count=len(runs))
    total = int(sizes.sum())
    query = np.repeat(np.fromiter((i for i, _ in runs), np.int64, len(runs)), sizes)
    score = np.fromiter(chain.from_iterable(docs.values() for _, docs in runs), np.float64, total)
    if not np.isfinite(score).all():
        raise InputError("run: scores must be finite numbers (found NaN or infinity)")
    # One complex key sorts by query, then by score descending: numpy orders complex numbers
    # by real part, then imaginary part, and both parts hold their float64 values exactly.
    key = query + 1j * -score
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.cumsum(np.bincount(query, minlength=len(query_ids))) - np.bincount(
        query, minlength=len(query_ids)
    )

    hit_query: list[int] = []
    hit_score: list[float] = []
    hit_doc: list[str] = []
    hit_relevance: list[int] = []
    for i, docs in runs:
        for doc_id, rel in qrels[query_ids[i]].items():
            doc_score = docs.get(doc_id) if rel > 0 else None
            if doc_score is not None:
                hit_query.append(i)
                hit_score.append(doc_score)
                hit_doc.append(doc_id)
                hit_relevance.append(rel)
    hq = np.asarray(hit_query, dtype=np.int64)
    hit_key = hq + 1j * -np.asarray(hit_score, dtype=np.float64)
    first_tied = np.searchsorted(sorted_key, hit_key, side="left")
    past_tied = np.searchsorted(sorted_key, hit_key, side="right")
    rank = first_tied - starts[hq]
    tied = np.flatnonzero(past_tied - first_tied > 1)
    if tied.size:
        doc_ids = list(chain.from_iterable(docs.keys() for _, docs in runs))
        for j in tied.tolist():
            own = hit_doc[j]
            group = order[first_tied[j] : past_tied[j]].tolist()
            rank[j] += sum(1 for other in group if doc_ids[other] > own)
    by_rank = np.lexsort((rank, hq))
    return _RankedRun(hq[by_rank], rank[by_rank], np.asarray(hit_relevance, np.int64)[by_rank])


def _metric(spec: Metric, ranked: _RankedRun, judged: _Judgements, gain: Gain) -> FloatArray:
    n = judged.num_relevant.size
    num_relevant = judged.num_relevant
    relevant = ranked.relevance >= judged.relevance_level
    in_cut = ranked.rank < spec.k
    hits = np.bincount(ranked.query[in_cut & relevant], minlength=n).astype(np.float64)
    safe_num_relevant = np.maximum(num_relevant, 1)
    if spec.name == "precision":
        return hits / spec.k
    if spec.name == "recall":
        return np.where(num_relevant > 0, hits / safe_num_relevant, 0.0)
    if spec.name == "hit":
        return (hits > 0).astype(np.float64)
    if spec.name == "mrr":
        first = np.full(n, np.inf)
        rel_query, rel_rank = ranked.query[relevant], ranked.rank[relevant]
        # Entries are sorted by (query, rank): the first relevant one opens its query's group.
        opens = np.r_[True, rel_query[1:] != rel_query[:-1]][: rel_query.size]
        first[rel_query[opens]] = rel_rank[opens]
        return np.where(first < spec.k, 1.0 / (first + 1.0), 0.0)
    if spec.name == "map":
        rel_query, rel_rank = ranked.query[relevant], ranked.rank[relevant]
        # The j-th relevant document of a query (0-based) sits at rank r: precision j+1 / r+1.
        opens = np.flatnonzero(np.r_[True, rel_query[1:] != rel_query[:-1]][: rel_query.size])
        nth = np.arange(rel_query.size) - np.repeat(opens, np.diff(np.r_[opens, rel_query.size]))
        mask = rel_rank < spec.k
        precision_at = (nth[mask] + 1.0) / (rel_rank[mask] + 1.0)
        total = np.bincount(rel_query[mask], weights=precision_at, minlength=n)
        return np.where(num_relevant > 0, total / safe_num_relevant, 0.0)
    if spec.name == "ndcg":
        discount = 1.0 / np.log2(ranked.rank[in_cut] + 2.0)
        gains = _gain(ranked.relevance[in_cut], gain)
        dcg = np.bincount(ranked.query[in_cut], weights=gains * discount, minlength=n)
        ideal = _ideal_dcg(judged, spec.k, gain)
        return np.where(ideal > 0, dcg / np.where(ideal > 0, ideal, 1.0), 0.0)
    raise AssertionError(f"unhandled metric {spec}")  # parse_metric admits only known names


def _gain(relevance: IntArray, gain: Gain) -> FloatArray:
    positive = np.maximum(relevance, 0).astype(np.float64)
    return positive if gain == "linear" else np.exp2(positive) - 1.0


def _ideal_dcg(judged: _Judgements, k: int, gain: Gain) -> FloatArray:
    """DCG of the best possible ranking: every positive judgement, highest first, cut at k."""
    order = np.lexsort((-judged.positive_relevance, judged.positive_query))
    query = judged.positive_query[order]
    opens = np.flatnonzero(np.r_[True, query[1:] != query[:-1]][: query.size])
    rank = np.arange(query.size) - np.repeat(opens, np.diff(np.r_[opens, query.size]))
    keep = rank < k
    gains = _gain(judged.positive_relevance[order][keep], gain) / np.log2(rank[keep] + 2.0)
    ideal = np.bincount(query[keep], weights=gains, minlength=judged.num_relevant.size)
    return ideal.astype(np.float64)
