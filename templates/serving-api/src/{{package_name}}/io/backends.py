"""Inference backends: the scikit-learn pipeline itself, or its ONNX export on ONNX Runtime.

Both answer `predict_proba`, so everything above (the service, micro-batching, the shadow) is
the same for either. ONNX Runtime skips scikit-learn's per-call input validation and Python
dispatch, which is most of a one-row call: `make bench` measures both (reports/RESULTS.md).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import numpy as np
import onnxruntime

from .artifact import ArtifactError, LoadedModel

Backend = Literal["auto", "onnx", "sklearn"]
# The exported graph's input and output (io/onnx_export.py).
INPUT_NAME = "features"
OUTPUT_NAME = "probabilities"


class OnnxPipeline:
    """An ONNX Runtime session with the pipeline's `predict_proba`."""

    def __init__(self, onnx_model: bytes, threads: int) -> None:
        options = onnxruntime.SessionOptions()
        # One pod, one core (as for BLAS in the scikit-learn backend): scale with replicas.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        self.session = onnxruntime.InferenceSession(
            onnx_model, options, providers=["CPUExecutionProvider"]
        )

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        rows = np.ascontiguousarray(features, dtype=np.float64)
        return np.asarray(self.session.run([OUTPUT_NAME], {INPUT_NAME: rows})[0])


def use_backend(model: LoadedModel, backend: Backend, threads: int = 1) -> LoadedModel:
    """The model on the chosen backend; "auto" is ONNX Runtime where the artifact has an ONNX
    export (the faster one here), scikit-learn otherwise (gbdt, registry models)."""
    if backend == "sklearn" or (backend == "auto" and model.onnx_model is None):
        return model
    if model.onnx_model is None:
        raise ArtifactError(
            f"model {model.version} has no ONNX export (only logistic models are exported): "
            "set SERVING_INFERENCE_BACKEND=sklearn or auto"
        )
    return replace(model, pipeline=OnnxPipeline(model.onnx_model, threads), backend="onnx")
