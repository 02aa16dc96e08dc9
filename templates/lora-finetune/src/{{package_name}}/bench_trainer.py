"""The baseline: the same model, data and batch shape trained by transformers' `Trainer`.

This is what most LoRA tutorials run, so it is the yardstick for this project's loop. `Trainer`
groups by length with its own `LengthGroupedSampler`. Step times are taken between consecutive
optimizer-step ends, so batch loading counts as in our loop. `Trainer` owns its loop, so the
benchmark interleaves from inside it: every `block` steps a callback runs `between_blocks`
(our loop's blocks), and that time is left out of the Trainer's steps.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from typing import Any

import torch
from accelerate.utils import set_seed
from transformers import (
    DataCollatorForSeq2Seq,
    PreTrainedTokenizerBase,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)
from transformers.trainer_callback import PrinterCallback

from .config import TrainConfig
from .data.examples import EncodedExample
from .modeling.load import load_lora_model
from .train import StepStats, autocast


class _TokenCountingTrainer(Trainer):
    """Counts the real and padded tokens of every micro-batch it trains on."""

    real_tokens = 0
    padded_tokens = 0

    def training_step(self, model: Any, inputs: Any, num_items_in_batch: Any = None) -> Any:
        self.real_tokens += int(inputs["attention_mask"].sum())
        self.padded_tokens += int(inputs["attention_mask"].numel())
        return super().training_step(model, inputs, num_items_in_batch)


class _StepTimer(TrainerCallback):
    def __init__(
        self,
        trainer: _TokenCountingTrainer,
        warmup: int,
        block: int,
        between_blocks: Callable[[], None],
    ) -> None:
        self.trainer = trainer
        self.warmup = warmup
        self.block = block
        self.between_blocks = between_blocks
        self.stats: list[StepStats] = []
        self._last = (time.perf_counter(), 0, 0)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        now, real, padded = (
            time.perf_counter(),
            self.trainer.real_tokens,
            self.trainer.padded_tokens,
        )
        then, real_before, padded_before = self._last
        if state.global_step > self.warmup:
            self.stats.append(
                StepStats(
                    loss=float("nan"),
                    target_tokens=0,
                    real_tokens=real - real_before,
                    padded_tokens=padded - padded_before,
                    grad_norm=float("nan"),
                    seconds=now - then,
                )
            )
            if len(self.stats) % self.block == 0:
                self.between_blocks()
        self._last = (time.perf_counter(), real, padded)


def run_trainer(
    config: TrainConfig,
    examples: list[EncodedExample],
    tokenizer: PreTrainedTokenizerBase,
    steps: int,
    warmup: int,
    block: int,
    between_blocks: Callable[[], None],
) -> list[StepStats]:
    set_seed(config.seed)
    model = load_lora_model(config)
    features = [{"input_ids": e.input_ids, "labels": e.labels} for e in examples]
    with tempfile.TemporaryDirectory() as scratch:
        args = TrainingArguments(
            output_dir=scratch,
            per_device_train_batch_size=config.batch_size,
            gradient_accumulation_steps=config.grad_accum_steps,
            max_steps=warmup + steps,
            learning_rate=config.learning_rate,
            # Trainer's name for a constant rate after warmup
            lr_scheduler_type={"constant": "constant_with_warmup"}.get(
                config.lr_schedule, config.lr_schedule
            ),
            warmup_steps=config.warmup_steps,
            max_grad_norm=config.grad_clip,
            train_sampling_strategy="group_by_length",
            logging_strategy="no",
            save_strategy="no",
            report_to=[],
            disable_tqdm=True,
            use_cpu=not torch.cuda.is_available(),
            seed=config.seed,
            remove_unused_columns=False,
        )
        trainer = _TokenCountingTrainer(
            model=model,
            args=args,
            train_dataset=features,
            data_collator=DataCollatorForSeq2Seq(tokenizer, padding="longest"),
        )
        trainer.remove_callback(PrinterCallback)  # it prints the final metrics dict
        timer = _StepTimer(trainer, warmup, block, between_blocks)
        trainer.add_callback(timer)
        # bf16 as our loop has it (Trainer's bf16=True would need a second Accelerator state).
        with autocast(config, trainer.args.device):
            trainer.train()
    return timer.stats
