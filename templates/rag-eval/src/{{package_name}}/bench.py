"""`make bench`: how index size, build rate and query latency grow with the corpus (1x, 10x and
100x the sample, for BM25 and the exact vector index), dense embedding speed, and evaluation
speed against trec_eval (pytrec_eval) on the same 10,000 queries x 100 results.

The larger corpora are synthetic: each copy of a sample document keeps its title and sections
in a shuffled order and takes one section from another document, so texts are distinct but the
vocabulary and lengths stay the sample's. The vector index at 10x and 100x holds the sample's
real chunk embeddings (random unit vectors without the dense extra), each copy perturbed and
renormalised: embedding 50,000 chunks on a 2-core CPU would take most of an hour, and what grows
with the corpus is the index, not the per-chunk embedding cost (measured once at 1x).

BM25 throughput (queries/s, all queries in one call) is measured against bm25s's own batched
`retrieve` on the same index, at each scale and on a synthetic collection of Cranfield's size
(1,400 documents, 225 queries; the collection itself is not shipped and nothing is downloaded).

Timings are medians over repeats, and the evaluation comparison alternates the two tools run by
run, because a shared machine's speed drifts: a ratio from alternating runs is what holds up.
"""

from __future__ import annotations

import importlib.util
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from .chunking import ChunkerSpec
from .data.sample import load_dataset
from .data.types import Document
from .errors import MissingExtraError
from .evaluation.metrics import evaluate
from .retrieval.bm25 import BM25Retriever
from .retrieval.system import DenseOptions, RetrievalSystem, RetrieverSpec
from .retrieval.vector_index import ExactVectorIndex, Vectors

SCALES = (1, 10, 100)
BENCH_CHUNKER = ChunkerSpec(strategy="markdown", size=512)

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


def synthetic_corpus(base: Sequence[Document], scale: int, seed: int = 11) -> list[Document]:
    """`scale` copies of the corpus as distinct documents (the first copy is the corpus itself)."""
    rng = np.random.default_rng(seed)
    sections = [doc.text.split("\n\n") for doc in base]
    documents = list(base)
    for copy in range(1, scale):
        for i, doc in enumerate(base):
            own = list(sections[i])
            order = rng.permutation(len(own)).tolist()
            other = sections[int(rng.integers(len(base)))]
            borrowed = other[int(rng.integers(len(other)))]
            text = "\n\n".join([*(own[j] for j in order), borrowed])
            documents.append(Document(f"{doc.doc_id}~{copy}", text, doc.title))
    return documents


