"""The experiment grid as a config file (experiments/grid.toml), validated on load."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..chunking import ChunkerSpec
from ..errors import InputError
from ..evaluation.metrics import parse_metric
from ..retrieval.system import RetrieverSpec


class Sweep(BaseModel):
    """A size x overlap sweep of one strategy; pairs with overlap >= size are skipped."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: Literal["fixed", "sentence"] = "fixed"
    unit: Literal["chars", "tokens"] = "chars"
    sizes: list[int] = Field(min_length=1)
    overlaps: list[int] = Field(default_factory=lambda: [0])

    def specs(self) -> list[ChunkerSpec]:
        return [
            ChunkerSpec(strategy=self.strategy, size=size, overlap=overlap, unit=self.unit)
            for size in self.sizes
            for overlap in self.overlaps
            if overlap < size
        ]


class GridConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    depth: int = Field(100, gt=0, description="documents per query kept for evaluation")
    metrics: list[str] = Field(min_length=1)
    primary: str = "ndcg@10"
    baseline: str = "document/bm25"
    recall_curve: list[int] = Field(default_factory=lambda: [1, 3, 5, 10, 20, 50, 100])
    chunkers: list[ChunkerSpec] = Field(default_factory=list)
    sweeps: list[Sweep] = Field(default_factory=list)
    retrievers: list[RetrieverSpec] = Field(min_length=1)
    gain: Literal["linear", "exponential"] = "linear"  # nDCG gain: rel, or 2**rel - 1
    # The share of judged queries that picks the best configuration; the rest measure it.
    tuning_fraction: float = Field(default=0.5, gt=0, lt=1)
    seed: int = 13  # the tuning/held-out split and the bootstrap

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, metrics: list[str]) -> list[str]:
        return [str(parse_metric(m)) for m in metrics]

    @field_validator("recall_curve")
    @classmethod
    def _positive_cutoffs(cls, cutoffs: list[int]) -> list[int]:
        if any(k <= 0 for k in cutoffs):
            raise ValueError("every cutoff must be > 0")
        return sorted(set(cutoffs))

    def all_chunkers(self) -> list[ChunkerSpec]:
        specs = [*self.chunkers, *(spec for sweep in self.sweeps for spec in sweep.specs())]
        unique = list(dict.fromkeys(specs))
        if not unique:
            raise InputError("grid config: no chunkers (add [[chunkers]] or [[sweeps]])")
        return unique

    def configurations(self) -> list[tuple[ChunkerSpec, RetrieverSpec]]:
        return [(c, r) for c in self.all_chunkers() for r in self.retrievers]


def config_name(chunker: ChunkerSpec, retriever: RetrieverSpec) -> str:
    return f"{chunker.name}/{retriever.name}"


def load_grid_config(path: Path) -> GridConfig:
    if not path.is_file():
        raise InputError(f"{path}: grid config not found")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: not valid TOML ({err})") from None
    try:
        config = GridConfig.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(f"{path}: {where}: {first['msg']}") from None
    str(parse_metric(config.primary))
    return config
