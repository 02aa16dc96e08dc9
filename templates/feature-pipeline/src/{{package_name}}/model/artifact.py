"""The saved model: the estimator, the feature list it expects, and the training references.

Two files in one folder: `model.joblib` (the fitted scikit-learn estimator) and `model.json`
(version, feature order, training reference distributions, holdout metrics), so a person or the
report can read what is in service without unpickling anything. The version is a hash of the
estimator's bytes: the same training data and seed give the same version.
"""

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from ..errors import InputError
from ..skew.reference import FeatureReference

ESTIMATOR_FILE = "model.joblib"
METADATA_FILE = "model.json"


@dataclass(frozen=True)
class ModelBundle:
    estimator: Any  # a fitted classifier with predict_proba
    version: str
    features: list[str]
    references: list[FeatureReference]
    metadata: dict[str, Any]

    @classmethod
    def create(
        cls,
        estimator: Any,
        features: list[str],
        references: list[FeatureReference],
        summary: Any,
    ) -> "ModelBundle":
        buffer = io.BytesIO()
        joblib.dump(estimator, buffer)
        version = hashlib.sha256(buffer.getvalue()).hexdigest()[:12]
        metadata = {
            "version": version,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "estimator": type(estimator).__name__,
            "features": features,
            "training": summary.model_dump(mode="json"),
        }
        return cls(estimator, version, features, references, metadata)

    def score(self, matrix: np.ndarray) -> np.ndarray:
        """Probability of the positive class per row of a matrix in `features` order."""
        scores: np.ndarray = self.estimator.predict_proba(matrix)[:, 1]
        return scores

    def reference(self, feature: str) -> FeatureReference:
        return next(r for r in self.references if r.feature == feature)


def save_bundle(bundle: ModelBundle, directory: Path) -> None:
    """Write both files to a temporary folder, then rename it into place (never half a model)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = directory.with_name(f".{directory.name}.tmp")
    staging.mkdir(exist_ok=True)
    joblib.dump(bundle.estimator, staging / ESTIMATOR_FILE)
    payload = {**bundle.metadata, "references": [r.model_dump() for r in bundle.references]}
    (staging / METADATA_FILE).write_text(json.dumps(payload, indent=2) + "\n")
    previous = directory.with_name(f".{directory.name}.old")
    if directory.exists():
        directory.rename(previous)
    staging.rename(directory)
    if previous.exists():
        for child in previous.iterdir():
            child.unlink()
        previous.rmdir()


def load_bundle(directory: Path) -> ModelBundle:
    metadata_path = directory / METADATA_FILE
    if not metadata_path.is_file() or not (directory / ESTIMATOR_FILE).is_file():
        raise InputError(f"{directory}: no saved model (run `train` first)")
    payload = json.loads(metadata_path.read_text())
    references = [FeatureReference.model_validate(r) for r in payload.pop("references")]
    estimator = joblib.load(directory / ESTIMATOR_FILE)
    return ModelBundle(estimator, payload["version"], payload["features"], references, payload)


def read_metadata(directory: Path) -> dict[str, Any] | None:
    """model.json without loading the estimator (for the report); None when there is no model."""
    path = directory / METADATA_FILE
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data
