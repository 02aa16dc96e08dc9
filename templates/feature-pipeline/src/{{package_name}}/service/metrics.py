"""Prometheus metrics, named like the serving-api template's (one registry per app)."""

from prometheus_client import CollectorRegistry, Counter, Histogram, Info

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
SCORE_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 10))


class ServiceMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests",
            "HTTP requests by route template, method and status code",
            ["method", "route", "status"],
            registry=registry,
        )
        self.request_latency = Histogram(
            "http_request_duration_seconds",
            "Time from request start to the end of the response",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
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

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = {"method": method, "route": route, "status": str(status)}
        self.requests.labels(**labels).inc()
        self.request_latency.labels(**labels).observe(seconds)
