"""nDCG@k outputs of the student's `evaluate` (evaluation/metrics.py, `ndcg`) on hidden inputs."""

from __future__ import annotations

from typing import Any

from _inputs import RANDOM_K, RANDOM_SEED, random_case
from _student import Student, mean, per_query


def case_perfect_ranking(student: Student) -> Any:
    qrels = {"q": {"a": 3, "b": 2, "c": 1}}
    run = {"q": {"a": 3.0, "b": 2.0, "c": 1.0, "x": 0.5}}
    return mean(student, qrels, run, "ndcg@10")


def case_hand_computed(student: Student) -> Any:
    qrels = {"q": {"a": 1, "b": 3, "c": 0}}
    run = {"q": {"c": 0.9, "a": 0.8, "b": 0.7}}
    return mean(student, qrels, run, "ndcg@3")


def case_relevant_never_retrieved(student: Student) -> Any:
    return mean(student, {"q": {"a": 1, "z": 1}}, {"q": {"a": 1.0}}, "ndcg@10")


def case_no_relevant_document(student: Student) -> Any:
    return mean(student, {"q": {"a": 0}}, {"q": {"a": 1.0}}, "ndcg@5")


def random_runs(k: int) -> Any:
    def case(student: Student) -> Any:
        qrels, run = random_case(seed=RANDOM_SEED["ndcg"] + k)
        return per_query(student, qrels, run, f"ndcg@{k}")

    return case


for _k in RANDOM_K["ndcg"]:
    globals()[f"case_random_k{_k}"] = random_runs(_k)
