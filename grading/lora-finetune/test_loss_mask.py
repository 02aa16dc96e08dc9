"""Exercise: the completion-only loss mask (data/examples.py, `mask_prompt_tokens`)."""

from __future__ import annotations

import random
from types import ModuleType

import pytest


def test_prompt_positions_are_ignored(examples: ModuleType) -> None:
    """Every prompt position gets the label -100, every response position its own token id."""
    out = examples.mask_prompt_tokens([5, 6, 7], [8, 9], max_length=10)
    assert out.input_ids == [5, 6, 7, 8, 9]
    assert out.labels == [-100, -100, -100, 8, 9]
    assert out.truncated is False


def test_long_example_cuts_the_response_not_the_prompt(examples: ModuleType) -> None:
    """Past max_length the response is cut, the prompt kept whole, and truncated is True."""
    out = examples.mask_prompt_tokens([1, 2], [3, 4, 5, 6], max_length=4)
    assert out.input_ids == [1, 2, 3, 4]
    assert out.labels == [-100, -100, 3, 4]
    assert out.truncated is True


@pytest.mark.parametrize("prompt_length", [4, 6])
def test_prompt_filling_max_length_gives_none(examples: ModuleType, prompt_length: int) -> None:
    """A prompt of max_length tokens or more leaves nothing to learn from: None."""
    assert examples.mask_prompt_tokens(list(range(prompt_length)), [9, 9], max_length=4) is None


def test_exact_fit_is_not_truncated(examples: ModuleType) -> None:
    """An example exactly max_length tokens long is kept whole and not marked truncated."""
    out = examples.mask_prompt_tokens([1], [2, 3], max_length=3)
    assert out.labels == [-100, 2, 3] and out.truncated is False


def test_random_examples_keep_the_invariants(examples: ModuleType) -> None:
    """On 500 random examples: same lengths, masked prompt, labels equal inputs on the response."""
    rng = random.Random(3)
    for _ in range(500):
        prompt = [rng.randrange(1, 1000) for _ in range(rng.randrange(0, 12))]
        response = [rng.randrange(1, 1000) for _ in range(rng.randrange(1, 12))]
        max_length = rng.randrange(1, 20)
        out = examples.mask_prompt_tokens(prompt, response, max_length)
        if len(prompt) >= max_length:
            assert out is None
            continue
        assert len(out.input_ids) == len(out.labels) == min(len(prompt) + len(response), max_length)
        assert out.labels[: len(prompt)] == [examples.IGNORE_INDEX] * len(prompt)
        assert out.labels[len(prompt) :] == out.input_ids[len(prompt) :]
        assert out.input_ids[: len(prompt)] == prompt
        assert out.truncated == (len(prompt) + len(response) > max_length)
