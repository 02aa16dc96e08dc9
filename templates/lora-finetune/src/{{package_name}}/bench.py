"""Training throughput and memory: real (non-padding) tokens/s, medians over steps, four ways.

This project's loop with `random`, `length_grouped` and `packed` batches, and transformers'
`Trainer` (its own length grouping) as the baseline, all on the same model, data and batch
shape. They run in alternating blocks of steps, so a noisy, shared machine slows them alike:
read the ratios. Padded tokens/s is what the hardware processed; real tokens/s is what training
used. Peak memory is measured apart, one row at a time (see `peak_memory_mib`).
"""

from __future__ import annotations

import json
import multiprocessing
import platform
import resource
import statistics
from collections.abc import Callable
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
from .data.examples import EncodedExample, embedded_path, encode_file
from .modeling.load import load_lora_model, load_tokenizer
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
    peak_memory_mib: float | None = None  # above the loaded model (see peak_memory_mib)


def bench_batching(
    config: TrainConfig, steps: int = 20, warmup: int = 3, block: int = 5
) -> list[BatchingBench]:
    """`steps` measured steps per row (a multiple of `block`), after `warmup` unmeasured ones."""
    block = min(block, steps)
    steps -= steps % block
    tokenizer = load_tokenizer(config.base_model)
    data = encode_file(config.train_file or embedded_path("train"), tokenizer, config.max_length)
    pad_id = tokenizer.pad_token_id
    # Memory first, each row in a process of its own, before this one has trained anything.
    rows = [*get_args(Batching), TRAINER_ROW]
    memory = {row: peak_memory_mib(config, data.examples, pad_id, row) for row in rows}

    accelerator = Accelerator()
    runners = {}
    for batching in get_args(Batching):
        runners[batching] = make_runner(config, data.examples, pad_id, batching, accelerator)

    for run in runners.values():
        run(warmup)
    measured: dict[str, list[StepStats]] = {batching: [] for batching in runners}

    def our_blocks() -> None:
        for batching, stats in measured.items():
            stats.extend(runners[batching](block))

    # Trainer drives: after each of its blocks of `block` steps, each of our orders runs one.
    trainer_stats = run_trainer(
        config, data.examples, tokenizer, steps, warmup, block, between_blocks=our_blocks
    )
    results = [summarise(name, stats, memory[name]) for name, stats in measured.items()]
    return [*results, summarise(TRAINER_ROW, trainer_stats, memory[TRAINER_ROW])]


Runner = Callable[[int], list[StepStats]]


def make_runner(
    config: TrainConfig,
    examples: list[EncodedExample],
    pad_id: int,
    batching: str,
    accelerator: Accelerator,
    make_model: Callable[[TrainConfig], torch.nn.Module] = load_lora_model,
) -> Runner:
    """A fresh model, optimizer and batch stream; calling it runs that many optimizer steps."""
    set_seed(config.seed)
    model = make_model(config)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad])
    scheduler = get_cosine_schedule_with_warmup(optimizer, 0, 10_000)
    loader = make_loader(
        examples,
        pad_id,
        config.batch_size,
        seed=config.seed,
        length_grouped=batching == "length_grouped",
        packed=batching == "packed",
    )
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    batches = endless(loader, accelerator)

    def run(count: int) -> list[StepStats]:
        return [
            optimizer_step(model, batches, optimizer, scheduler, accelerator, config)
            for _ in range(count)
        ]

    return run


def peak_memory_mib(
    config: TrainConfig,
    examples: list[EncodedExample],
    pad_id: int,
    row: str,
    steps: int = 3,
) -> float:
    """Peak memory of `steps` training steps of one row, above the memory of the loaded model.

    On CPU, in a forked process of its own: its peak resident set (ru_maxrss) minus its resident
    set once the model is loaded, so one row's high-water mark does not hide the next one's.
    On CUDA, in this process: the allocator's peak minus what was allocated before the steps.
    """
    if torch.cuda.is_available():
        return _measure_memory(config, examples, pad_id, row, steps)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(_measure_memory, (config, examples, pad_id, row, steps))


def _measure_memory(
    config: TrainConfig, examples: list[EncodedExample], pad_id: int, row: str, steps: int
) -> float:
    cuda = torch.cuda.is_available()
    if not cuda:
        torch.set_num_threads(1)  # a forked child must not reuse the parent's OpenMP pool
    run: Runner
    if row == TRAINER_ROW:
        tokenizer = load_tokenizer(config.base_model)

        def run_trainer_steps(count: int) -> list[StepStats]:
            return run_trainer(config, examples, tokenizer, count, 0, count, lambda: None)

        run = run_trainer_steps
    else:
        run = make_runner(config, examples, pad_id, row, Accelerator())
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        allocated = torch.cuda.memory_allocated()
        run(steps)
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - allocated) / 2**20
    before = _resident_mib()
    run(steps)
    peak_kib: int = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return peak_kib / 1024 - before


def _resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise OSError("no VmRSS in /proc/self/status (peak memory is measured on Linux)")


def summarise(batching: str, stats: list[StepStats], memory: float | None) -> BatchingBench:
    real = sum(s.real_tokens for s in stats)
    padded = sum(s.padded_tokens for s in stats)
    return BatchingBench(
        batching=batching,
        steps=len(stats),
        median_real_tokens_per_s=statistics.median(s.real_tokens / s.seconds for s in stats),
        median_padded_tokens_per_s=statistics.median(s.padded_tokens / s.seconds for s in stats),
        padding_fraction=1 - real / padded,
        median_step_ms=statistics.median(s.seconds * 1000 for s in stats),
        peak_memory_mib=memory,
    )


def write_bench(results: list[BatchingBench], config: TrainConfig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "base_model": config.base_model,
        "batch_size": config.batch_size,
        "grad_accum_steps": config.grad_accum_steps,
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "machine": machine_description(),
        "torch_threads": torch.get_num_threads(),
        "precision": config.precision,
        "gradient_checkpointing": config.gradient_checkpointing,
        "results": [asdict(result) for result in results],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")


def machine_description() -> str:
    """The machine and how busy it was: CPU count and 1-minute load, or the GPU's name."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name()
    load = ""
    loadavg = Path("/proc/loadavg")
    if loadavg.is_file():
        load = f", load average {loadavg.read_text().split()[0]}"
    cpus = multiprocessing.cpu_count()
    return f"{platform.machine()} CPU, {cpus} cores{load}"


def format_table(results: list[BatchingBench]) -> str:
    baseline = results[0].median_real_tokens_per_s
    lines = [
        "| batching | real tokens/s | padded tokens/s | padding | step ms | peak memory MiB "
        "| vs random |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        memory = f"{r.peak_memory_mib:,.0f}" if r.peak_memory_mib is not None else "-"
        lines.append(
            f"| {r.batching} | {r.median_real_tokens_per_s:,.0f} | "
            f"{r.median_padded_tokens_per_s:,.0f} | {r.padding_fraction:.1%} | "
            f"{r.median_step_ms:.1f} | {memory} | {r.median_real_tokens_per_s / baseline:.2f}x |"
        )
    return "\n".join(lines)
