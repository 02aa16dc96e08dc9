"""The one training configuration: defaults here, experiments in YAML files, env overrides on top.

An experiment is a YAML file under `configs/`, never a code branch. Every field can also be set
from the environment with the `LORA_` prefix (`LORA_MAX_STEPS=50 make train`), and the
environment wins over the file, so a sweep is a loop over env values against one file.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .errors import ConfigError

Batching = Literal["random", "length_grouped", "packed"]
Precision = Literal["fp32", "bf16"]
Quantization = Literal["none", "4bit"]
LrSchedule = Literal["constant", "linear", "cosine"]
DEFAULT_MAX_STEPS = 300  # when neither max_steps nor epochs is set


class TrainConfig(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LORA_", extra="forbid", frozen=True, allow_inf_nan=False
    )

    # run
    run_name: str = "default"
    out_dir: Path = Path("runs")
    seed: int = 1337

    # data: None means the instruction dataset embedded in the package
    train_file: Path | None = None
    eval_file: Path | None = None  # validation split: loss watched during training
    test_file: Path | None = None  # held out until `evaluate`: loss, perplexity, exact match
    max_length: int = 256

    # model: a local folder (`make init-model` writes the tiny default) or a hub id
    base_model: str = "models/tiny-base"
    # bf16: the frozen base weights in bf16 and the forward pass autocast to bf16; the LoRA
    # weights, their optimizer state and the loss stay fp32.
    precision: Precision = "fp32"
    # 4bit: QLoRA, the frozen base weights in 4-bit NF4 (bitsandbytes, CUDA only).
    quantization: Quantization = "none"
    # Recompute each block's activations in the backward pass: less memory, about a third
    # more compute; the same loss and gradients.
    gradient_checkpointing: bool = False

    # LoRA
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    # "all-linear": every linear layer of the blocks (not the output head); or a list of names
    lora_target_modules: list[str] | Literal["all-linear"] = "all-linear"

    # batching and optimisation
    batching: Batching = "length_grouped"
    batch_size: int = 16
    grad_accum_steps: int = 2
    # How long: exactly one of max_steps (optimizer steps) and epochs (passes over the data).
    max_steps: int | None = None
    epochs: float | None = None
    learning_rate: float = 1e-2
    lr_schedule: LrSchedule = "cosine"  # after a linear warmup from 0
    weight_decay: float = 0.0
    warmup_steps: int = 20
    grad_clip: float = 1.0

    # evaluation, logging and checkpoints
    eval_interval: int = 50
    log_interval: int = 10
    save_interval: int = 100  # a resumable checkpoint every N steps, and one at the end
    keep_checkpoints: int = 2  # the newest N checkpoints stay on disk

    @model_validator(mode="before")
    @classmethod
    def _max_steps_or_epochs(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        if "mixed_precision" in values:  # its name in earlier versions of this template
            raise ValueError("mixed_precision is now precision: fp32 or bf16")
        given = [name for name in ("max_steps", "epochs") if values.get(name) is not None]
        if len(given) == 2:
            raise ValueError(
                f"max_steps ({values['max_steps']}) and epochs ({values['epochs']}) are both set; "
                "set exactly one"
            )
        if not given:
            return {**values, "max_steps": DEFAULT_MAX_STEPS}
        return values

    @model_validator(mode="after")
    def _check_ranges(self) -> TrainConfig:
        positive: tuple[str, ...] = ("max_length", "lora_r", "lora_alpha", "batch_size")
        positive += ("grad_accum_steps", "eval_interval", "log_interval")
        positive += ("save_interval", "keep_checkpoints")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError("max_steps must be at least 1")
        if self.epochs is not None and self.epochs <= 0:
            raise ValueError("epochs must be positive")
        if self.warmup_steps < 0:
            raise ValueError("warmup_steps must be at least 0")
        if not 0.0 <= self.lora_dropout < 1.0:
            raise ValueError("lora_dropout must be in [0, 1)")
        if self.learning_rate <= 0:
            raise ValueError("learning_rate must be positive")
        if not self.lora_target_modules:
            raise ValueError("lora_target_modules must name at least one module")
        return self

    @property
    def run_dir(self) -> Path:
        return self.out_dir / self.run_name

    def total_steps(self, batches_per_epoch: int) -> int:
        """Optimizer steps of the run: max_steps, or `epochs` passes over `batches_per_epoch`
        micro-batches (one process's share) rounded up to whole optimizer steps."""
        if self.max_steps is not None:
            return self.max_steps
        assert self.epochs is not None  # the validator makes sure one of the two is set
        return max(1, math.ceil(self.epochs * batches_per_epoch / self.grad_accum_steps))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first: an env override beats the experiment file passed as init values.
        return env_settings, init_settings


def load_config(path: Path | None = None, **overrides: Any) -> TrainConfig:
    """Read an experiment file (YAML mapping of TrainConfig fields); env vars still win."""
    values: dict[str, Any] = {}
    if path is not None:
        values = _read_yaml_mapping(path)
    values.update(overrides)
    where = str(path) if path is not None else "configuration"
    try:
        return TrainConfig(**values)
    except ValidationError as err:
        first = err.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        field = ".".join(str(part) for part in first["loc"])
        prefix = f"{where}: {field}" if field else where
        raise ConfigError(f"{prefix}: {message}") from err


def _read_yaml_mapping(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist (expected a YAML file)")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({err.__class__.__name__})") from err
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"{path}: expected a mapping of config fields, got {type(loaded).__name__}"
        )
    return loaded
