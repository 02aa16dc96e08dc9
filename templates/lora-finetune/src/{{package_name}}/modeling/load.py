"""Load a base model and tokenizer by hub id or local folder, and put LoRA adapters on it."""

from __future__ import annotations

from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerBase

from ..config import TrainConfig
from ..errors import ModelLoadError

DTYPES = {"no": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def _load_error(what: str, name_or_path: str, err: Exception) -> ModelLoadError:
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    # A missing tiny default is the common first-run slip; say how to make it.
    tiny_missing = (
        name_or_path.rstrip("/").endswith("tiny-base") and not Path(name_or_path).exists()
    )
    hint = " (for the tiny default, run `make init-model`)" if tiny_missing else ""
    return ModelLoadError(
        f"{what} '{name_or_path}': expected a local model folder or a hub id{hint}: {reason}"
    )


def load_tokenizer(name_or_path: str) -> PreTrainedTokenizerBase:
    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    except (OSError, ValueError) as err:
        raise _load_error("tokenizer", name_or_path, err) from err
    if tokenizer.pad_token_id is None:
        # Many causal-LM tokenizers ship without a pad token; padding is masked, so EOS serves.
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_base_model(name_or_path: str, dtype: torch.dtype = torch.float32) -> torch.nn.Module:
    try:
        model = AutoModelForCausalLM.from_pretrained(
            name_or_path, dtype=dtype, attn_implementation="sdpa"
        )
    except (OSError, ValueError) as err:
        raise _load_error("base_model", name_or_path, err) from err
    return model


def add_lora(model: torch.nn.Module, config: TrainConfig) -> PeftModel:
    """Freeze the base model and add trainable LoRA adapters to the configured modules."""
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.lora_target_modules,
        task_type="CAUSAL_LM",
    )
    try:
        return get_peft_model(model, lora)
    except ValueError as err:
        raise ModelLoadError(f"lora_target_modules {config.lora_target_modules}: {err}") from err


def load_adapter(base: torch.nn.Module, adapter_dir: Path) -> PeftModel:
    if not (adapter_dir / "adapter_config.json").is_file():
        raise ModelLoadError(
            f"adapter {adapter_dir}: expected a folder with adapter_config.json (run `make train`)"
        )
    return PeftModel.from_pretrained(base, adapter_dir)
