"""Load a base model and tokenizer by hub id or local folder, and put LoRA adapters on it."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import try_to_load_from_cache
from peft import LoraConfig, PeftModel, get_peft_model, prepare_model_for_kbit_training
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    BitsAndBytesConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers.pytorch_utils import Conv1D

from ..config import Quantization, TrainConfig
from ..errors import ConfigError, ModelLoadError

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


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


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def check_resolvable(what: str, name_or_path: str) -> None:
    """Fail at once for a name that is neither a local folder nor, offline, a cached hub model.

    Without this, an unknown hub id on a machine with no network retries for about a minute
    before failing; with HF_HUB_OFFLINE set, nothing could be downloaded anyway.
    """
    if Path(name_or_path).is_dir():
        return
    tiny = "tiny-base" in name_or_path
    looks_local = (
        tiny
        or name_or_path.startswith((".", "/", "~"))
        or name_or_path.count("/") > 1
        or (Path(name_or_path).parent.name != "" and Path(name_or_path).parent.is_dir())
    )
    if looks_local:
        hint = " (for the tiny default, run `make init-model`)" if tiny else ""
        raise ModelLoadError(f"{what} '{name_or_path}': no such local folder{hint}")
    if _offline():
        try:
            cached = try_to_load_from_cache(name_or_path, "config.json")
        except ValueError:  # not a valid repo id either
            cached = None
        if not isinstance(cached, str):
            raise ModelLoadError(
                f"{what} '{name_or_path}': not a local folder and not in the Hugging Face cache; "
                "HF_HUB_OFFLINE is set, so it cannot be downloaded (unset it, or point "
                f"{what} at a local copy)"
            )


def load_tokenizer(name_or_path: str) -> PreTrainedTokenizerBase:
    check_resolvable("tokenizer", name_or_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    except (OSError, ValueError) as err:
        raise _load_error("tokenizer", name_or_path, err) from err
    if tokenizer.pad_token_id is None:
        # Many causal-LM tokenizers ship without a pad token; padding is masked, so EOS serves.
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def check_quantization(quantization: Quantization) -> None:
    """4-bit QLoRA runs on CUDA with bitsandbytes only; say so before anything loads."""
    if quantization == "none":
        return
    if not torch.cuda.is_available():
        raise ConfigError(
            "quantization: 4bit needs a CUDA GPU (bitsandbytes) and this machine has none; "
            "use quantization: none"
        )
    if importlib.util.find_spec("bitsandbytes") is None:
        raise ConfigError(
            "quantization: 4bit needs bitsandbytes, which is not installed; "
            "run `uv sync --group qlora`"
        )


def load_base_model(
    name_or_path: str,
    dtype: torch.dtype = torch.float32,
    quantization: Quantization = "none",
) -> torch.nn.Module:
    """The frozen base model in `dtype`, or with `quantization: 4bit` as NF4 weights on this
    process's GPU computing in `dtype` (QLoRA)."""
    check_resolvable("base_model", name_or_path)
    check_quantization(quantization)
    extra: dict[str, Any] = {}
    if quantization == "4bit":
        extra["quantization_config"] = BitsAndBytesConfig(  # type: ignore[no-untyped-call]
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=dtype,
        )
        # Quantized weights are placed at load time; accelerate does not move them later.
        extra["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}
    try:
        model = AutoModelForCausalLM.from_pretrained(
            name_or_path, dtype=dtype, attn_implementation="sdpa", **extra
        )
    except (OSError, ValueError) as err:
        raise _load_error("base_model", name_or_path, err) from err
    return model


def load_lora_model(config: TrainConfig) -> PeftModel:
    """The model training uses: the base model in the configured precision (or 4-bit) with
    LoRA adapters, gradient checkpointing on when configured."""
    base = load_base_model(config.base_model, DTYPES[config.precision], config.quantization)
    return add_lora(base, config)


def linear_layer_names(model: torch.nn.Module) -> list[str]:
    """The distinct names (last path component) of the model's linear layers, head excluded."""
    head = None
    if isinstance(model, PreTrainedModel):
        head = model.get_output_embeddings()  # type: ignore[no-untyped-call]
    return sorted(
        {
            name.rsplit(".", 1)[-1]
            for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear | Conv1D) and module is not head
        }
    )


def add_lora(model: torch.nn.Module, config: TrainConfig) -> PeftModel:
    """Freeze the base model and add trainable LoRA adapters to the configured modules."""
    targets = config.lora_target_modules
    if targets != "all-linear":
        known = linear_layer_names(model)
        unknown = [name for name in targets if name not in known]
        if unknown:
            raise ModelLoadError(
                f"lora_target_modules: {', '.join(unknown)} not among the model's linear layers "
                f"({', '.join(known)}); list some of those or use all-linear"
            )
    if config.quantization == "4bit":
        # Norms and the head to fp32 for stable training, input grads on, checkpointing if asked.
        model = prepare_model_for_kbit_training(  # type: ignore[no-untyped-call]
            model,
            use_gradient_checkpointing=config.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    elif config.gradient_checkpointing:
        if not isinstance(model, PreTrainedModel):
            raise ModelLoadError("gradient_checkpointing needs a transformers model")
        model.activation_checkpointing_enable({"use_reentrant": False})
        # The embeddings are frozen, so their output needs grad for the recomputed blocks to
        # pass gradients back to the adapters inside them.
        model.enable_input_require_grads()  # type: ignore[no-untyped-call]
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
    )
    try:
        return get_peft_model(model, lora)
    except ValueError as err:
        raise ModelLoadError(f"lora_target_modules {targets}: {err}") from err


def load_adapter(base: torch.nn.Module, adapter_dir: Path) -> PeftModel:
    if not (adapter_dir / "adapter_config.json").is_file():
        raise ModelLoadError(
            f"adapter {adapter_dir}: expected a folder with adapter_config.json (run `make train`)"
        )
    return PeftModel.from_pretrained(base, adapter_dir)
