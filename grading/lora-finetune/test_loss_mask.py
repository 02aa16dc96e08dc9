"""Exercise: the completion-only loss mask (data/examples.py, `mask_prompt_tokens`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from probe._inputs import random_examples

Outputs = Callable[[str], Any]


def test_prompt_positions_are_ignored(outputs: Outputs) -> None:
    """Every prompt position gets the label -100, every response position its own token id."""
    out = outputs("loss_mask.prompt_ignored")
    assert out["input_ids"] == [5, 6, 7, 8, 9]
    assert out["labels"] == [-100, -100, -100, 8, 9]
    assert out["truncated"] is False


def test_long_example_cuts_the_response_not_the_prompt(outputs: Outputs) -> None:
    """Past max_length the response is cut, the prompt kept whole, and truncated is True."""
    out = outputs("loss_mask.long_example")
    assert out["input_ids"] == [1, 2, 3, 4]
    assert out["labels"] == [-100, -100, 3, 4]
    assert out["truncated"] is True


@pytest.mark.parametrize("prompt_length", [4, 6])
def test_prompt_filling_max_length_gives_none(outputs: Outputs, prompt_length: int) -> None:
    """A prompt of max_length tokens or more leaves nothing to learn from: None."""
    assert outputs(f"loss_mask.prompt_fills_{prompt_length}") is None


def test_exact_fit_is_not_truncated(outputs: Outputs) -> None:
    """An example exactly max_length tokens long is kept whole and not marked truncated."""
    out = outputs("loss_mask.exact_fit")
    assert out["labels"] == [-100, 2, 3] and out["truncated"] is False


def test_random_examples_keep_the_invariants(outputs: Outputs) -> None:
    """On 500 random examples: same lengths, masked prompt, labels equal inputs on the response."""
    got = outputs("loss_mask.random")
    examples = random_examples()
    assert len(got["outputs"]) == len(examples)
    for (prompt, response, max_length), out in zip(examples, got["outputs"], strict=True):
        if len(prompt) >= max_length:
            assert out is None
            continue
        ids, labels = out["input_ids"], out["labels"]
        assert len(ids) == len(labels) == min(len(prompt) + len(response), max_length)
        assert labels[: len(prompt)] == [got["ignore_index"]] * len(prompt)
        assert labels[len(prompt) :] == ids[len(prompt) :]
        assert ids[: len(prompt)] == prompt
        assert out["truncated"] == (len(prompt) + len(response) > max_length)
