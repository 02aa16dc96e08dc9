"""The FastAPI application: its lifecycle, routers and middleware stack, built from `Settings`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import start_http_server

from .. import __version__
from ..io.artifact import LoadedModel
from ..io.loader import load_model
from ..settings import Settings
from .auth import ApiKeyMiddleware, api_key_dependency
from .errors import add_error_handlers
from .http_metrics import HttpMetricsMiddleware
from .metrics import ServingMetrics
from .middleware import (
    BodySizeLimitMiddleware,
    CloseWhileDrainingMiddleware,
    RequestContextMiddleware,
)
from .routes import model_router, ops_router
from .service import ServiceState

logger = logging.getLogger(__name__)

DESCRIPTION = """Predicts the probability that a loan application defaults.

* `POST /v1/predict` scores a batch of applications (up to 1000 per request).
* `GET /v1/model` describes the model in service: version, schema, held-out metrics.
* `GET /v1/models` lists the versions in service (primary, A/B candidate, shadow) and the share
  of traffic each answers; `X-User-ID` keeps a user on one version.
* `GET /healthz` is liveness, `GET /readyz` readiness (200 only once the model has loaded).
* `GET /metrics` is the Prometheus scrape endpoint (or on its own port, see `SERVING_METRICS_PORT`).

Every response carries `X-Request-ID` (yours, if you sent a valid one).
"""


def create_app(settings: Settings, loader: Callable[[str], LoadedModel] = load_model) -> FastAPI:
    metrics = ServingMetrics(CollectorRegistry()) if settings.monitoring else None
    state = ServiceState(settings=settings, metrics=metrics)
    if metrics is not None:
        metrics.watch_drift(lambda: state.drift)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics_server = None
        if metrics is not None and settings.metrics_port is not None:
            metrics_server, _ = start_http_server(
                settings.metrics_port, settings.host, registry=metrics.registry
            )
        state.start_loading(loader)
        yield
        # Uvicorn has already let in-flight requests finish; flush what is queued, then stop.
        await state.shutdown()
        if metrics_server is not None:
            metrics_server.shutdown()
        logger.info("shutdown complete")

    # /docs and /redoc load Swagger UI and ReDoc from the installed package, not from a CDN:
    # they work offline and on a cluster without egress.
    app = FastAPIOffline(
        title="Loan default scoring API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.service = state
    add_error_handlers(app)
    keys = settings.load_api_keys()
    protected = [Depends(api_key_dependency(keys))] if settings.auth else []
    app.include_router(model_router(state, protected))
    public_registry = None
    if metrics is not None and settings.metrics_port is None:
        public_registry = metrics.registry  # /metrics on the API port, unless it has its own
    app.include_router(ops_router(state, public_registry))

    # Outermost first at request time: draining's Connection: close, ids and logs, metrics,
    # the size limit, then the API key (before the route reads the body).
    if settings.auth:
        app.add_middleware(ApiKeyMiddleware, keys=keys)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    if metrics is not None:
        app.add_middleware(HttpMetricsMiddleware, metrics=metrics, routes=app.router.routes)
    app.add_middleware(RequestContextMiddleware, access_log=settings.access_log)
    app.add_middleware(CloseWhileDrainingMiddleware, state=state)
    return app
