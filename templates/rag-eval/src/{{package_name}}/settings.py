"""Settings: one validated object, overridable by RAG_* environment variables or a .env file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .retrieval.embeddings import default_model


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", extra="ignore", frozen=True
    )

    dataset: Path | None = Field(default=None, description="BEIR folder; None = the sample set")
    split: str = "test"
    grid_config: Path = Path("experiments/grid.toml")
    reports_dir: Path = Path("reports")
    index_dir: Path = Path("indexes/default")
    cache_dir: Path = Path(".cache/embeddings")
    embedding_model: str = Field(default_factory=default_model, description="hub id or folder")
    embedding_batch_size: int = Field(default=32, gt=0)
    # PyTorch threads for embedding (None: torch's default). On a busy small machine, 1 thread
    # embeds a single query several times faster than 2 contending ones.
    torch_threads: int | None = Field(default=None, gt=0)
    vector_backend: Literal["exact", "qdrant"] = "exact"
    qdrant_location: str = Field(default=".qdrant", description="folder, ':memory:' or http(s) URL")
    # The answer step: extractive (offline) unless an OpenAI-compatible endpoint is configured.
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=30.0, gt=0)
