"""The embedded sample set: Kestrel Systems' documentation (see scripts/build_sample_corpus.py)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .beir import load_beir
from .types import Dataset


def sample_dir() -> Path:
    return Path(str(resources.files(__name__.split(".")[0]) / "sample"))


def load_dataset(path: Path | None = None, split: str = "test") -> Dataset:
    """A BEIR-format dataset folder; the embedded sample set when no path is given."""
    return load_beir(path or sample_dir(), split)
