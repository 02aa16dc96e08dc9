"""The hidden inputs both halves share: the probes compute the student's outputs on them in the
sandbox, the checks recompute the expected values on them outside it."""

from __future__ import annotations

import random

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


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


RANDOM_K = {"ndcg": (1, 5, 10), "mrr": (1, 3, 10)}
RANDOM_SEED = {"ndcg": 100, "mrr": 200}
