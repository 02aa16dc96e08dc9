"""The GPU serving path: a vLLM command generated from the run's config.

vLLM serves the base model and loads LoRA adapters next to it (`--enable-lora`), so one server
holds several fine-tunes; `--max-lora-rank` must cover the adapter's `r`. The adapter is
addressed by its name in the OpenAI-compatible API (`"model": "<run_name>"`).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from .config import TrainConfig

VLLM_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)  # the values vLLM accepts for --max-lora-rank


def vllm_serve_command(config: TrainConfig, adapter_dir: Path, port: int = 8000) -> str:
    rank = next((r for r in VLLM_RANKS if r >= config.lora_r), VLLM_RANKS[-1])
    dtype = {"bf16": "bfloat16"}.get(config.precision, "auto")
    parts = [
        "vllm",
        "serve",
        config.base_model,
        "--enable-lora",
        "--lora-modules",
        f"{config.run_name}={adapter_dir.resolve()}",
        "--max-lora-rank",
        str(rank),
        "--max-model-len",
        str(config.max_length),
        "--dtype",
        dtype,
        "--port",
        str(port),
    ]
    return shlex.join(parts)
