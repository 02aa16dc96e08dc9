"""The HTTP API: /search and /ask, with /healthz, /readyz and Prometheus /metrics."""
