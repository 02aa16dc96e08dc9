"""Run every chunking x retriever configuration on a dataset and evaluate it.

Each configuration builds its index, retrieves `depth` documents per query (best chunk per
document), and is scored on the same judgements. The result keeps the per-query scores, so the
best configuration can be compared with the baseline query by query.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..data.types import Dataset, Run
from ..errors import InputError
from ..evaluation.metrics import Evaluation, evaluate
from ..evaluation.significance import PairedComparison, paired_comparison
from ..retrieval.system import DenseOptions, RetrievalSystem
from .config import GridConfig, config_name


@dataclass(frozen=True)
class ConfigResult:
    name: str
    chunker: str
    retriever: str
    chunks: int
    index_seconds: float
    search_seconds: float
    evaluation: Evaluation
    recall_curve: dict[int, float]
    run: Run = field(repr=False)

    def summary(self) -> dict[str, object]:
        return {
            "config": self.name,
            "chunker": self.chunker,
            "retriever": self.retriever,
            "chunks": self.chunks,
            "index_seconds": round(self.index_seconds, 3),
            "search_seconds": round(self.search_seconds, 3),
            **{metric: round(value, 6) for metric, value in self.evaluation.means().items()},
        }


@dataclass(frozen=True)
class FailedQuery:
    query_id: str
    text: str
    relevant: list[str]
    retrieved: list[str]
    baseline_score: float
    best_score: float


@dataclass(frozen=True)
class GridResult:
    dataset: str
    config: GridConfig
    results: list[ConfigResult]
    best: str
    comparison: PairedComparison | None
    failures: list[FailedQuery]
    notes: list[str]
    query_texts: dict[str, str]

    def by_name(self, name: str) -> ConfigResult:
        return next(r for r in self.results if r.name == name)


def run_grid(
    dataset: Dataset,
    config: GridConfig,
    dense: DenseOptions | None,
    progress: Callable[[str], None] = lambda _: None,
) -> GridResult:
    results = []
    metrics = list(dict.fromkeys([config.primary, *config.metrics]))
    curve_metrics = [f"recall@{k}" for k in config.recall_curve]
    for chunker, retriever in config.configurations():
        name = config_name(chunker, retriever)
        started = time.perf_counter()
        system = RetrievalSystem.build(dataset.documents, chunker, retriever, dense)
        built = time.perf_counter()
        run = system.search_documents(dataset.queries, config.depth)
        searched = time.perf_counter()
        evaluation = evaluate(dataset.qrels, run, [*metrics, *curve_metrics], gain=config.gain)
        curve = {k: evaluation.mean(f"recall@{k}") for k in config.recall_curve}
        results.append(
            ConfigResult(
                name,
                chunker.name,
                retriever.name,
                len(system.chunks),
                built - started,
                searched - built,
                evaluation,
                curve,
                run,
            )
        )
        progress(f"{name}: {config.primary} = {evaluation.mean(config.primary):.4f}")
    names = [r.name for r in results]
    if config.baseline not in names:
        raise InputError(f"grid config: baseline {config.baseline!r} is not in the grid {names}")
    best = max(results, key=lambda r: (r.evaluation.mean(config.primary), -names.index(r.name)))
    baseline = next(r for r in results if r.name == config.baseline)
    comparison = None
    if best.name != baseline.name:
        comparison = paired_comparison(
            best.evaluation.scores[config.primary],
            baseline.evaluation.scores[config.primary],
            names=(best.name, baseline.name),
            metric=config.primary,
            seed=config.seed,
        )
    notes = list(dataset.notes)
    for result in results[:1]:
        evaluation = result.evaluation
        if evaluation.queries_without_relevant:
            notes.append(
                f"{len(evaluation.queries_without_relevant)} queries have no relevant "
                "document; they score 0 (trec_eval's convention)"
            )
    return GridResult(
        dataset.name,
        config,
        results,
        best.name,
        comparison,
        _failures(dataset, best, baseline, config.primary),
        notes,
        dict(dataset.queries),
    )


def _failures(
    dataset: Dataset, best: ConfigResult, baseline: ConfigResult, metric: str
) -> list[FailedQuery]:
    """Queries the best configuration still gets wrong: no relevant document in the top 10."""
    best_scores = best.evaluation.per_query(metric)
    base_scores = baseline.evaluation.per_query(metric)
    failed = []
    for query_id in best.evaluation.query_ids:
        ranked = sorted(
            best.run.get(query_id, {}).items(), key=lambda kv: (kv[1], kv[0]), reverse=True
        )
        top = [doc for doc, _ in ranked[:10]]
        relevant = sorted(
            (doc for doc, rel in dataset.qrels[query_id].items() if rel > 0),
            key=lambda doc: -dataset.qrels[query_id][doc],
        )
        if not set(top) & set(relevant):
            failed.append(
                FailedQuery(
                    query_id,
                    dataset.queries.get(query_id, ""),
                    relevant,
                    top[:3],
                    base_scores[query_id],
                    best_scores[query_id],
                )
            )
    return failed
