"""Exercise: nDCG@k (evaluation/metrics.py, `ndcg`), checked through `evaluate`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import pytrec_eval
from conftest import random_case

Outputs = Callable[[str], Any]


def test_perfect_ranking_scores_one(outputs: Outputs) -> None:
    """A run that ranks the relevant documents best first scores nDCG@10 = 1."""
    assert outputs("ndcg.perfect_ranking") == pytest.approx(1.0)


def test_hand_computed_graded_example(outputs: Outputs) -> None:
    """nDCG@3 of a small graded example equals DCG / ideal DCG computed by hand (log2 discount)."""
    dcg = 0 / math.log2(2) + 1 / math.log2(3) + 3 / math.log2(4)  # ranks: c (0), a (1), b (2)
    ideal = 3 / math.log2(2) + 1 / math.log2(3)
    assert outputs("ndcg.hand_computed") == pytest.approx(dcg / ideal, abs=1e-9)


def test_ideal_counts_relevant_documents_never_retrieved(outputs: Outputs) -> None:
    """The ideal DCG includes relevant documents the run missed, so missing them costs score."""
    expected = 1.0 / (1.0 + 1.0 / math.log2(3))
    assert outputs("ndcg.relevant_never_retrieved") == pytest.approx(expected)


def test_no_relevant_document_scores_zero(outputs: Outputs) -> None:
    """A query with no relevant judgement scores 0, not NaN (nothing to divide by)."""
    assert outputs("ndcg.no_relevant_document") == 0.0


@pytest.mark.parametrize("k", [1, 5, 10])
def test_matches_trec_eval_on_random_runs_with_ties(outputs: Outputs, k: int) -> None:
    """nDCG@k per query agrees with trec_eval's ndcg_cut on 200 random queries with tied scores."""
    qrels, run = random_case(seed=100 + k)
    reference = pytrec_eval.RelevanceEvaluator(qrels, {f"ndcg_cut.{k}"}).evaluate(run)
    ours = outputs(f"ndcg.random_k{k}")
    assert isinstance(ours, dict), f"per_query gave {type(ours).__name__}, not a dict"
    for query, value in ours.items():
        expected = reference.get(query, {}).get(f"ndcg_cut_{k}", 0.0)
        assert value == pytest.approx(expected, abs=1e-6), f"query {query}"
