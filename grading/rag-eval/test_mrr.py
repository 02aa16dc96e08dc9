"""Exercise: MRR@k (evaluation/metrics.py, `reciprocal_rank`), checked through `evaluate`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import pytrec_eval
from conftest import random_case, trec_order_cut

Outputs = Callable[[str], Any]


def test_first_relevant_at_rank_three(outputs: Outputs) -> None:
    """The first relevant result at the third position gives a reciprocal rank of 1/3."""
    assert outputs("mrr.first_relevant_at_three") == pytest.approx(1 / 3)


def test_relevant_result_past_the_cutoff_scores_zero(outputs: Outputs) -> None:
    """MRR@2 is 0 when the first relevant result is at the third position."""
    assert outputs("mrr.relevant_past_cutoff") == 0.0


def test_mean_over_queries(outputs: Outputs) -> None:
    """MRR is the mean of the per-query reciprocal ranks: ranks 1 and 2 give (1 + 1/2) / 2."""
    assert outputs("mrr.mean_over_queries") == pytest.approx(0.75)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_matches_trec_eval_on_random_runs_with_ties(outputs: Outputs, k: int) -> None:
    """MRR@k per query agrees with trec_eval's recip_rank on the run cut to its first k results."""
    qrels, run = random_case(seed=200 + k)
    reference = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(
        trec_order_cut(run, k)
    )
    ours = outputs(f"mrr.random_k{k}")
    assert isinstance(ours, dict), f"per_query gave {type(ours).__name__}, not a dict"
    for query, value in ours.items():
        expected = reference.get(query, {}).get("recip_rank", 0.0)
        assert value == pytest.approx(expected, abs=1e-6), f"query {query}"
