"""The model artifact: a folder with the fitted pipeline and a metadata.json that describes it.

metadata.json carries the version, the feature schema, training metrics, a fingerprint of the
training data, the drift reference and the SHA-256 of model.joblib (and of model.onnx, the
pipeline's ONNX export, where the model type has one). Loading checks the hashes (joblib is
pickle: only load files you made) and that the schema matches the code's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import joblib
import numpy as np

from ..core.drift import FeatureReference, reference_from_dict
from ..core.features import schema_as_dict

MODEL_FILE = "model.joblib"
ONNX_FILE = "model.onnx"
METADATA_FILE = "metadata.json"


class ArtifactError(Exception):
    """The artifact is missing, damaged, or does not match this code's feature schema."""


@dataclass(frozen=True)
class LoadedModel:
    pipeline: Any  # a fitted scikit-learn Pipeline, or anything with its predict_proba
    metadata: dict[str, Any]
    onnx_model: bytes | None = None  # the pipeline's ONNX export, if it has one
    backend: Literal["sklearn", "onnx"] = "sklearn"  # what `pipeline` runs on (io/backends.py)

    @property
    def version(self) -> str:
        return str(self.metadata["version"])

    @property
    def threshold(self) -> float:
        return float(self.metadata.get("decision_threshold", 0.5))

    def reference(self) -> list[FeatureReference]:
        return reference_from_dict(self.metadata["reference"])

    def default_probability(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(self.pipeline.predict_proba(features)[:, 1])


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_artifact(
    directory: Path, pipeline: Any, metadata: dict[str, Any], onnx_model: bytes | None = None
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    joblib.dump(pipeline, model_path)
    full = {**metadata, "model_sha256": file_sha256(model_path)}
    if onnx_model is not None:
        (directory / ONNX_FILE).write_bytes(onnx_model)
        full["onnx_sha256"] = hashlib.sha256(onnx_model).hexdigest()
    (directory / METADATA_FILE).write_text(json.dumps(full, indent=2) + "\n")
    return directory


def read_metadata(directory: Path) -> dict[str, Any]:
    path = directory / METADATA_FILE
    if not path.is_file():
        raise ArtifactError(f"no model artifact at {directory} (expected {path}; run `make train`)")
    try:
        metadata: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ArtifactError(f"{path} is not valid JSON: {err}") from err
    check_schema(metadata, str(path))
    return metadata


def check_schema(metadata: dict[str, Any], source: str) -> None:
    """The model must read exactly the features this code's API accepts."""
    expected = json.loads(json.dumps(schema_as_dict()))
    if metadata.get("feature_schema") != expected:
        raise ArtifactError(
            f"{source}: the artifact's feature schema differs from this code's; retrain the model"
        )


def load_artifact(directory: Path) -> LoadedModel:
    metadata = read_metadata(directory)
    model_path = directory / MODEL_FILE
    if not model_path.is_file():
        raise ArtifactError(f"{model_path} is missing")
    if file_sha256(model_path) != metadata.get("model_sha256"):
        raise ArtifactError(f"{model_path} does not match the SHA-256 in {METADATA_FILE}")
    onnx_model = None
    if "onnx_sha256" in metadata:
        onnx_path = directory / ONNX_FILE
        if not onnx_path.is_file():
            raise ArtifactError(f"{onnx_path} is missing")
        onnx_model = onnx_path.read_bytes()
        if hashlib.sha256(onnx_model).hexdigest() != metadata["onnx_sha256"]:
            raise ArtifactError(f"{onnx_path} does not match the SHA-256 in {METADATA_FILE}")
    return LoadedModel(pipeline=joblib.load(model_path), metadata=metadata, onnx_model=onnx_model)
