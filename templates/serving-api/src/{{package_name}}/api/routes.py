"""The routes: scoring and model description (behind the API key when auth is on), and the
operational ones (probes, metrics), which never are."""

from __future__ import annotations

from email.message import Message
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request, Response
from fastapi import params as fastapi_params
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from .logs import model_version_var, request_id_var
from .schemas import (
    DeployedModelInfo,
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
    async def predict(
        body: PredictRequest, request: Request, after_response: BackgroundTasks
    ) -> PredictResponse:
        key = None
        if state.splits_traffic:
            key = request.headers.get(state.settings.assignment_header) or request_id_var.get()
        features = to_matrix(body.instances)
        model, probabilities = await state.predict(features, key)
        model_version_var.set(model.version)
        if state.shadow is not None:  # queued once the response is sent: it never waits
            after_response.add_task(state.shadow.offer, features, probabilities)
        threshold = model.threshold
        return PredictResponse(
            model_version=model.version,
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

    @router.get(
        "/v1/models",
        response_model=list[DeployedModelInfo],
        summary="List the versions in service: primary, A/B candidate, shadow",
        responses={503: {"description": "The models have not loaded yet"}},
    )
    async def models() -> list[DeployedModelInfo]:
        deployed = state.deployed()
        if not deployed:
            raise ModelNotReadyError(state.load_error or "the model is still loading")
        return [
            DeployedModelInfo(
                role=d.role,
                weight=d.weight,
                backend=d.model.backend,
                name=str(d.model.metadata["name"]),
                version=d.model.version,
                model_type=str(d.model.metadata["model_type"]),
                created_at=str(d.model.metadata["created_at"]),
                metrics=d.model.metadata["metrics"],
            )
            for d in deployed
        ]

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
