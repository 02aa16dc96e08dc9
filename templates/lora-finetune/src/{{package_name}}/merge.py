"""Fold the adapter into the base weights, and prove the merged model computes the same function.

`merge_and_unload` adds B @ A * (alpha / r) into each target weight. The check runs the adapter
model and the merged model on real eval batches and compares logits; then it reloads the saved
merged folder and compares again, so what lands on disk is what was checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from .config import TrainConfig
from .data.batching import collate
from .data.examples import embedded_path, encode_file
from .errors import CheckFailedError, ConfigError
from .modeling.load import load_adapter, load_base_model, load_tokenizer

# fp32 logits of the same function computed in a different summation order agree to ~1e-5.
DEFAULT_TOLERANCE = 1e-4


@dataclass(frozen=True)
class MergeResult:
    out_dir: Path
    max_abs_diff: float  # adapter model vs merged model, in memory
    max_abs_diff_reloaded: float  # adapter model vs merged model reloaded from out_dir


def merge_adapter(
    config: TrainConfig, adapter_dir: Path, out_dir: Path, tolerance: float = DEFAULT_TOLERANCE
) -> MergeResult:
    if out_dir.exists():
        raise ConfigError(f"{out_dir} already exists; choose another --out folder or remove it")
    tokenizer = load_tokenizer(config.base_model)
    data = encode_file(
        config.eval_file or embedded_path("validation"), tokenizer, config.max_length
    )
    batch = collate(data.examples[:16], tokenizer.pad_token_id)
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}

    adapted = load_adapter(load_base_model(config.base_model), adapter_dir).eval()
    with torch.no_grad():
        expected = adapted(**inputs).logits
        merged = adapted.merge_and_unload()  # modifies the base weights in place
        diff = _max_abs_diff(expected, merged(**inputs).logits, batch["attention_mask"])
    _check(diff, tolerance, "merged model")

    merged.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    reloaded = load_base_model(str(out_dir)).eval()
    with torch.no_grad():
        diff_reloaded = _max_abs_diff(expected, reloaded(**inputs).logits, batch["attention_mask"])
    _check(diff_reloaded, tolerance, f"merged model reloaded from {out_dir}")
    return MergeResult(out_dir, max_abs_diff=diff, max_abs_diff_reloaded=diff_reloaded)


def _max_abs_diff(a: torch.Tensor, b: torch.Tensor, attention_mask: torch.Tensor) -> float:
    """Largest logit difference over real (non-padding) positions."""
    real = attention_mask.bool()
    return float((a[real] - b[real]).abs().max())


def _check(diff: float, tolerance: float, what: str) -> None:
    if not diff <= tolerance:
        raise CheckFailedError(
            f"{what}: logits differ from the adapter model by {diff:.2e} (> {tolerance:.0e})"
        )