def bench_scaling(
    scales: Sequence[int] = SCALES,
    queries_per_scale: int = 100,
    vectors: Vectors | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Index size, build rate and one-query latency of BM25 and the exact vector index per scale,
    and BM25's throughput against bm25s's on each scale's index (built once for both).

    `vectors` are the sample chunks' embeddings (one per markdown-512 chunk); without them,
    random unit vectors of all-MiniLM-L6-v2's dimension stand in.
    """
    base = load_dataset()
    queries = list(base.queries.values())[:queries_per_scale]
    rng = np.random.default_rng(5)
    rows = []
    throughput = []
    for scale in scales:
        documents = synthetic_corpus(base.documents, scale)
        repeats = 3 if scale < 100 else 1
        build_times = []
        system: RetrievalSystem | None = None
        for _ in range(repeats):
            started = time.perf_counter()
            system = RetrievalSystem.build(documents, BENCH_CHUNKER, RetrieverSpec(kind="bm25"))
            build_times.append(time.perf_counter() - started)
        assert system is not None
        chunks = len(system.chunks)
        latencies = _latencies(partial(system.search_chunks, k=10), [[q] for q in queries])
        throughput.append(bm25_throughput(f"sample {scale}x", system, queries))
        with tempfile.TemporaryDirectory() as folder:
            system.retriever.save(Path(folder))
            bm25_bytes = _folder_bytes(Path(folder))
        rows.append(
            _scale_row("bm25", scale, len(documents), chunks, bm25_bytes, build_times, latencies)
        )

        matrix = _scaled_vectors(vectors, chunks, rng)
        query_vectors = _scaled_vectors(vectors, len(queries), rng)
        build_times = []
        with tempfile.TemporaryDirectory() as folder:
            for _ in range(repeats):
                # The exact index has nothing to train: building it is holding and saving it.
                started = time.perf_counter()
                index = ExactVectorIndex(matrix)
                index.save(Path(folder))
                build_times.append(time.perf_counter() - started)
            vector_bytes = _folder_bytes(Path(folder))
        latencies = _latencies(partial(index.search, k=10), list(query_vectors[:, None, :]))
        rows.append(
            _scale_row(
                "vector (exact)",
                scale,
                len(documents),
                chunks,
                vector_bytes,
                build_times,
                latencies,
            )
        )
    return rows, throughput


CRANFIELD_SIZE = (1_400, 225)  # documents, queries
SYLLABLES = ("ka", "ro", "mi", "ten", "sul", "ve", "dra", "lo", "nik", "pre", "ast", "fo", "gul")


def cranfield_sized(seed: int = 13) -> tuple[list[Document], list[str]]:
    """A synthetic collection of Cranfield's shape: 1,400 abstracts of ~165 words (log-normal
    lengths) drawn from ~5,700 pseudo-words with Zipf frequencies, 40% of them English
    stopwords, and 225 queries of 6-19 words, each drawn from one document."""
    n_documents, n_queries = CRANFIELD_SIZE
    rng = np.random.default_rng(seed)
    words = np.array(
        sorted({"".join(rng.choice(SYLLABLES, int(rng.integers(2, 5)))) for _ in range(12_000)})
    )
    frequencies = rng.permutation(1.0 / np.arange(1, words.size + 1) ** 1.05)
    stopwords = np.array(sorted(STOPWORDS_EN))
    lengths = np.clip(rng.lognormal(5.0, 0.45, n_documents), 30, 600).astype(int)
    drawn = words[rng.choice(words.size, lengths.sum(), p=frequencies / frequencies.sum())]
    stops = stopwords[rng.integers(stopwords.size, size=lengths.sum())]
    tokens = np.where(rng.random(lengths.sum()) < 0.4, stops, drawn)
    texts = [" ".join(part.tolist()) for part in np.split(tokens, np.cumsum(lengths)[:-1])]
    documents = [Document(f"c{i}", text) for i, text in enumerate(texts)]
    queries = [
        " ".join(
            rng.choice(texts[int(rng.integers(n_documents))].split(), int(rng.integers(6, 20)))
        )
        for _ in range(n_queries)
    ]
    return documents, queries


def bench_cranfield_sized() -> dict[str, Any]:
    """BM25 throughput on the Cranfield-sized collection, each document indexed whole."""
    documents, queries = cranfield_sized()
    system = RetrievalSystem.build(
        documents, ChunkerSpec(strategy="document"), RetrieverSpec(kind="bm25")
    )
    return bm25_throughput("Cranfield-sized (synthetic)", system, queries)


def bm25_throughput(
    corpus: str,
    system: RetrievalSystem,
    queries: Sequence[str],
    k: int = 10,
    repeats: int = 15,
    min_call_s: float = 0.05,
) -> dict[str, Any]:
    """Queries/s of this project's BM25 (all queries in one call, from their text) and of bm25s's
    batched `retrieve` on the same index, from the same analyzer's terms computed before its
    clock starts (so bm25s is not charged for tokenising). Runs alternate; medians. The queries
    are repeated until one call of ours lasts `min_call_s`: on a busy machine, a call of a few
    milliseconds measures the scheduler more than the search."""
    retriever = system.retriever
    if not isinstance(retriever, BM25Retriever):
        raise TypeError(f"bm25_throughput needs a BM25 system, not {retriever.kind}")
    k = min(k, len(system.chunks))
    started = time.perf_counter()
    system.search_chunks(queries, k)
    passes = max(1, math.ceil(min_call_s / (time.perf_counter() - started)))
    batch = list(queries) * passes
    terms = [retriever.analyzer(query) for query in batch]
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        hits = system.search_chunks(batch, k)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        reference = retriever.model.retrieve(terms, k=k, show_progress=False)
        theirs.append(time.perf_counter() - started)
    # The speed only counts if the results agree: ours are the positive part of bm25s's top k
    # (the order of tied chunks aside, which bm25s leaves to argpartition).
    worst = max(
        float(np.max(np.abs(h.scores - reference.scores[i, : len(h)]), initial=0.0))
        for i, h in enumerate(hits)
    )
    return {
        "corpus": corpus,
        "chunks": len(system.chunks),
        "queries": len(queries),
        "queries_per_call": len(batch),
        "k": k,
        "queries_per_s": len(batch) / statistics.median(ours),
        "bm25s_queries_per_s": len(batch) / statistics.median(theirs),
        "speed_ratio_ours_over_bm25s": statistics.median(theirs) / statistics.median(ours),
        "max_abs_score_difference": worst,
        "load_average_1m": os.getloadavg()[0],
    }


def _scaled_vectors(
    vectors: Vectors | None, n: int, rng: np.random.Generator, dim: int = 384
) -> Vectors:
    if vectors is None:
        picked = rng.normal(size=(n, dim))
    else:
        picked = vectors[rng.integers(len(vectors), size=n)] + rng.normal(
            scale=0.02, size=(n, vectors.shape[1])
        )
    unit: Vectors = (picked / np.linalg.norm(picked, axis=1, keepdims=True)).astype(np.float32)
    return unit


def _scale_row(
    index: str,
    scale: int,
    documents: int,
    chunks: int,
    size_bytes: int,
    build_times: list[float],
    latencies: list[float],
) -> dict[str, Any]:
    build = statistics.median(build_times)
    return {
        "index": index,
        "scale": scale,
        "documents": documents,
        "chunks": chunks,
        "index_mb": size_bytes / 1e6,
        "build_s": build,
        "build_chunks_per_s": chunks / build,
        "query_p50_ms": 1000 * float(np.percentile(latencies, 50)),
        "query_p95_ms": 1000 * float(np.percentile(latencies, 95)),
    }


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _latencies(search: Callable[[Any], object], queries: Sequence[Any]) -> list[float]:
    latencies = []
    for query in queries:
        started = time.perf_counter()
        search(query)
        latencies.append(time.perf_counter() - started)
    return latencies


def bench_dense(model: str, repeats: int = 3) -> tuple[dict[str, Any], Vectors | None]:
    """Dense retrieval on the sample's markdown-512 chunks: embedding rate and query latency
    (query embedding included), and the chunk embeddings for the scaling rows.

    Empty when sentence-transformers is not installed (the BM25-only setup).
    """
    if importlib.util.find_spec("sentence_transformers") is None:
        return {}, None
    from .retrieval.embeddings import Embedder

    base = load_dataset()
    embedder = Embedder(model)
    embedder.encode(["load the model before timing"])
    spec, retriever = BENCH_CHUNKER, RetrieverSpec(kind="dense")
    started = time.perf_counter()
    system = RetrievalSystem.build(base.documents, spec, retriever, DenseOptions(model))
    build_seconds = time.perf_counter() - started
    queries = list(base.queries.values())
    latencies = _latencies(lambda q: system.search_chunks([q], 10), queries * repeats)
    import torch

    from .retrieval.dense import DenseRetriever

    assert isinstance(system.retriever, DenseRetriever)
    assert isinstance(system.retriever.index, ExactVectorIndex)

    measures = {
        "dense_torch_threads": torch.get_num_threads(),
        "dense_index_chunks": len(system.chunks),
        "dense_index_build_chunks_per_s": len(system.chunks) / build_seconds,
        "dense_search_queries_per_s": len(latencies) / sum(latencies),
        "dense_search_p95_ms": 1000 * float(np.percentile(latencies, 95)),
    }
    return measures, system.retriever.index.vectors


def run_bench(
    queries: int = 10_000,
    depth: int = 100,
    model: str | None = None,
    scales: Sequence[int] = SCALES,
) -> dict[str, Any]:
    dense, vectors = bench_dense(model) if model else ({}, None)
    scaling, throughput = bench_scaling(scales, vectors=vectors)
    throughput.append(bench_cranfield_sized())
    measures = {**dense, **bench_evaluation(queries, depth)}
    return {
        "measures": measures,
        "scaling": scaling,
        "bm25_throughput": throughput,
        "cpus": os.cpu_count(),
        "note": (
            "Scaling: markdown-512 chunks of the sample corpus at "
            f"{', '.join(f'{s}x' for s in scales)} "
            "(synthetic documents past 1x, see bench.py); BM25 is bm25s, the vector index the "
            "exact in-process one over "
            + (
                "the sample's real embeddings, perturbed"
                if vectors is not None
                else "random unit vectors"
            )
            + "; latency is one query at a time, top 10, without query embedding; size is the "
            "saved index; build is chunking + indexing for BM25, holding + saving the vectors for "
            "the exact index (embedding excluded). "
            + (
                "Dense: the embedding model on the sample's markdown-512 chunks (CPU, exact "
                "index), each query embedded on its own. "
                if dense
                else ""
            )
            + "BM25 throughput: all queries in one call (repeated until the call lasts 50 ms), "
            "top 10, median of 15 runs alternating with bm25s's batched retrieve (numpy "
            "backend, given the analyzer's terms: its tokenising is not timed) on the same "
            "index; ratio > 1 means this project's BM25 answers more queries/s; the load "
            "average is the 1-minute one when measured. "
            "Evaluation: 6 metrics over "
            f"{queries:,} queries x {depth} results with tied scores, median of 5 alternating "
            "runs; ratio > 1 means this project's evaluation is faster than pytrec_eval."
        ),
    }
