"""Prometheus metrics: the family's shared HTTP set (see http_metrics), the online-store lookups
and the served scores. One registry per app."""

from prometheus_client import CollectorRegistry, Counter, Histogram, Info

from .http_metrics import HttpMetrics

SCORE_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 10))


class ServiceMetrics(HttpMetrics):
    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(registry)
        self.lookups = Counter(
            "feature_lookups",
            "Online-store lookups by result: hit, unknown, stale (older than the TTL), error",
            ["result"],
            registry=registry,
        )
        self.scores = Histogram(
            "model_prediction_score",
            "Predicted purchase probability of each served request",
            buckets=SCORE_BUCKETS,
            registry=registry,
        )
        self.model_info = Info("model", "The model in service", registry=registry)
