"""The project's jobs as plain functions of Settings: what each CLI command calls."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .answering import make_answerer
from .chunking import ChunkerSpec
from .data.documents import load_documents
from .data.sample import load_dataset
from .data.trec import read_qrels, read_run
from .errors import InputError
from .evaluation.metrics import Gain, evaluate
from .experiments.config import load_grid_config
from .experiments.grid import run_grid
from .experiments.results import write_results
from .qa import QAService
from .retrieval.system import DenseOptions, RetrievalSystem, RetrieverSpec
from .settings import Settings


def dense_options(settings: Settings) -> DenseOptions:
    return DenseOptions(
        model=settings.embedding_model,
        cache_dir=settings.cache_dir,
        batch_size=settings.embedding_batch_size,
        qdrant_location=settings.qdrant_location,
    )


def run_evaluation(settings: Settings, progress: Callable[[str], None]) -> dict[str, Any]:
    """The grid on the configured dataset; writes reports/grid/ and returns its summary."""
    config = load_grid_config(settings.grid_config)
    dataset = load_dataset(settings.dataset, settings.split)
    progress(
        f"dataset {dataset.name}: {len(dataset.documents)} documents, "
        f"{len(dataset.queries)} judged queries, {len(config.configurations())} configurations"
    )
    result = run_grid(dataset, config, dense_options(settings), progress)
    summary_path = write_results(result, settings.reports_dir / "grid")
    summary: dict[str, Any] = json.loads(summary_path.read_text())
    return summary


def build_index(
    settings: Settings, chunker: ChunkerSpec, retriever: RetrieverSpec, corpus: Path | None = None
) -> RetrievalSystem:
    """Index `corpus` (a folder of markdown/text files or a JSONL file), else the dataset's."""
    if corpus is not None:
        documents = load_documents(corpus)
    else:
        documents = load_dataset(settings.dataset, settings.split).documents
    dense = dense_options(settings)
    system = RetrievalSystem.build(documents, chunker, retriever, dense)
    system.save(settings.index_dir, dense)
    return system


def load_service(settings: Settings) -> QAService:
    system = RetrievalSystem.load(settings.index_dir, dense_options(settings))
    return QAService(system, make_answerer(settings))


def evaluate_trec_files(
    qrels_path: Path,
    run_path: Path,
    metrics: list[str],
    exponential_gain: bool = False,
    complete: bool = False,
    per_query: bool = False,
) -> dict[str, Any]:
    """trec_eval on two files: means (and per-query scores), with what was left out as warnings.

    Nothing to evaluate (an empty qrels file, a run none of whose queries is judged) is an error
    naming the file, never a table of zeros.
    """
    qrels, run = read_qrels(qrels_path), read_run(run_path)
    if not qrels:
        raise InputError(f"{qrels_path}: no judgements (expected `qid iter docid rel` lines)")
    if not run:
        raise InputError(f"{run_path}: no results (expected `qid Q0 docid rank score tag` lines)")
    if not set(run) & set(qrels):
        raise InputError(
            f"{run_path}: none of its {len(run)} query ids is judged in {qrels_path} "
            f"(run ids look like {sorted(run)[0]!r}, qrels ids like {sorted(qrels)[0]!r})"
        )
    gain: Gain = "exponential" if exponential_gain else "linear"
    evaluation = evaluate(qrels, run, metrics, gain=gain, complete=complete)
    missing = int((~evaluation.in_run).sum())
    warnings = []
    if missing:
        fate = (
            "score 0 (--complete)"
            if complete
            else "are left out of the means (--complete scores them 0)"
        )
        warnings.append(f"{missing} judged queries are not in {run_path} and {fate}")
    if evaluation.unjudged_run_queries:
        warnings.append(
            f"{evaluation.unjudged_run_queries} queries of {run_path} have no judgements "
            "and are ignored"
        )
    without_relevant = [q for q in evaluation.queries_without_relevant if q in run or complete]
    if without_relevant:
        warnings.append(
            f"{len(without_relevant)} evaluated queries have no relevant judgement and score 0 "
            f"(first: {without_relevant[0]!r})"
        )
    result: dict[str, Any] = {
        "convention": evaluation.convention,
        "queries": len(evaluation.counted_query_ids),
        "judged_queries": len(evaluation.query_ids),
        "queries_without_results": len(evaluation.queries_without_results),
        "queries_without_relevant": len(evaluation.queries_without_relevant),
        "unjudged_run_queries": evaluation.unjudged_run_queries,
        "means": evaluation.means(),
        "warnings": warnings,
    }
    if per_query:
        scores = {m: evaluation.per_query(m) for m in evaluation.scores}
        result["per_query"] = {
            q: {m: scores[m][q] for m in evaluation.scores} for q in evaluation.counted_query_ids
        }
    return result
