"""The routes: scoring and model description (behind the API key when auth is on), and the
operational ones (probes, metrics), which never are."""

from __future__ import annotations

from email.message import Message
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi import params as fastapi_params
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

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


def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON (application/json or a +json type)."""
    declared = request.headers.get("content-type")
    message = Message()
    message["content-type"] = declared or ""
    subtype = message.get_content_subtype()
    if (
        declared is None
        or message.get_content_maintype() != "application"
        or not (subtype == "json" or subtype.endswith("+json"))
    ):
        got = f"got {declared!r}" if declared else "got no Content-Type header"
        raise HTTPException(415, f"Content-Type must be application/json ({got})")


def model_router(state: ServiceState, protected: list[fastapi_params.Depends]) -> APIRouter:
    unauthorized: dict[int | str, dict[str, Any]] = {
        401: {"description": "Missing or invalid API key"}
    }
    router = APIRouter(
        tags=["model"], dependencies=protected, responses=unauthorized if protected else None
    )

    @router.post(
        "/v1/predict",
        response_model=PredictResponse,
        summary="Score loan applications",
        dependencies=[Depends(require_json)],
        responses={
            400: {"description": "The body could not be read: not UTF-8, or JSON nested too deep"},
            413: {"description": "Request body too large"},
            415: {"description": "The Content-Type is not application/json"},
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

    @router.get(
        "/v1/model",
        response_model=ModelInfo,
        summary="Describe the model in service",
        responses={503: {"description": "The model has not loaded yet"}},
    )
    async def model_info() -> dict[str, Any]:
        if state.model is None:
            raise ModelNotReadyError(state.load_error or "the model is still loading")
        return state.model.metadata

    return router


def ops_router(state: ServiceState, metrics_registry: CollectorRegistry | None) -> APIRouter:
    """Probes, and /metrics unless it is served on its own port (`metrics_registry` None)."""
    router = APIRouter(tags=["ops"])

    @router.get("/healthz", response_model=Health, summary="Liveness")
    async def healthz() -> Health:
        return Health()

    @router.get(
        "/readyz",
        response_model=Readiness,
        summary="Readiness: 200 once the model is loaded, until shutdown begins",
        responses={
            503: {"model": Readiness, "description": "Loading, the load failed, or draining"}
        },
    )
    async def readyz(response: Response) -> Readiness:
        if state.draining:
            response.status_code = 503
            return Readiness(status="draining")
        if state.model is not None:
            return Readiness(status="ready", model_version=state.model.version)
        response.status_code = 503
        if state.load_error is not None:
            return Readiness(status="failed", detail=state.load_error)
        return Readiness(status="loading")

    if metrics_registry is not None:

        @router.get(
            "/metrics",
            summary="Prometheus metrics (text exposition format)",
            response_class=PlainTextResponse,
        )
        async def prometheus_metrics() -> Response:
            return Response(generate_latest(metrics_registry), media_type=CONTENT_TYPE_LATEST)

    return router
