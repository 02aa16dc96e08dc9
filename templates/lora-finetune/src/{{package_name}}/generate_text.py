"""Greedy responses, batched: what evaluation scores and what `generate` prints.

Prompts are built by `prompt_token_ids` (the chat template where the tokenizer has one), left-
padded into one batch, and decoded greedily until EOS or `max_new_tokens`.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import PreTrainedTokenizerBase

from .config import TrainConfig
from .data.examples import prompt_token_ids
from .modeling.load import load_adapter, load_base_model, load_tokenizer


@torch.no_grad()
def generate_responses(
    model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[str],
    max_new_tokens: int,
    batch_size: int = 16,
) -> list[str]:
    """One greedy response per prompt (special tokens dropped), in the order given."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    responses: list[str] = []
    for start in range(0, len(prompts), batch_size):
        encoded = [prompt_token_ids(p, tokenizer) for p in prompts[start : start + batch_size]]
        width = max(len(ids) for ids in encoded)
        # Left padding: every prompt ends at the same position, where generation starts.
        input_ids = torch.full((len(encoded), width), tokenizer.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(encoded), width), dtype=torch.long)
        for row, ids in enumerate(encoded):
            input_ids[row, width - len(ids) :] = torch.tensor(ids)
            attention_mask[row, width - len(ids) :] = 1
        output = model.generate(  # type: ignore[operator]
            input_ids=input_ids.to(device),
            attention_mask=attention_mask.to(device),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
        for row in output[:, width:].tolist():
            responses.append(str(tokenizer.decode(row, skip_special_tokens=True)))
    model.train(was_training)
    return responses


def respond(
    config: TrainConfig, adapter_dir: Path, prompts: list[str], max_new_tokens: int
) -> list[str]:
    """Greedy responses of base + adapter, loaded from disk."""
    tokenizer = load_tokenizer(config.base_model)
    model = load_adapter(load_base_model(config.base_model), adapter_dir)
    return generate_responses(model, tokenizer, prompts, max_new_tokens)
