"""Prometheus metrics: HTTP traffic (the family's shared set, see http_metrics), inference,
predictions, the model in service, input drift.

Each app gets its own registry (tests build many apps in one process). Drift is computed when
Prometheus scrapes, not per request, by a collector that reads the drift window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram, Info
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..core.drift import DriftWindow
from .http_metrics import LATENCY_BUCKETS, HttpMetrics

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
PROBABILITY_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 10))


class ServingMetrics(HttpMetrics):
    """The shared HTTP metrics, and the model's: inference time, batch sizes, predictions."""

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(registry)
        self.inference_latency = Histogram(
            "model_inference_duration_seconds",
            "Time inside the model's predict_proba, per call (a call may hold a micro-batch)",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_rows = Histogram(
            "model_batch_rows",
            "Rows per model call (request batch, or merged micro-batch when batching is on)",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.prediction_probability = Histogram(
            "model_prediction_probability",
            "Predicted default probability of each row",
            buckets=PROBABILITY_BUCKETS,
            registry=registry,
        )
        self.model_info = Info("model", "The model in service", registry=registry)

    def watch_drift(self, window: Callable[[], DriftWindow | None]) -> None:
        self.registry.register(DriftCollector(window))


class DriftCollector(Collector):
    """PSI of each input feature over the sliding window, against the training reference."""

    def __init__(self, window: Callable[[], DriftWindow | None]) -> None:
        self._window = window

    def collect(self) -> Iterator[Metric]:
        psi = GaugeMetricFamily(
            "model_feature_drift_psi",
            "Population stability index of each input feature, live window vs training data",
            labels=["feature"],
        )
        rows = GaugeMetricFamily("model_drift_window_rows", "Rows in the drift window")
        window = self._window()
        if window is not None:
            for feature, value in window.psi_by_feature().items():
                psi.add_metric([feature], value)
            rows.add_metric([], window.rows)
        yield psi
        yield rows
