"""The student's package, imported by name (MLPATH_PACKAGE, set by `mlpath classroom grade`)."""

from __future__ import annotations

import importlib
import os
import random
from types import ModuleType

import pytest

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


@pytest.fixture(scope="session")
def metrics() -> ModuleType:
    return importlib.import_module(f"{os.environ['MLPATH_PACKAGE']}.evaluation.metrics")


def random_case(seed: int, queries: int = 200) -> tuple[Qrels, Run]:
    """Graded and negative judgements, tied scores, queries missing from the run."""
    rng = random.Random(seed)
    qrels: Qrels = {}
    run: Run = {}
    for q in range(queries):
        pool = [f"doc{rng.randrange(300)}" for _ in range(50)]
        qrels[f"q{q}"] = {d: rng.choice([-1, 0, 0, 1, 1, 2, 3]) for d in rng.sample(pool, 8)}
        if rng.random() < 0.1:
            continue
        run[f"q{q}"] = {d: round(rng.random(), 1) for d in pool[: rng.randrange(0, 40)]}
    return qrels, run


def trec_order_cut(run: Run, k: int) -> Run:
    """The first k results in trec_eval's order (score, then document id, both descending)."""
    return {
        q: dict(sorted(docs.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:k])
        for q, docs in run.items()
    }
