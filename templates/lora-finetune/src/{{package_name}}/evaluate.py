"""Evaluation: loss and perplexity over response tokens, and the task metric on the test split.

`evaluate_loss` is the validation loss watched during training. `evaluate_adapter` is the final
word (`make eval`): the base model and base + adapter on the held-out test split, each with
loss, perplexity and exact match of greedy responses, with bootstrap intervals.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from .config import TrainConfig
from .data.batching import make_eval_loader
from .data.examples import EncodedExample, embedded_path, encode_file, read_records
from .generate_text import generate_responses
from .modeling.load import load_adapter, load_base_model, load_tokenizer
from .modeling.loss import target_token_count, token_loss_sum
from .task_metrics import bootstrap_mean, exact_match, paired_difference


@dataclass(frozen=True)
class EvalResult:
    loss: float
    perplexity: float
    target_tokens: int


@torch.no_grad()
def evaluate_loss(
    model: torch.nn.Module, loader: DataLoader[EncodedExample], device: torch.device
) -> EvalResult:
    """Mean next-token loss over every target token in `loader` (an exact token mean).

    Under DDP every process scores the whole (small) eval set instead of a shard, so the number
    is exact: a sharded loader pads its last batch with repeated examples.
    """
    was_training = model.training
    model.eval()
    loss_sum, tokens = 0.0, 0
    for batch in loader:
        batch = {key: value.to(device) for key, value in batch.items()}
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        loss_sum += float(token_loss_sum(logits, batch["labels"]))
        tokens += target_token_count(batch["labels"])
    model.train(was_training)
    loss = loss_sum / max(tokens, 1)
    return EvalResult(loss=loss, perplexity=math.exp(loss), target_tokens=tokens)


@dataclass(frozen=True)
class TaskScore:
    """One model on the test split."""

    loss: float
    perplexity: float
    target_tokens: int
    exact_match: float
    exact_match_low: float  # 95% percentile bootstrap interval
    exact_match_high: float
    examples: int
    per_task: dict[str, float]  # exact match per task


def evaluate_adapter(
    config: TrainConfig, adapter_dir: Path, test_file: Path | None = None
) -> dict[str, Any]:
    """Base model vs base + adapter on the test split: loss, perplexity, exact match.

    Writes `<run_dir>/eval.json` next to the adapter and returns what it wrote.
    """
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    path = test_file or config.test_file or embedded_path("test")
    tokenizer = load_tokenizer(config.base_model)
    records = read_records(path)
    tasks = read_tasks(path)
    data = encode_file(path, tokenizer, config.max_length)
    loader = make_eval_loader(data.examples, tokenizer.pad_token_id, config.batch_size)
    prompts = [prompt for prompt, _ in records]
    references = [response for _, response in records]
    longest = max(len(tokenizer.encode(r, add_special_tokens=False)) for r in references)

    def score(model: torch.nn.Module) -> tuple[TaskScore, list[float]]:
        losses = evaluate_loss(model, loader, device)
        responses = generate_responses(model, tokenizer, prompts, max_new_tokens=longest + 8)
        hits = [float(exact_match(p, r)) for p, r in zip(responses, references, strict=True)]
        interval = bootstrap_mean(hits, seed=config.seed)
        per_task = {
            task: sum(h for h, t in zip(hits, tasks, strict=True) if t == task) / tasks.count(task)
            for task in sorted(set(tasks))
        }
        result = TaskScore(
            loss=losses.loss,
            perplexity=losses.perplexity,
            target_tokens=losses.target_tokens,
            exact_match=interval.estimate,
            exact_match_low=interval.low,
            exact_match_high=interval.high,
            examples=len(hits),
            per_task=per_task,
        )
        return result, hits

    base = load_base_model(config.base_model).to(device)
    base_score, base_hits = score(base)
    adapted = load_adapter(base, adapter_dir).to(device)
    adapter_score, adapter_hits = score(adapted)
    gain = paired_difference(adapter_hits, base_hits, seed=config.seed)
    payload = {
        "split": str(path),
        "base": asdict(base_score),
        "adapter": asdict(adapter_score),
        "exact_match_gain": asdict(gain),
    }
    out = adapter_dir.parent / "eval.json"
    out.write_text(json.dumps(payload, indent=2) + "\n")
    return payload


def read_tasks(path: Path) -> list[str]:
    """The `task` field of each record (\"-\" where a record has none), for per-task scores."""
    tasks = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            tasks.append(str(record.get("task", "-")))
    return tasks


def format_eval_table(payload: dict[str, Any]) -> str:
    lines = [
        "| model | test loss | perplexity | exact match (95% CI) | examples |",
        "|---|---|---|---|---|",
    ]
    for name in ("base", "adapter"):
        s = payload[name]
        lines.append(
            f"| {name} | {s['loss']:.4f} | {s['perplexity']:.2f} | {s['exact_match']:.1%} "
            f"[{s['exact_match_low']:.1%}, {s['exact_match_high']:.1%}] | {s['examples']} |"
        )
    gain = payload["exact_match_gain"]
    lines.append(
        f"\nexact match, adapter - base: {gain['estimate']:+.1%} "
        f"[{gain['low']:+.1%}, {gain['high']:+.1%}] (paired bootstrap, 95%)"
    )
    return "\n".join(lines)
