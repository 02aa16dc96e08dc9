"""Training throughput: real (non-padding) tokens/s, medians over steps, three ways.

This project's loop with `random` and with `length_grouped` batches, and transformers' `Trainer`
(its own length grouping) as the baseline, all on the same model, data and batch shape. The
three run in alternating blocks of steps, so a noisy, shared machine slows them alike: read the
ratios. Padded tokens/s is what the hardware processed; real tokens/s is what training used.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import get_args

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from transformers import get_cosine_schedule_with_warmup

from .bench_trainer import run_trainer
from .config import Batching, TrainConfig
from .data.batching import make_loader
from .data.examples import embedded_path, encode_file
from .modeling.load import add_lora, load_base_model, load_tokenizer
from .train import StepStats, endless, optimizer_step

TRAINER_ROW = "Trainer (grouped)"


@dataclass(frozen=True)
class BatchingBench:
    batching: str
    steps: int
    median_real_tokens_per_s: float
    median_padded_tokens_per_s: float
    padding_fraction: float
    median_step_ms: float


def bench_batching(
    config: TrainConfig, steps: int = 20, warmup: int = 3, block: int = 5
) -> list[BatchingBench]:
    """`steps` measured steps per row (a multiple of `block`), after `warmup` unmeasured ones."""
    block = min(block, steps)
    steps -= steps % block
    accelerator = Accelerator(mixed_precision=config.mixed_precision)
    tokenizer = load_tokenizer(config.base_model)
    data = encode_file(config.train_file or embedded_path("train"), tokenizer, config.max_length)
    runners = {}
    for batching in get_args(Batching):
        set_seed(config.seed)
        model = add_lora(load_base_model(config.base_model), config)
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad])
        scheduler = get_cosine_schedule_with_warmup(optimizer, 0, warmup + steps)
        loader = make_loader(
            data.examples,
            tokenizer.pad_token_id,
            config.batch_size,
            seed=config.seed,
            length_grouped=batching == "length_grouped",
            packed=batching == "packed",
        )
        model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
        runners[batching] = (model, optimizer, scheduler, endless(loader, accelerator))

    def run(batching: str, count: int) -> list[StepStats]:
        model, optimizer, scheduler, batches = runners[batching]
        return [
            optimizer_step(model, batches, optimizer, scheduler, accelerator, config)
            for _ in range(count)
        ]

    for batching in runners:
        run(batching, warmup)
    measured: dict[str, list[StepStats]] = {batching: [] for batching in runners}

    def our_blocks() -> None:
        for batching, stats in measured.items():
            stats.extend(run(batching, block))

    # Trainer drives: after each of its blocks of `block` steps, each of our orders runs one.
    trainer_stats = run_trainer(
        config, data.examples, tokenizer, steps, warmup, block, between_blocks=our_blocks
    )
    results = [_summarise(batching, stats) for batching, stats in measured.items()]
    return [*results, _summarise(TRAINER_ROW, trainer_stats)]


def _summarise(batching: str, stats: list[StepStats]) -> BatchingBench:
    real = sum(s.real_tokens for s in stats)
    padded = sum(s.padded_tokens for s in stats)
    return BatchingBench(
        batching=batching,
        steps=len(stats),
        median_real_tokens_per_s=statistics.median(s.real_tokens / s.seconds for s in stats),
        median_padded_tokens_per_s=statistics.median(s.padded_tokens / s.seconds for s in stats),
        padding_fraction=1 - real / padded,
        median_step_ms=statistics.median(s.seconds * 1000 for s in stats),
    )


def write_bench(results: list[BatchingBench], config: TrainConfig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "base_model": config.base_model,
        "batch_size": config.batch_size,
        "grad_accum_steps": config.grad_accum_steps,
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "torch_threads": torch.get_num_threads(),
        "results": [asdict(result) for result in results],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")


def format_table(results: list[BatchingBench]) -> str:
    baseline = results[0].median_real_tokens_per_s
    lines = [
        "| batching | real tokens/s | padded tokens/s | padding | step ms | vs random |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.batching} | {r.median_real_tokens_per_s:,.0f} | "
            f"{r.median_padded_tokens_per_s:,.0f} | {r.padding_fraction:.1%} | "
            f"{r.median_step_ms:.1f} | {r.median_real_tokens_per_s / baseline:.2f}x |"
        )
    return "\n".join(lines)
