"""MRR@k outputs of the student's `evaluate` (evaluation/metrics.py, `reciprocal_rank`)."""

from __future__ import annotations

from typing import Any

from _inputs import RANDOM_K, RANDOM_SEED, random_case
from _student import Student, mean, per_query


def case_first_relevant_at_three(student: Student) -> Any:
    qrels = {"q": {"c": 1, "d": 1}}
    run = {"q": {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6}}
    return mean(student, qrels, run, "mrr@10")


def case_relevant_past_cutoff(student: Student) -> Any:
    return mean(student, {"q": {"c": 1}}, {"q": {"a": 0.9, "b": 0.8, "c": 0.7}}, "mrr@2")


def case_mean_over_queries(student: Student) -> Any:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    run = {"q1": {"a": 1.0, "x": 0.5}, "q2": {"x": 1.0, "b": 0.5}}
    return mean(student, qrels, run, "mrr@10")


def random_runs(k: int) -> Any:
    def case(student: Student) -> Any:
        qrels, run = random_case(seed=RANDOM_SEED["mrr"] + k)
        return per_query(student, qrels, run, f"mrr@{k}")

    return case


for _k in RANDOM_K["mrr"]:
    globals()[f"case_random_k{_k}"] = random_runs(_k)
