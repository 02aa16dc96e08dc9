"""Outputs of the student's `data.examples.mask_prompt_tokens` on hidden inputs."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from _inputs import random_examples

Student = Callable[[str], ModuleType]


def mask(student: Student, prompt: list[int], response: list[int], max_length: int) -> Any:
    out = student("data.examples").mask_prompt_tokens(prompt, response, max_length)
    if out is None:
        return None
    return {"input_ids": out.input_ids, "labels": out.labels, "truncated": out.truncated}


def case_prompt_ignored(student: Student) -> Any:
    return mask(student, [5, 6, 7], [8, 9], max_length=10)


def case_long_example(student: Student) -> Any:
    return mask(student, [1, 2], [3, 4, 5, 6], max_length=4)


def case_prompt_fills_4(student: Student) -> Any:
    return mask(student, list(range(4)), [9, 9], max_length=4)


def case_prompt_fills_6(student: Student) -> Any:
    return mask(student, list(range(6)), [9, 9], max_length=4)


def case_exact_fit(student: Student) -> Any:
    return mask(student, [1], [2, 3], max_length=3)


def case_random(student: Student) -> Any:
    ignore = student("data.examples").IGNORE_INDEX
    return {"ignore_index": ignore, "outputs": [mask(student, *e) for e in random_examples()]}
