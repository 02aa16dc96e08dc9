"""`make train`: generate the loan book, fit the pipeline, evaluate on held-out data, save.

Reads top to bottom: config, data, model, fit, evaluation, artifact. The evaluation compares the
model with the base rate (a model that always predicts the training default rate), so a number
like ROC AUC comes with what it is better than.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import sklearn
from pydantic import BaseModel, ConfigDict, Field
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .core.data import generate_loans
from .core.drift import build_reference, reference_to_dict
from .core.encoding import LoanEncoder
from .core.features import CATEGORICAL_COLUMNS, FEATURES, schema_as_dict
from .io.artifact import save_artifact
from .io.onnx_export import EXPORTABLE_MODEL_TYPES, export_onnx


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    n_rows: int = Field(default=20_000, ge=200)
    seed: int = 7
    test_fraction: float = Field(default=0.2, gt=0.0, lt=0.9)
    model_type: Literal["logistic", "gbdt"] = "logistic"
    output_dir: Path = Path("artifacts/model")
    model_name: str = "loan-default"


def build_pipeline(model_type: str, seed: int) -> Pipeline:
    """Logistic regression on scaled numerics (log of money amounts) and one-hot categories,
    or gradient-boosted trees with native categorical splits."""
    if model_type == "gbdt":
        categorical_mask = [i in CATEGORICAL_COLUMNS for i in range(len(FEATURES))]
        return Pipeline(
            [
                (
                    "model",
                    HistGradientBoostingClassifier(
                        categorical_features=categorical_mask, max_iter=200, random_state=seed
                    ),
                )
            ]
        )
    return Pipeline(
        [
            ("encode", LoanEncoder()),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=1.0, max_iter=1000)),
        ]
    )


def evaluate(probabilities: np.ndarray, labels: np.ndarray, base_rate: float) -> dict[str, float]:
    base = np.full_like(probabilities, base_rate)
    return {
        "roc_auc": float(roc_auc_score(labels, probabilities)),
        "average_precision": float(average_precision_score(labels, probabilities)),
        "log_loss": float(log_loss(labels, probabilities)),
        "log_loss_base_rate": float(log_loss(labels, base)),
        "brier": float(brier_score_loss(labels, probabilities)),
        "accuracy_at_0_5": float(accuracy_score(labels, probabilities >= 0.5)),
        "default_rate": float(labels.mean()),
    }


def train(config: TrainConfig) -> dict[str, Any]:
    """Fit, evaluate and save; returns the metadata written next to the model."""
    data = generate_loans(config.n_rows, config.seed)
    x_train, x_test, y_train, y_test = train_test_split(
        data.features,
        data.labels,
        test_size=config.test_fraction,
        random_state=config.seed,
        stratify=data.labels,
    )
    pipeline = build_pipeline(config.model_type, config.seed)
    pipeline.fit(x_train, y_train)
    metrics = evaluate(pipeline.predict_proba(x_test)[:, 1], y_test, float(y_train.mean()))

    fingerprint = data.fingerprint()
    params = config.model_dump(mode="json", exclude={"output_dir"})
    version_key = json.dumps({"data": fingerprint, "params": params}, sort_keys=True)
    metadata = {
        "name": config.model_name,
        "version": f"{config.model_type}-{hashlib.sha256(version_key.encode()).hexdigest()[:12]}",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_type": config.model_type,
        "sklearn_version": sklearn.__version__,
        "feature_schema": schema_as_dict(),
        "decision_threshold": 0.5,
        "training": {**params, "train_rows": len(y_train), "test_rows": len(y_test)},
        "data_fingerprint": fingerprint,
        "metrics": metrics,
        "reference": reference_to_dict(build_reference(x_train)),
    }
    onnx_model = export_onnx(pipeline) if config.model_type in EXPORTABLE_MODEL_TYPES else None
    save_artifact(config.output_dir, pipeline, metadata, onnx_model)
    return metadata
