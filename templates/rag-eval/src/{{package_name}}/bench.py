"""`make bench`: index build rate, search throughput and p95 latency, and evaluation speed
against trec_eval (pytrec_eval) on the same 10,000 queries x 100 results.

Timings are medians over repeats, and the evaluation comparison alternates the two tools run by
run, because a shared machine's speed drifts: a ratio from alternating runs is what holds up.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from .chunking import ChunkerSpec
from .data.sample import load_dataset
from .errors import MissingExtraError
from .evaluation.metrics import evaluate
from .retrieval.system import DenseOptions, RetrievalSystem, RetrieverSpec

EVAL_METRICS = ["mrr@100", "ndcg@10", "recall@100", "map@100", "precision@10", "hit@10"]
TREC_MEASURES = {"recip_rank", "ndcg_cut.10", "recall.100", "map_cut.100", "P.10", "success.10"}
TREC_KEYS = ["recip_rank", "ndcg_cut_10", "recall_100", "map_cut_100", "P_10", "success_10"]


def synthetic_run(
    queries: int, depth: int, seed: int
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    """A run with many tied scores (2 decimals) and 1-10 graded judgements per query."""
    rng = np.random.default_rng(seed)
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for q in range(queries):
        docs = [f"doc{d}" for d in rng.choice(1_000_000, depth + 20, replace=False).tolist()]
        scores = np.round(rng.random(depth), 2).tolist()
        run[f"q{q}"] = dict(zip(docs[:depth], scores, strict=True))
        judged = rng.choice(depth + 20, int(rng.integers(1, 11)), replace=False).tolist()
        qrels[f"q{q}"] = {docs[j]: int(rng.integers(0, 4)) for j in judged}
    return qrels, run


def bench_evaluation(queries: int = 10_000, depth: int = 100, repeats: int = 5) -> dict[str, Any]:
    try:
        import pytrec_eval
    except ImportError:
        raise MissingExtraError(
            "bench compares with pytrec_eval, in the dev group: uv sync"
        ) from None
    qrels, run = synthetic_run(queries, depth, seed=7)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        evaluation = evaluate(qrels, run, EVAL_METRICS)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        reference = pytrec_eval.RelevanceEvaluator(qrels, TREC_MEASURES).evaluate(run)
        theirs.append(time.perf_counter() - started)
    # The speed only counts if the numbers agree.
    worst = 0.0
    for ours_name, trec_name in zip(EVAL_METRICS, TREC_KEYS, strict=True):
        per_query = evaluation.per_query(ours_name)
        worst = max(worst, *(abs(per_query[q] - reference[q][trec_name]) for q in reference))
    return {
        "eval_queries": queries,
        "eval_results_per_query": depth,
        "eval_ours_s_median": statistics.median(ours),
        "eval_pytrec_eval_s_median": statistics.median(theirs),
        "eval_speed_ratio_pytrec_over_ours": statistics.median(theirs) / statistics.median(ours),
        "eval_max_abs_difference": worst,
    }


def bench_search(scale: int = 20, repeats: int = 3) -> dict[str, Any]:
    """BM25 over the sample corpus replicated `scale` times (distinct ids, same text)."""
    base = load_dataset()
    documents = [
        replace(doc, doc_id=f"{doc.doc_id}~{copy}")
        for copy in range(scale)
        for doc in base.documents
    ]
    spec, retriever = ChunkerSpec(strategy="markdown", size=512), RetrieverSpec(kind="bm25")
    build_times = []
    system: RetrievalSystem | None = None
    for _ in range(repeats):
        started = time.perf_counter()
        system = RetrievalSystem.build(documents, spec, retriever)
        build_times.append(time.perf_counter() - started)
    assert system is not None
    queries = list(base.queries.values())
    latencies = _latencies(lambda q: system.search_chunks([q], 10), queries * repeats)
    return {
        "index_documents": len(documents),
        "index_chunks": len(system.chunks),
        "index_build_docs_per_s": len(documents) / statistics.median(build_times),
        "search_queries_per_s": len(latencies) / sum(latencies),
        "search_p50_ms": 1000 * float(np.percentile(latencies, 50)),
        "search_p95_ms": 1000 * float(np.percentile(latencies, 95)),
    }


def _latencies(search: Callable[[str], object], queries: list[str]) -> list[float]:
    latencies = []
    for query in queries:
        started = time.perf_counter()
        search(query)
        latencies.append(time.perf_counter() - started)
    return latencies


def bench_dense(model: str, repeats: int = 3) -> dict[str, Any]:
    """Dense retrieval on the sample's markdown-512 chunks: embedding rate and query latency.

    Empty when sentence-transformers is not installed (the BM25-only setup).
    """
    if importlib.util.find_spec("sentence_transformers") is None:
        return {}
    from .retrieval.embeddings import Embedder

    base = load_dataset()
    Embedder(model).encode(["load the model before timing"])
    spec, retriever = ChunkerSpec(strategy="markdown", size=512), RetrieverSpec(kind="dense")
    started = time.perf_counter()
    system = RetrievalSystem.build(base.documents, spec, retriever, DenseOptions(model))
    build_seconds = time.perf_counter() - started
    queries = list(base.queries.values())
    latencies = _latencies(lambda q: system.search_chunks([q], 10), queries * repeats)
    import torch

    return {
        "dense_torch_threads": torch.get_num_threads(),
        "dense_index_chunks": len(system.chunks),
        "dense_index_build_chunks_per_s": len(system.chunks) / build_seconds,
        "dense_search_queries_per_s": len(latencies) / sum(latencies),
        "dense_search_p95_ms": 1000 * float(np.percentile(latencies, 95)),
    }


def run_bench(queries: int = 10_000, depth: int = 100, model: str | None = None) -> dict[str, Any]:
    dense = bench_dense(model) if model else {}
    measures = {**bench_search(), **dense, **bench_evaluation(queries, depth)}
    return {
        "measures": measures,
        "note": (
            "BM25 (bm25s) over markdown-512 chunks of the sample corpus replicated 20 times; "
            "search is one query at a time (p95 is per query). "
            + (
                "Dense: the embedding model on the sample's markdown-512 chunks (CPU, exact "
                "index), each query embedded on its own. "
                if dense
                else ""
            )
            + "Evaluation: 6 metrics over "
            f"{queries:,} queries x {depth} results with tied scores, median of 5 alternating "
            "runs; ratio > 1 means this project's evaluation is faster than pytrec_eval."
        ),
    }
