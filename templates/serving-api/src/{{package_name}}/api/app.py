"""The FastAPI application: routes, middleware stack and lifecycle, built from `Settings`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.exposition import start_http_server

from .. import __version__
from ..io.artifact import LoadedModel
from ..io.loader import load_model
from ..settings import Settings
from .auth import api_key_dependency
from .metrics import ServingMetrics
from .middleware import BodySizeLimitMiddleware, MetricsMiddleware, RequestContextMiddleware
from .schemas import (
    Health,
    ModelInfo,
    Prediction,
    PredictRequest,
    PredictResponse,
    Readiness,
    to_matrix,
)
from .service import ModelNotReadyError, ServiceState

logger = logging.getLogger(__name__)

DESCRIPTION = """Predicts the probability that a loan application defaults.

* `POST /v1/predict` scores a batch of applications (up to 1000 per request).
* `GET /v1/model` describes the model in service: version, schema, held-out metrics.
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

    app = FastAPI(
        title="Loan default scoring API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.service = state
    protected = [Depends(api_key_dependency(settings.load_api_keys()))] if settings.auth else []

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes each offending input back, which fails to serialise for NaN
        # or infinity (a 500 for bad input) and can mirror a megabyte body; type, location and
        # message say what was wrong.
        errors = [{"type": e["type"], "loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(ModelNotReadyError)
    async def _not_ready(request: Request, exc: ModelNotReadyError) -> JSONResponse:
        return JSONResponse(
            {"detail": f"model not ready: {exc}"}, status_code=503, headers={"Retry-After": "1"}
        )

    @app.post(
        "/v1/predict",
        response_model=PredictResponse,
        dependencies=protected,
        tags=["model"],
        summary="Score loan applications",
        responses={
            400: {"description": "The body could not be read (e.g. not UTF-8)"},
            401: {"description": "Missing or invalid API key (when auth is on)"},
            413: {"description": "Request body too large"},
            422: {"description": "Malformed JSON, wrong types, missing/extra fields, NaN/inf"},
            503: {"description": "The model has not loaded yet"},
        },
    )
    async def predict(body: PredictRequest) -> PredictResponse:
        probabilities = await state.predict(to_matrix(body.instances))
        assert state.model is not None
        threshold = state.model.threshold
        return PredictResponse(
            model_version=state.model.version,
            predictions=[
                Prediction(default_probability=float(p), will_default=bool(p >= threshold))
                for p in probabilities
            ],
        )

    @app.get(
        "/v1/model",
        response_model=ModelInfo,
        dependencies=protected,
        tags=["model"],
        summary="Describe the model in service",
        responses={503: {"description": "The model has not loaded yet"}},
    )
    async def model_info() -> dict[str, Any]:
        if state.model is None:
            raise ModelNotReadyError(state.load_error or "the model is still loading")
        return state.model.metadata

    @app.get("/healthz", response_model=Health, tags=["ops"], summary="Liveness")
    async def healthz() -> Health:
        return Health()

    @app.get(
        "/readyz",
        response_model=Readiness,
        tags=["ops"],
        summary="Readiness: 200 once the model is loaded",
        responses={503: {"model": Readiness, "description": "Loading, or the load failed"}},
    )
    async def readyz(response: Response) -> Readiness:
        if state.model is not None:
            return Readiness(status="ready", model_version=state.model.version)
        response.status_code = 503
        if state.load_error is not None:
            return Readiness(status="failed", detail=state.load_error)
        return Readiness(status="loading")

    if metrics is not None and settings.metrics_port is None:

        @app.get(
            "/metrics",
            tags=["ops"],
            summary="Prometheus metrics (text exposition format)",
            response_class=PlainTextResponse,
        )
        async def prometheus_metrics() -> Response:
            return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # Outermost first at request time: ids and logs, then metrics, then the size limit.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    if metrics is not None:
        app.add_middleware(MetricsMiddleware, metrics=metrics, routes=app.router.routes)
    app.add_middleware(RequestContextMiddleware, access_log=settings.access_log)
    return app
