"""The GPU benchmark: the default GPU recipe (configs/gpu.yaml) against the padded plain loop.

The model has Qwen2.5-0.5B's architecture, built from its config values below with random
weights (nothing is downloaded; throughput does not depend on the weights' values), in bf16,
with LoRA r=16 on every linear layer, trained on variable-length examples in batches of 8 of up
to 1024 tokens. Rows, in alternating blocks of steps as in `make bench`:

- `random`: padded per batch, the plain loop most tutorials run;
- `length_grouped`: padded, similar lengths batched together;
- `packed`: the recipe's batching, the 8 examples end to end in one row, no padding and no
  cross-contamination (position ids restart per example; transformers gives SDPA a
  block-diagonal mask).

`make bench-gpu` runs it (a few minutes on one H100 or H200) and writes reports/gpu-bench.json
and reports/gpu-bench.md; it refuses to run without CUDA. `--smoke` runs the same code at a toy
size on any device, which is how the test suite keeps it working on a CPU.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, get_args

import torch
from accelerate import Accelerator
from transformers import AutoModelForCausalLM, Qwen2Config

from .bench import BatchingBench, Runner, format_table, make_runner, summarise
from .config import Batching, TrainConfig
from .data.examples import IGNORE_INDEX, EncodedExample
from .errors import ConfigError
from .modeling.load import DTYPES, add_lora
from .train import StepStats

# Qwen/Qwen2.5-0.5B's config.json, written in (no hub).
QWEN25_05B: dict[str, Any] = {
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "vocab_size": 151936,
    "max_position_embeddings": 32768,
    "rope_theta": 1_000_000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": True,
}
TOY: dict[str, Any] = {
    **QWEN25_05B,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "vocab_size": 512,
}


@dataclass(frozen=True)
class BenchSize:
    model: dict[str, Any]
    batch_size: int = 8
    max_length: int = 1024
    examples: int = 640
    warmup: int = 5  # unmeasured steps per row (kernel selection, allocator warm-up)
    steps: int = 30  # measured steps per row, in blocks of `block`
    block: int = 5
    lora: dict[str, Any] = field(
        default_factory=lambda: {
            "lora_r": 16,
            "lora_alpha": 32,
            "lora_target_modules": "all-linear",
        }
    )


FULL = BenchSize(model=QWEN25_05B)
SMOKE = BenchSize(model=TOY, batch_size=2, max_length=64, examples=32, warmup=1, steps=2, block=1)


def variable_length_examples(
    count: int, max_length: int, vocab: int, seed: int = 0
) -> list[EncodedExample]:
    """Instruction-like examples: log-normal lengths (median a quarter of `max_length`, clipped
    to 8..max_length), the first 30% of each a masked prompt."""
    rng = random.Random(seed)
    examples = []
    for _ in range(count):
        length = int(min(max(rng.lognormvariate(0, 0.8) * max_length / 4, 8), max_length))
        ids = [rng.randrange(3, vocab) for _ in range(length)]
        prompt = max(1, int(length * 0.3))
        examples.append(
            EncodedExample(input_ids=ids, labels=[IGNORE_INDEX] * prompt + ids[prompt:])
        )
    return examples


def run_gpu_bench(recipe: TrainConfig, out_dir: Path, smoke: bool = False) -> Path:
    """Measure every batching row with the recipe's other settings; write gpu-bench.json/.md."""
    if not smoke and not torch.cuda.is_available():
        raise ConfigError(
            "bench-gpu needs a CUDA GPU and this machine has none (--smoke runs a toy size "
            "on any device)"
        )
    size = SMOKE if smoke else FULL
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    settings = recipe.model_copy(
        update={
            "batch_size": size.batch_size,
            "grad_accum_steps": 1,
            "max_length": size.max_length,
            "quantization": "none",
            **size.lora,
        }
    )
    model_config = Qwen2Config(**size.model)

    def make_model(config: TrainConfig) -> torch.nn.Module:
        with device:  # random init on the GPU itself: seconds, not a minute on the CPU
            model = AutoModelForCausalLM.from_config(  # type: ignore[no-untyped-call]
                model_config, dtype=DTYPES[config.precision], attn_implementation="sdpa"
            )
        return add_lora(model, config)

    examples = variable_length_examples(size.examples, size.max_length, model_config.vocab_size)
    accelerator = Accelerator()
    rows = list(get_args(Batching))
    runners: dict[str, Runner] = {
        row: make_runner(
            settings.model_copy(update={"batching": row}), examples, 0, row, accelerator, make_model
        )
        for row in rows
    }
    for run in runners.values():
        run(size.warmup)
    stats: dict[str, list[StepStats]] = {row: [] for row in rows}
    peak: dict[str, float] = dict.fromkeys(rows, 0.0)
    for _ in range(size.steps // size.block):
        for row in rows:
            before = _reset_peak_memory()
            stats[row] += runners[row](size.block)
            peak[row] = max(peak[row], _peak_allocated() - before)
    results = [
        summarise(row, stats[row], peak[row] if device.type == "cuda" else None) for row in rows
    ]
    return write_gpu_bench(results, settings, size, device, out_dir)


def _reset_peak_memory() -> float:
    """Start a new peak; return what is allocated now (MiB), the weights and optimizer state."""
    if not torch.cuda.is_available():
        return 0.0
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    return torch.cuda.memory_allocated() / 2**20


def _peak_allocated() -> float:
    if not torch.cuda.is_available():
        return 0.0
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() / 2**20


def write_gpu_bench(
    results: list[BatchingBench],
    settings: TrainConfig,
    size: BenchSize,
    device: torch.device,
    out_dir: Path,
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    name = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
    by_row = {r.batching: r for r in results}
    speedup = by_row["packed"].median_real_tokens_per_s / by_row["random"].median_real_tokens_per_s
    payload = {
        "device": name,
        "torch": torch.__version__,
        "model": size.model,
        "batch_size": size.batch_size,
        "max_length": size.max_length,
        "measured_steps_per_row": size.steps,
        "precision": settings.precision,
        "gradient_checkpointing": settings.gradient_checkpointing,
        "lora": size.lora,
        "packed_vs_padded": speedup,
        "results": [asdict(r) for r in results],
    }
    (out_dir / "gpu-bench.json").write_text(json.dumps(payload, indent=2) + "\n")
    lines = [
        "# GPU benchmark",
        "",
        f"Written by `make bench-gpu` on {name} (torch {torch.__version__}): a "
        f"{size.model['num_hidden_layers']}-layer, hidden {size.model['hidden_size']} "
        f"Qwen2.5-0.5B-architecture model with random weights, {settings.precision}, LoRA "
        f"r={size.lora['lora_r']} on all linear layers, batches of {size.batch_size} examples "
        f"of up to {size.max_length} tokens (log-normal lengths). Medians over "
        f"{size.steps} steps per row, rows alternating in blocks of {size.block}; peak memory is "
        "the allocator's peak above the resident weights during a row's steps.",
        "",
        format_table(results),
        "",
        f"Packed (the default GPU recipe) vs padded per batch: {speedup:.2f}x real tokens/s.",
        "",
    ]
    report = out_dir / "gpu-bench.md"
    report.write_text("\n".join(lines))
    return report
