"""The embedded default base model: a tiny Llama-architecture causal LM with random weights.

It stands in for a real checkpoint so the whole harness runs offline on a laptop CPU; it is
saved with `save_pretrained`, so training loads it through exactly the path a hub model takes.
"""

from __future__ import annotations

from pathlib import Path

import torch
from pydantic import BaseModel, ConfigDict
from transformers import LlamaConfig, LlamaForCausalLM

from ..errors import ConfigError
from .tokenizer import build_byte_tokenizer


class TinyModelSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    hidden_size: int = 64
    intermediate_size: int = 176
    num_layers: int = 2
    num_heads: int = 4
    num_kv_heads: int = 2
    max_positions: int = 512
    # Ten times Llama's 0.02: the final RMSNorm fixes the hidden state's scale, so with a frozen
    # random lm_head at 0.02 the logits stay near uniform and LoRA cannot get the loss down.
    initializer_range: float = 0.2
    seed: int = 0


def write_tiny_model(folder: Path, spec: TinyModelSpec | None = None) -> Path:
    """Build the tiny model and its tokenizer and save both to `folder` (which must not exist)."""
    spec = spec or TinyModelSpec()
    if folder.exists():
        raise ConfigError(f"{folder} already exists; remove it or choose another --out folder")
    tokenizer = build_byte_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.num_kv_heads,
        max_position_embeddings=spec.max_positions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        initializer_range=spec.initializer_range,
    )
    torch.manual_seed(spec.seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
