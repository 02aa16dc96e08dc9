"""Prometheus metrics: HTTP traffic (the family's shared set, see http_metrics), inference,
predictions, the models in service, the shadow's agreement with the primary, input drift.

Every model metric carries the model's `version`, so two versions side by side (A/B, shadow)
are told apart; `ServingMetrics.for_version` binds the labels once per version, not per call.

Each app gets its own registry (tests build many apps in one process). Drift is computed when
Prometheus scrapes, not per request, by a collector that reads the drift window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..core.drift import DriftWindow
from .http_metrics import LATENCY_BUCKETS, HttpMetrics

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
PROBABILITY_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 10))
DIFFERENCE_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


@dataclass(frozen=True)
class VersionMetrics:
    """One version's model metrics, labels bound."""

    inference_latency: Histogram
    batch_rows: Histogram
    prediction_probability: Histogram

    def observe(self, seconds: float, probabilities: np.ndarray) -> None:
        self.inference_latency.observe(seconds)
        self.batch_rows.observe(len(probabilities))
        for p in probabilities:
            self.prediction_probability.observe(float(p))


class ServingMetrics(HttpMetrics):
    """The shared HTTP metrics, and the model's: inference time, batch sizes, predictions."""

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(registry)
        self.inference_latency = Histogram(
            "model_inference_duration_seconds",
            "Time inside the model's predict_proba, per call (a call may hold a micro-batch)",
            ["version"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_rows = Histogram(
            "model_batch_rows",
            "Rows per model call (request batch, or merged micro-batch when batching is on)",
            ["version"],
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.prediction_probability = Histogram(
            "model_prediction_probability",
            "Predicted default probability of each row",
            ["version"],
            buckets=PROBABILITY_BUCKETS,
            registry=registry,
        )
        self.model_requests = Counter(
            "model_requests",
            "Prediction requests answered by each version (the A/B split)",
            ["version", "role"],
            registry=registry,
        )
        self.model_info = Info(
            "model", "The models in service and their role", ["role"], registry=registry
        )
        self.shadow_rows = Counter(
            "model_shadow_rows", "Rows the shadow scored", ["version"], registry=registry
        )
        self.shadow_agreeing_rows = Counter(
            "model_shadow_agreeing_rows",
            "Rows where the shadow's decision (will_default) equals the primary's",
            ["version"],
            registry=registry,
        )
        self.shadow_agreement = Gauge(
            "model_shadow_agreement_ratio",
            "Share of shadow-scored rows whose decision equals the primary's, since start",
            ["version"],
            registry=registry,
        )
        self.shadow_abs_difference = Histogram(
            "model_shadow_probability_abs_difference",
            "|shadow probability - primary probability| per row",
            ["version"],
            buckets=DIFFERENCE_BUCKETS,
            registry=registry,
        )
        self.shadow_dropped = Counter(
            "model_shadow_dropped_requests",
            "Requests not shadowed because the shadow queue was full",
            ["version"],
            registry=registry,
        )
        self.shadow_errors = Counter(
            "model_shadow_errors",
            "Shadow model calls that raised (the requests were answered by the primary)",
            ["version"],
            registry=registry,
        )
        self._by_version: dict[str, VersionMetrics] = {}

    def for_version(self, version: str) -> VersionMetrics:
        bound = self._by_version.get(version)
        if bound is None:
            bound = VersionMetrics(
                self.inference_latency.labels(version=version),
                self.batch_rows.labels(version=version),
                self.prediction_probability.labels(version=version),
            )
            self._by_version[version] = bound
        return bound

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
