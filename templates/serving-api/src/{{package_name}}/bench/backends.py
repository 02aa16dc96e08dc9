"""The two inference backends timed on the same model, in this process: one row per call (what
a lone request costs) and a batch per call (what micro-batching merges).

Calls alternate between the backends in short blocks, so a burst of load from elsewhere on the
machine hits both; each figure is the median call time.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from ..core.data import generate_loans
from ..io.artifact import LoadedModel
from ..io.backends import Backend, use_backend

BACKENDS: tuple[Backend, ...] = ("sklearn", "onnx")


def _time_calls(model: LoadedModel, batches: list[np.ndarray]) -> list[float]:
    times = []
    for batch in batches:
        start = time.perf_counter()
        model.default_probability(batch)
        times.append(time.perf_counter() - start)
    return times


def time_backends(
    model: LoadedModel,
    batch_rows: int = 256,
    single_calls: int = 2000,
    batched_calls: int = 200,
    block: int = 50,
    seed: int = 13,
) -> dict[str, Any]:
    """Median microseconds per call of each backend, single-row and batched."""
    if model.onnx_model is None:
        return {"skipped": f"model {model.version} has no ONNX export (only logistic models)"}
    models = {name: use_backend(model, name) for name in BACKENDS}
    features = generate_loans(max(batch_rows, block) * 4, seed).features
    singles = [features[i : i + 1] for i in range(block)]
    batches = [features[i : i + batch_rows] for i in range(0, block * 3, 3)][:block]
    times: dict[tuple[str, str], list[float]] = {}
    for shape, calls, inputs in (
        ("single", single_calls, singles),
        ("batched", batched_calls, batches),
    ):
        for name in BACKENDS:  # warm-up
            _time_calls(models[name], inputs[:5])
        for _ in range(max(1, calls // len(inputs))):
            for name in BACKENDS:
                times.setdefault((name, shape), []).extend(_time_calls(models[name], inputs))
    result: dict[str, Any] = {"batch_rows": batch_rows}
    for name in BACKENDS:
        result[name] = {
            "single_row_us": 1e6 * statistics.median(times[(name, "single")]),
            "batched_us": 1e6 * statistics.median(times[(name, "batched")]),
            "calls": {shape: len(times[(name, shape)]) for shape in ("single", "batched")},
        }
    sklearn, onnx = result["sklearn"], result["onnx"]
    result["speedup_single"] = sklearn["single_row_us"] / onnx["single_row_us"]
    result["speedup_batched"] = sklearn["batched_us"] / onnx["batched_us"]
    return result


def format_backends(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"backends: {result['skipped']}"
    lines = []
    for name in BACKENDS:
        row = result[name]
        lines.append(
            f"backend {name:<7}: 1 row {row['single_row_us']:8.1f} us/call   "
            f"{result['batch_rows']} rows {row['batched_us']:8.1f} us/call (medians)"
        )
    lines.append(
        f"onnx vs sklearn: {result['speedup_single']:.1f}x faster single-row, "
        f"{result['speedup_batched']:.1f}x batched"
    )
    return "\n".join(lines)
