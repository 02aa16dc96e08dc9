"""A pytest plugin for the trusted half of a split suite (`-p _mlpath_checker`): the suite's
tests run outside the sandbox, with no student code on the path, and read the student's outputs
through the `outputs` fixture. It imports nothing of mlpath (it runs in the grading environment).

`outputs("ndcg.perfect_ranking")` is the value the student's code returned for that case, or
raises: StudentRaisedError (their code raised; the message starts with the exception's type),
StudentTimedOutError (it ran past the limit per test) or StudentNoOutputError (the run ended before
the case, or the case never ran).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest

_OUTPUTS: dict[str, dict[str, Any]] = json.loads(
    open(os.environ["MLPATH_OUTPUTS"], encoding="utf-8").read()  # noqa: SIM115
)


class StudentRaisedError(Exception):
    pass


class StudentTimedOutError(Exception):
    pass


class StudentNoOutputError(Exception):
    pass


def output_of(case: str) -> Any:
    record = _OUTPUTS.get(case)
    if record is None:
        raise StudentNoOutputError(f"no output for {case}: the run ended before it")
    if "error" in record:
        raise StudentRaisedError(record["error"])
    if record.get("timed_out"):
        raise StudentTimedOutError(f"{case}: took longer than the limit per test")
    return record["value"]


@pytest.fixture(scope="session")
def outputs() -> Callable[[str], Any]:
    return output_of
