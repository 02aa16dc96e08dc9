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
from .evaluation.metrics import evaluate
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
    qrels_path: Path, run_path: Path, metrics: list[str], exponential_gain: bool = False
) -> dict[str, Any]:
    qrels, run = read_qrels(qrels_path), read_run(run_path)
    evaluation = evaluate(qrels, run, metrics, gain="exponential" if exponential_gain else "linear")
    return {
        "queries": len(evaluation.query_ids),
        "queries_without_results": len(evaluation.queries_without_results),
        "queries_without_relevant": len(evaluation.queries_without_relevant),
        "unjudged_run_queries": evaluation.unjudged_run_queries,
        "means": evaluation.means(),
    }
