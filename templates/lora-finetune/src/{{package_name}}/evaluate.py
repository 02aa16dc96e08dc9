"""Eval loss and perplexity over the response tokens of the eval split."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from .config import TrainConfig
from .data.batching import make_loader
from .data.examples import EncodedExample, embedded_path, encode_file
from .modeling.load import load_adapter, load_base_model, load_tokenizer
from .modeling.loss import target_token_count, token_loss_sum


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


def evaluate_adapter(config: TrainConfig, adapter_dir: Path) -> dict[str, EvalResult]:
    """Eval loss of the base model alone and with the adapter, on the configured eval split."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer = load_tokenizer(config.base_model)
    data = encode_file(config.eval_file or embedded_path("eval"), tokenizer, config.max_length)
    loader = make_loader(
        data.examples, tokenizer.pad_token_id, config.batch_size, seed=0, length_grouped=True
    )
    base = load_base_model(config.base_model).to(device)
    base_result = evaluate_loss(base, loader, device)
    adapted = load_adapter(base, adapter_dir).to(device)
    results = {"base": base_result, "adapter": evaluate_loss(adapted, loader, device)}
    out = adapter_dir.parent / "eval.json"
    out.write_text(json.dumps({name: asdict(r) for name, r in results.items()}, indent=2) + "\n")
    return results
