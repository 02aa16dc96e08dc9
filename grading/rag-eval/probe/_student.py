"""Calls into the student's `evaluation.metrics`, shared by the probes."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

Student = Callable[[str], ModuleType]


def mean(student: Student, qrels: Any, run: Any, metric: str) -> Any:
    return student("evaluation.metrics").evaluate(qrels, run, [metric]).mean(metric)


def per_query(student: Student, qrels: Any, run: Any, metric: str) -> Any:
    return dict(student("evaluation.metrics").evaluate(qrels, run, [metric]).per_query(metric))
