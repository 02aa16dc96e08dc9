"""Request and response models. `LoanApplication` is built from the feature schema, so the API
contract, its OpenAPI documentation and the model's inputs come from one definition."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, create_model
from pydantic_core import PydanticCustomError

from ..core.features import FEATURES, CategoricalFeature, example_record

# One request may carry at most this many rows; larger batches get 422 (split them client-side).
MAX_ROWS_PER_REQUEST = 1000

_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def _json_number(value: Any) -> Any:
    """Integers arrive as JSON numbers; JSON Schema counts 36.0 as an integer, so the model
    must too (lax int), but strings and booleans are not numbers (which lax int would allow)."""
    if isinstance(value, str | bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


# Lax int (accepts 36.0, rejects 36.5) behind a guard that refuses strings and booleans.
JsonInt = Annotated[int, BeforeValidator(_json_number), Strict(False)]


def _field(feature: Any) -> tuple[Any, Any]:
    if isinstance(feature, CategoricalFeature):
        return (
            Literal[feature.categories],
            Field(description=feature.description, examples=[feature.example]),
        )
    return (
        JsonInt if feature.integer else float,
        Field(
            description=feature.description,
            ge=feature.minimum,
            le=feature.maximum,
            examples=[feature.example],
        ),
    )


if TYPE_CHECKING:
    LoanApplication = BaseModel
else:
    LoanApplication = create_model(
        "LoanApplication",
        __config__=ConfigDict(**_STRICT, json_schema_extra={"examples": [example_record()]}),
        __doc__="One loan application; every field is required and unknown fields are rejected.",
        **{feature.name: _field(feature) for feature in FEATURES},
    )

_CATEGORY_CODES = {
    feature.name: {category: i for i, category in enumerate(feature.categories)}
    for feature in FEATURES
    if isinstance(feature, CategoricalFeature)
}


def to_matrix(applications: list[LoanApplication]) -> np.ndarray:
    """Rows in schema order with categories as their index, the model's input layout."""
    rows = []
    for application in applications:
        values = application.__dict__
        rows.append(
            [
                _CATEGORY_CODES[f.name][values[f.name]]
                if f.name in _CATEGORY_CODES
                else values[f.name]
                for f in FEATURES
            ]
        )
    return np.asarray(rows, dtype=np.float64)


class PredictRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"instances": [example_record()]}]}
    )

    instances: list[LoanApplication] = Field(min_length=1, max_length=MAX_ROWS_PER_REQUEST)


class Prediction(BaseModel):
    default_probability: float = Field(ge=0.0, le=1.0, examples=[0.12])
    will_default: bool = Field(description="default_probability >= the model's threshold")


class PredictResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    model_version: str = Field(examples=["logistic-0123456789ab"])
    predictions: list[Prediction]


class ModelInfo(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    name: str
    version: str
    model_type: str
    created_at: str
    decision_threshold: float
    data_fingerprint: str = Field(description="SHA-256 of the training data")
    metrics: dict[str, float] = Field(description="Held-out evaluation of this model")
    feature_schema: list[dict[str, Any]]


class DeployedModelInfo(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    role: Literal["primary", "candidate", "shadow"] = Field(
        description="primary and candidate answer requests; a shadow scores copies of them"
    )
    weight: float = Field(ge=0.0, le=1.0, description="Share of the traffic this version answers")
    backend: Literal["sklearn", "onnx"] = Field(description="What the model runs on")
    name: str
    version: str
    model_type: str
    created_at: str
    metrics: dict[str, float] = Field(description="Held-out evaluation of this model")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    status: Literal["ready", "loading", "failed", "draining"]
    model_version: str | None = None
    detail: str | None = None
