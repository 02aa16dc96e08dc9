"""LoRA fine-tuning, top to bottom: config, data, model, loop, evaluation, save.

Runs as is on one CPU or GPU (`<cli> train`), and unchanged on several GPUs or machines under
`accelerate launch` (configs/accelerate/): the Accelerator places the model, wraps it in DDP,
shards the training batches; with `precision: bf16` the forward pass runs under autocast.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch.utils.data import DataLoader
from transformers import (
    get_constant_schedule_with_warmup,
    get_cosine_schedule_with_warmup,
    get_linear_schedule_with_warmup,
)

from .checkpoint import (
    LoopState,
    load_checkpoint,
    prepare_run_dir,
    save_checkpoint,
    write_config_snapshot,
)
from .config import TrainConfig
from .data.batching import (
    Batch,
    BatchOrder,
    make_eval_loader,
    make_loader,
    model_inputs,
    real_tokens,
)
from .data.examples import EncodedExample, embedded_path, encode_file
from .errors import TrainingDivergedError
from .evaluate import EvalResult, evaluate_loss
from .metrics import MetricsLog
from .modeling.load import check_quantization, load_lora_model, load_tokenizer
from .modeling.loss import target_token_count, token_loss_sum


@dataclass(frozen=True)
class StepStats:
    loss: float  # exact token mean over the whole optimizer step, all processes
    target_tokens: int  # response tokens the loss was computed on
    real_tokens: int  # non-padding tokens processed (the throughput that counts)
    padded_tokens: int  # every position processed, padding included
    grad_norm: float
    seconds: float


@dataclass(frozen=True)
class TrainSummary:
    run_dir: Path
    first_loss: float
    final_loss: float
    final_eval_loss: float
    losses: list[float]


class NonFiniteLossError(ArithmeticError):
    """The loss or the gradient norm of an optimizer step is NaN or infinite."""


def endless(
    loader: DataLoader[EncodedExample], accelerator: Accelerator, start: int = 0
) -> Iterator[Batch]:
    """Batches forever, each pass over the data reshuffled (see BatchOrder); `start` skips the
    first `start` batches of this process, so a resumed run sees what the stopped one would."""
    per_pass = len(loader)
    order = _batch_order(loader)
    order.epoch = start // per_pass
    if start % per_pass:
        yield from accelerator.skip_first_batches(loader, start % per_pass)
    while True:
        yield from loader


def _batch_order(loader: DataLoader[EncodedExample]) -> BatchOrder:
    sampler: object = loader.batch_sampler
    while not isinstance(sampler, BatchOrder):  # accelerate wraps it to shard across processes
        sampler = getattr(sampler, "batch_sampler", None)
        if sampler is None:
            raise TypeError("the training loader does not batch with BatchOrder")
    return sampler


def autocast(config: TrainConfig, device: torch.device) -> torch.autocast:
    """`precision: bf16`: matmuls in bf16, reductions and the loss in fp32 (torch's autocast)."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.precision == "bf16")


def make_schedule(
    optimizer: torch.optim.Optimizer, config: TrainConfig, total_steps: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """Linear warmup from 0 over `warmup_steps`, then constant, linear to 0, or cosine to 0."""
    scheduler: torch.optim.lr_scheduler.LRScheduler
    if config.lr_schedule == "constant":
        scheduler = get_constant_schedule_with_warmup(optimizer, config.warmup_steps)
    elif config.lr_schedule == "linear":
        scheduler = get_linear_schedule_with_warmup(  # type: ignore[no-untyped-call]
            optimizer, config.warmup_steps, total_steps
        )
    else:
        scheduler = get_cosine_schedule_with_warmup(optimizer, config.warmup_steps, total_steps)
    return scheduler


def optimizer_step(
    model: torch.nn.Module,
    batches: Iterator[Batch],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    accelerator: Accelerator,
    config: TrainConfig,
) -> StepStats:
    """One optimizer step over `grad_accum_steps` micro-batches."""
    start = time.perf_counter()
    micro_batches = [next(batches) for _ in range(config.grad_accum_steps)]
    local = torch.tensor([target_token_count(b["labels"]) for b in micro_batches]).sum()
    global_targets = int(accelerator.reduce(local.to(accelerator.device), "sum"))
    # DDP averages gradients over processes, so scaling each process's token-sum loss by
    # world_size / all targets makes the update the exact mean over every target token.
    scale = accelerator.num_processes / max(global_targets, 1)
    model.train()
    loss_sum = torch.zeros((), device=accelerator.device)
    for index, batch in enumerate(micro_batches):
        last = index == len(micro_batches) - 1
        # Gradients are all-reduced once per optimizer step, on the last micro-batch.
        with contextlib.nullcontext() if last else accelerator.no_sync(model):
            with autocast(config, accelerator.device):
                logits = model(**model_inputs(batch))
                loss = token_loss_sum(logits.logits, batch["labels"])
            accelerator.backward(loss * scale)
        loss_sum += loss.detach()
    grad_norm = accelerator.clip_grad_norm_(model.parameters(), config.grad_clip)
    norm = float(grad_norm) if grad_norm is not None else float("nan")
    real = sum(real_tokens(b) for b in micro_batches)
    padded = sum(b["input_ids"].numel() for b in micro_batches)
    totals = torch.tensor([float(loss_sum), real, padded], device=accelerator.device)
    loss_total, real_total, padded_total = accelerator.reduce(totals, "sum").tolist()
    loss_mean = loss_total / max(global_targets, 1)
    # Checked before the update, on values every process shares, so all stop together and
    # the weights are never touched by a NaN.
    if not (math.isfinite(loss_mean) and math.isfinite(norm)):
        optimizer.zero_grad(set_to_none=True)
        raise NonFiniteLossError(f"loss {loss_mean}, gradient norm {norm}")
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return StepStats(
        loss=loss_mean,
        target_tokens=global_targets,
        real_tokens=int(real_total),
        padded_tokens=int(padded_total),
        grad_norm=norm,
        seconds=time.perf_counter() - start,
    )


def log_train_window(
    step: int,
    window: list[StepStats],
    lr: float,
    say: Callable[[str], None],
    metrics: MetricsLog | None,
) -> None:
    """One line and one metrics record for the steps since the last log."""
    targets = sum(s.target_tokens for s in window)
    real = sum(s.real_tokens for s in window)
    loss = sum(s.loss * s.target_tokens for s in window) / max(targets, 1)
    real_per_s = real / sum(s.seconds for s in window)
    padding = 1 - real / sum(s.padded_tokens for s in window)
    say(
        f"step {step:>5} | loss {loss:.4f} | lr {lr:.2e} | "
        f"{real_per_s:,.0f} real tok/s | padding {padding:.0%}"
    )
    if metrics:
        metrics.write(
            kind="train",
            step=step,
            loss=loss,
            lr=lr,
            real_tokens_per_s=real_per_s,
            padding_fraction=padding,
            grad_norm=window[-1].grad_norm,
        )


def log_eval(
    step: int, evaluation: EvalResult, say: Callable[[str], None], metrics: MetricsLog | None
) -> None:
    say(f"step {step:>5} | eval loss {evaluation.loss:.4f} | ppl {evaluation.perplexity:.2f}")
    if metrics:
        metrics.write(
            kind="eval", step=step, loss=evaluation.loss, perplexity=evaluation.perplexity
        )


def train(
    config: TrainConfig,
    resume: bool = False,
    overwrite: bool = False,
    after_step: Callable[[int], None] | None = None,
) -> TrainSummary:
    """Train, checkpointing every `save_interval` steps; `resume` continues the last checkpoint.

    `after_step(step)` runs after each optimizer step (progress reporting; tests use it to stop
    a run the way a kill would).
    """
    check_quantization(config.quantization)  # 4-bit needs CUDA: fail before any work
    accelerator = Accelerator()
    set_seed(config.seed)
    say = accelerator.print  # only the main process prints
    run_dir = config.run_dir
    checkpoint = prepare_run_dir(config, accelerator, resume=resume, overwrite=overwrite)

    # -- data: prompt-masked examples, batched by the configured order ----------------------
    tokenizer = load_tokenizer(config.base_model)
    train_data = encode_file(
        config.train_file or embedded_path("train"), tokenizer, config.max_length
    )
    eval_data = encode_file(
        config.eval_file or embedded_path("validation"), tokenizer, config.max_length
    )
    say(train_data.summary("train"))
    say(eval_data.summary("validation"))
    pad_id = tokenizer.pad_token_id
    train_loader = make_loader(
        train_data.examples,
        pad_id,
        config.batch_size,
        seed=config.seed,
        length_grouped=config.batching == "length_grouped",
        packed=config.batching == "packed",
    )
    eval_loader = make_eval_loader(eval_data.examples, pad_id, config.batch_size)

    # -- model: frozen base (fp32, bf16 or 4-bit) + LoRA adapters ---------------------------
    model = load_lora_model(config)
    trainable, total = model.get_nb_trainable_parameters()
    say(f"model {config.base_model}: {trainable:,} trainable of {total:,} parameters")
    say(f"{accelerator.num_processes} process(es), {accelerator.distributed_type.value}")

    # -- optimizer and schedule -------------------------------------------------------------
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
    )
    model, optimizer, train_loader = accelerator.prepare(model, optimizer, train_loader)
    # max_steps, or epochs over this process's share of the batches (known once prepared).
    total_steps = config.total_steps(len(train_loader))
    # The scheduler stays unprepared: it steps once per optimizer step, whatever the world size.
    scheduler = make_schedule(optimizer, config, total_steps)

    # -- where to start: step 0, or the checkpoint a stopped run left -----------------------
    state = LoopState(step=0, losses=[], metrics_lines=0)
    if checkpoint is not None:
        state = load_checkpoint(checkpoint, model, optimizer, scheduler, accelerator)
        say(f"resuming from {checkpoint} (step {state.step} of {total_steps})")
    elif accelerator.is_main_process:
        write_config_snapshot(config, run_dir)
    metrics = None
    if accelerator.is_main_process:
        metrics = MetricsLog(run_dir / "metrics.jsonl", keep_lines=state.metrics_lines)

    # -- loop -------------------------------------------------------------------------------
    def validate() -> EvalResult:
        with autocast(config, accelerator.device):
            return evaluate_loss(model, eval_loader, accelerator.device)

    if state.step == 0:
        log_eval(0, validate(), say, metrics)
    evaluation: EvalResult | None = None
    batches = endless(train_loader, accelerator, start=state.step * config.grad_accum_steps)
    losses = list(state.losses)
    window: list[StepStats] = []
    say(f"{total_steps} optimizer steps, {config.lr_schedule} schedule, {config.precision}")
    for step in range(state.step + 1, total_steps + 1):
        try:
            stats = optimizer_step(model, batches, optimizer, scheduler, accelerator, config)
        except NonFiniteLossError as err:
            if metrics:
                metrics.close()
            raise TrainingDivergedError(
                f"training diverged at step {step} ({err}, learning_rate "
                f"{config.learning_rate:g}); stopped without saving a final adapter"
            ) from None
        losses.append(stats.loss)
        window.append(stats)
        if step % config.log_interval == 0 or step == total_steps:
            log_train_window(step, window, float(scheduler.get_last_lr()[0]), say, metrics)
            window = []
        if step % config.eval_interval == 0 or step == total_steps:
            evaluation = validate()
            log_eval(step, evaluation, say, metrics)
        if step % config.save_interval == 0 or step == total_steps:
            lines = metrics.lines if metrics else 0
            state = LoopState(step=step, losses=losses, metrics_lines=lines)
            save_checkpoint(
                run_dir, model, optimizer, scheduler, state, accelerator, config.keep_checkpoints
            )
        if after_step is not None:
            after_step(step)
    if evaluation is None:  # resumed from the last step's checkpoint: nothing left to train
        evaluation = validate()

    # -- save: the adapter (kilobytes to megabytes) and its tokenizer, in one rename ---------
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        adapter_dir = run_dir / "adapter"
        scratch = run_dir / "adapter.partial"
        shutil.rmtree(scratch, ignore_errors=True)
        accelerator.unwrap_model(model).save_pretrained(scratch)
        tokenizer.save_pretrained(scratch)
        scratch.rename(adapter_dir)
        say(f"saved adapter to {adapter_dir}")
    say(f"train loss {losses[0]:.4f} -> {losses[-1]:.4f}, eval loss {evaluation.loss:.4f}")
    if metrics:
        metrics.close()
    return TrainSummary(
        run_dir=run_dir,
        first_loss=losses[0],
        final_loss=losses[-1],
        final_eval_loss=evaluation.loss,
        losses=losses,
    )
