"""Exercise: nDCG@k (evaluation/metrics.py, `ndcg`), checked through `evaluate`."""

from __future__ import annotations

import math
from types import ModuleType

import pytest
import pytrec_eval
from conftest import random_case


def test_perfect_ranking_scores_one(metrics: ModuleType) -> None:
    """A run that ranks the relevant documents best first scores nDCG@10 = 1."""
    qrels = {"q": {"a": 3, "b": 2, "c": 1}}
    run = {"q": {"a": 3.0, "b": 2.0, "c": 1.0, "x": 0.5}}
    assert metrics.evaluate(qrels, run, ["ndcg@10"]).mean("ndcg@10") == pytest.approx(1.0)


def test_hand_computed_graded_example(metrics: ModuleType) -> None:
    """nDCG@3 of a small graded example equals DCG / ideal DCG computed by hand (log2 discount)."""
    qrels = {"q": {"a": 1, "b": 3, "c": 0}}
    run = {"q": {"c": 0.9, "a": 0.8, "b": 0.7}}  # ranks: c (0), a (1), b (2)
    dcg = 0 / math.log2(2) + 1 / math.log2(3) + 3 / math.log2(4)
    ideal = 3 / math.log2(2) + 1 / math.log2(3)
    value = metrics.evaluate(qrels, run, ["ndcg@3"]).mean("ndcg@3")
    assert value == pytest.approx(dcg / ideal, abs=1e-9)


def test_ideal_counts_relevant_documents_never_retrieved(metrics: ModuleType) -> None:
    """The ideal DCG includes relevant documents the run missed, so missing them costs score."""
    qrels = {"q": {"a": 1, "z": 1}}
    run = {"q": {"a": 1.0}}
    expected = 1.0 / (1.0 + 1.0 / math.log2(3))
    assert metrics.evaluate(qrels, run, ["ndcg@10"]).mean("ndcg@10") == pytest.approx(expected)


def test_no_relevant_document_scores_zero(metrics: ModuleType) -> None:
    """A query with no relevant judgement scores 0, not NaN (nothing to divide by)."""
    qrels = {"q": {"a": 0}}
    run = {"q": {"a": 1.0}}
    assert metrics.evaluate(qrels, run, ["ndcg@5"]).mean("ndcg@5") == 0.0


@pytest.mark.parametrize("k", [1, 5, 10])
def test_matches_trec_eval_on_random_runs_with_ties(metrics: ModuleType, k: int) -> None:
    """nDCG@k per query agrees with trec_eval's ndcg_cut on 200 random queries with tied scores."""
    qrels, run = random_case(seed=100 + k)
    reference = pytrec_eval.RelevanceEvaluator(qrels, {f"ndcg_cut.{k}"}).evaluate(run)
    ours = metrics.evaluate(qrels, run, [f"ndcg@{k}"]).per_query(f"ndcg@{k}")
    for query, value in ours.items():
        expected = reference.get(query, {}).get(f"ndcg_cut_{k}", 0.0)
        assert value == pytest.approx(expected, abs=1e-6), f"query {query}"
