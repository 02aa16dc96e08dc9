"""The one training configuration: defaults here, experiments in YAML files, env overrides on top.

An experiment is a YAML file under `configs/`, never a code branch. Every field can also be set
from the environment with the `LORA_` prefix (`LORA_MAX_STEPS=50 make train`), and the
environment wins over the file, so a sweep is a loop over env values against one file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .errors import ConfigError

Batching = Literal["random", "length_grouped", "packed"]


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
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"

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
    max_steps: int = 300
    learning_rate: float = 1e-2
    weight_decay: float = 0.0
    warmup_steps: int = 20
    grad_clip: float = 1.0

    # evaluation, logging and checkpoints
    eval_interval: int = 50
    log_interval: int = 10
    save_interval: int = 100  # a resumable checkpoint every N steps, and one at the end
    keep_checkpoints: int = 2  # the newest N checkpoints stay on disk

    @model_validator(mode="after")
    def _check_ranges(self) -> TrainConfig:
        positive: tuple[str, ...] = ("max_length", "lora_r", "lora_alpha", "batch_size")
        positive += ("grad_accum_steps", "max_steps", "eval_interval", "log_interval")
        positive += ("save_interval", "keep_checkpoints")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
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
