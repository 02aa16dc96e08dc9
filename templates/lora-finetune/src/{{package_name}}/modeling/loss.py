"""Causal-LM loss as a token sum, so gradient accumulation weights every token equally.

Averaging each micro-batch's mean loss over-weights the tokens of short micro-batches; summing
token losses and dividing once by the number of target tokens in the whole optimizer step is the
exact mean. A test checks the sum against the model's own (mean) loss.
"""

from __future__ import annotations

import torch
from torch.nn import functional

from ..data.examples import IGNORE_INDEX


def token_loss_sum(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Summed next-token cross-entropy over positions whose label is not IGNORE_INDEX."""
    shifted_logits = logits[:, :-1, :].float()
    shifted_labels = labels[:, 1:]
    return functional.cross_entropy(
        shifted_logits.reshape(-1, shifted_logits.size(-1)),
        shifted_labels.reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction="sum",
    )


def target_token_count(labels: torch.Tensor) -> int:
    """How many positions contribute to the loss (the next-token shift drops the first)."""
    return int((labels[:, 1:] != IGNORE_INDEX).sum())
