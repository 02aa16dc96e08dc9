"""Run every chunking x retriever configuration on a dataset and evaluate it.

Each configuration builds its index, retrieves `depth` documents per query (best chunk per
document), and is scored on the same judgements, every judged query counted (trec_eval -c).

Selection is honest: the judged queries are split (seeded) into tuning and held-out queries.
The best configuration is the one with the highest primary metric on the tuning queries; its
figures and its paired comparison with the baseline are measured on the held-out queries only,
which played no part in picking it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..data.types import Dataset, Run
from ..errors import InputError
from ..evaluation.metrics import Evaluation, evaluate
from ..evaluation.significance import (
    Interval,
    PairedComparison,
    mean_interval,
    paired_comparison,
)
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
    recall_curve: dict[int, float]  # on the tuning queries
    interval: Interval  # the primary metric's mean on the tuning queries, with its 95% interval
    run: Run = field(repr=False)

    def scores(self, metric: str, queries: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        return self.evaluation.scores[metric][queries]

    def means(self, queries: npt.NDArray[np.bool_]) -> dict[str, float]:
        return {m: float(v[queries].mean()) for m, v in self.evaluation.scores.items()}

    def summary(self, metrics: list[str], queries: npt.NDArray[np.bool_]) -> dict[str, object]:
        means = self.means(queries)
        return {
            "config": self.name,
            "chunker": self.chunker,
            "retriever": self.retriever,
            "chunks": self.chunks,
            "index_seconds": round(self.index_seconds, 3),
            "search_seconds": round(self.search_seconds, 3),
            **{metric: round(means[metric], 6) for metric in metrics},
            "ci95_low": round(self.interval.low, 6),
            "ci95_high": round(self.interval.high, 6),
        }


@dataclass(frozen=True)
class QuerySplit:
    """Which judged queries pick the configuration (tuning) and which measure it (held-out)."""

    query_ids: tuple[str, ...]  # Evaluation.query_ids order
    tuning: npt.NDArray[np.bool_]

    @property
    def held_out(self) -> npt.NDArray[np.bool_]:
        return ~self.tuning

    @classmethod
    def seeded(cls, query_ids: tuple[str, ...], fraction: float, seed: int) -> QuerySplit:
        n_tuning = round(fraction * len(query_ids))
        if n_tuning < 2 or len(query_ids) - n_tuning < 2:
            raise InputError(
                f"grid config: tuning_fraction = {fraction} leaves {n_tuning} tuning and "
                f"{len(query_ids) - n_tuning} held-out queries of {len(query_ids)}; "
                "each side needs at least 2"
            )
        tuning = np.zeros(len(query_ids), dtype=np.bool_)
        tuning[np.random.default_rng(seed).permutation(len(query_ids))[:n_tuning]] = True
        return cls(query_ids, tuning)

    def ids(self, mask: npt.NDArray[np.bool_]) -> list[str]:
        return [q for q, keep in zip(self.query_ids, mask.tolist(), strict=True) if keep]


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
    split: QuerySplit
    best: str
    held_out: dict[str, dict[str, float]]  # best and baseline: every metric on held-out queries
    comparison: PairedComparison | None  # best vs baseline on the held-out queries
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
    metrics = list(dict.fromkeys([config.primary, *config.metrics]))
    curve_metrics = [f"recall@{k}" for k in config.recall_curve]
    split: QuerySplit | None = None
    results = []
    for chunker, retriever in config.configurations():
        name = config_name(chunker, retriever)
        started = time.perf_counter()
        system = RetrievalSystem.build(dataset.documents, chunker, retriever, dense)
        built = time.perf_counter()
        run = system.search_documents(dataset.queries, config.depth)
        searched = time.perf_counter()
        evaluation = evaluate(
            dataset.qrels, run, [*metrics, *curve_metrics], gain=config.gain, complete=True
        )
        if split is None:
            split = QuerySplit.seeded(evaluation.query_ids, config.tuning_fraction, config.seed)
        tuning = evaluation.scores[config.primary][split.tuning]
        curve = {
            k: float(evaluation.scores[f"recall@{k}"][split.tuning].mean())
            for k in config.recall_curve
        }
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
                mean_interval(tuning, seed=config.seed),
                run,
            )
        )
        progress(f"{name}: {config.primary} = {float(tuning.mean()):.4f} (tuning queries)")
    assert split is not None  # the config validates at least one configuration
    names = [r.name for r in results]
    if config.baseline not in names:
        raise InputError(f"grid config: baseline {config.baseline!r} is not in the grid {names}")
    best = results[names.index(select_on_tuning({r.name: r.interval.mean for r in results}))]
    baseline = next(r for r in results if r.name == config.baseline)
    comparison = None
    if best.name != baseline.name:
        comparison = paired_comparison(
            best.scores(config.primary, split.held_out),
            baseline.scores(config.primary, split.held_out),
            names=(best.name, baseline.name),
            metric=config.primary,
            seed=config.seed,
        )
    held_out = {
        r.name: {m: round(v, 6) for m, v in r.means(split.held_out).items() if m in metrics}
        for r in (best, baseline)
    }
    notes = list(dataset.notes)
    without_relevant = results[0].evaluation.queries_without_relevant
    if without_relevant:
        notes.append(
            f"{len(without_relevant)} queries have no relevant document; they score 0 "
            "(trec_eval's convention)"
        )
    return GridResult(
        dataset.name,
        config,
        results,
        split,
        best.name,
        held_out,
        comparison,
        _failures(dataset, best, baseline, config.primary),
        notes,
        dict(dataset.queries),
    )


def select_on_tuning(tuning_means: dict[str, float]) -> str:
    """The configuration with the best primary mean on the tuning queries (the first on a tie).

    Only tuning means come in, so nothing measured on the held-out queries can sway the pick.
    """
    names = list(tuning_means)
    return max(names, key=lambda name: (tuning_means[name], -names.index(name)))


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
