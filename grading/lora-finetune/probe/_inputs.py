"""The hidden inputs both halves share (the probes in the sandbox, the checks outside it)."""

from __future__ import annotations

import random

Example = tuple[list[int], list[int], int]  # prompt, response, max_length


def random_examples(count: int = 500) -> list[Example]:
    rng = random.Random(3)
    examples = []
    for _ in range(count):
        prompt = [rng.randrange(1, 1000) for _ in range(rng.randrange(0, 12))]
        response = [rng.randrange(1, 1000) for _ in range(rng.randrange(1, 12))]
        examples.append((prompt, response, rng.randrange(1, 20)))
    return examples
