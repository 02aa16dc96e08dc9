"""Greedy responses from the base model plus adapter: a quick look at what training learned."""

from __future__ import annotations

from pathlib import Path

import torch

from .config import TrainConfig
from .data.examples import PROMPT_TEMPLATE
from .modeling.load import load_adapter, load_base_model, load_tokenizer


def respond(
    config: TrainConfig, adapter_dir: Path, prompts: list[str], max_new_tokens: int
) -> list[str]:
    tokenizer = load_tokenizer(config.base_model)
    model = load_adapter(load_base_model(config.base_model), adapter_dir).eval()
    responses = []
    for prompt in prompts:
        ids = tokenizer.encode(PROMPT_TEMPLATE.format(prompt=prompt), add_special_tokens=False)
        if tokenizer.bos_token_id is not None:
            ids = [tokenizer.bos_token_id, *ids]
        input_ids = torch.tensor([ids])
        with torch.no_grad():
            output = model.generate(  # type: ignore[no-untyped-call]
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id,
            )
        new_tokens = output[0, len(ids) :].tolist()
        responses.append(str(tokenizer.decode(new_tokens, skip_special_tokens=True)))
    return responses
