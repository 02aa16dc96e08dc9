"""Exercise: MRR@k (evaluation/metrics.py, `reciprocal_rank`), checked through `evaluate`."""

from __future__ import annotations

from types import ModuleType

import pytest
import pytrec_eval
from conftest import random_case, trec_order_cut


def test_first_relevant_at_rank_three(metrics: ModuleType) -> None:
    """The first relevant result at the third position gives a reciprocal rank of 1/3."""
    qrels = {"q": {"c": 1, "d": 1}}
    run = {"q": {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6}}
    assert metrics.evaluate(qrels, run, ["mrr@10"]).mean("mrr@10") == pytest.approx(1 / 3)


def test_relevant_result_past_the_cutoff_scores_zero(metrics: ModuleType) -> None:
    """MRR@2 is 0 when the first relevant result is at the third position."""
    qrels = {"q": {"c": 1}}
    run = {"q": {"a": 0.9, "b": 0.8, "c": 0.7}}
    assert metrics.evaluate(qrels, run, ["mrr@2"]).mean("mrr@2") == 0.0


def test_mean_over_queries(metrics: ModuleType) -> None:
    """MRR is the mean of the per-query reciprocal ranks: ranks 1 and 2 give (1 + 1/2) / 2."""
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    run = {"q1": {"a": 1.0, "x": 0.5}, "q2": {"x": 1.0, "b": 0.5}}
    assert metrics.evaluate(qrels, run, ["mrr@10"]).mean("mrr@10") == pytest.approx(0.75)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_matches_trec_eval_on_random_runs_with_ties(metrics: ModuleType, k: int) -> None:
    """MRR@k per query agrees with trec_eval's recip_rank on the run cut to its first k results."""
    qrels, run = random_case(seed=200 + k)
    reference = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(
        trec_order_cut(run, k)
    )
    ours = metrics.evaluate(qrels, run, [f"mrr@{k}"]).per_query(f"mrr@{k}")
    for query, value in ours.items():
        expected = reference.get(query, {}).get("recip_rank", 0.0)
        assert value == pytest.approx(expected, abs=1e-6), f"query {query}"
