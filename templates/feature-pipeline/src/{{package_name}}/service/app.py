"""The HTTP service: `POST /predict {entity_id}` scores one entity from the online store.

* `POST /predict` looks the entity's features up in the online store, scores them with the saved
  model and logs the served vector (entity, time, vector, model version) for the skew check.
  404 when the entity has no vector, or only one older than the TTL.
* `GET /healthz` is liveness; `GET /readyz` readiness (200 once the model is loaded and the
  store answers, 503 with the reason otherwise).
* `GET /metrics` is the Prometheus scrape endpoint.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import FastAPI, HTTPException, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError

from ..definitions import MAX_USER_ID
from ..errors import PipelineError
from ..model.artifact import ModelBundle, load_bundle
from ..online.store import OnlineStore
from ..settings import Settings
from .http_metrics import HttpMetricsMiddleware
from .metrics import ServiceMetrics
from .scoring import NotServedError, Scorer
from .served_log import ServedLog

FLUSH_INTERVAL_S = 1.0


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity_id: int = Field(ge=0, le=MAX_USER_ID, description="The user to score")


class PredictResponse(BaseModel):
    entity_id: int
    score: float = Field(description="Probability of a purchase in the next 7 days")
    model_version: str
    features_as_of: datetime
    served_at: datetime


class Readiness(BaseModel):
    ready: bool
    model_version: str | None = None
    reason: str | None = None


@dataclass
class ServiceState:
    settings: Settings
    metrics: ServiceMetrics
    scorer: Scorer | None = None
    store: OnlineStore | None = None
    log: ServedLog | None = None
    error: str | None = None
    flusher: asyncio.Task[None] | None = field(default=None)

    def open(self, loader: Callable[[Path], ModelBundle]) -> None:
        try:
            bundle = loader(self.settings.model_dir)
            self.store = OnlineStore(self.settings.online_url)
            self.log = ServedLog(self.store, self.settings.served_log_max_rows)
        except PipelineError as err:
            self.error = str(err)
            return
        ttl = timedelta(hours=self.settings.online_ttl_hours)
        self.scorer = Scorer(self.store, bundle, ttl)
        self.metrics.model_info.info({"version": bundle.version})

    def close(self) -> None:
        if self.log is not None:
            self.log.flush()
        if self.store is not None:
            self.store.close()

    async def flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            if self.log is not None:
                await asyncio.to_thread(self.log.flush)


def create_app(settings: Settings, loader: Callable[[Path], ModelBundle] = load_bundle) -> FastAPI:
    registry = CollectorRegistry()
    state = ServiceState(settings=settings, metrics=ServiceMetrics(registry))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(state.open, loader)
        state.flusher = asyncio.create_task(state.flush_periodically())
        yield
        state.flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await state.flusher
        await asyncio.to_thread(state.close)

    app = FastAPI(
        title="Purchase propensity scoring",
        description=__doc__ or "",
        lifespan=lifespan,
    )
    app.state.service = state

    app.add_middleware(HttpMetricsMiddleware, metrics=state.metrics, routes=app.router.routes)

    @app.post(
        "/predict",
        response_model=PredictResponse,
        responses={
            404: {"description": "No vector for the entity, or only one older than the TTL"},
            422: {"description": "entity_id missing, not an integer, or out of range"},
            503: {"description": "The model or the online store is not available"},
        },
    )
    def predict(body: PredictRequest) -> PredictResponse:
        if state.scorer is None or state.log is None:
            raise HTTPException(503, detail=state.error or "the service is starting")
        try:
            served = state.scorer.predict(body.entity_id)
        except NotServedError as err:
            state.metrics.lookups.labels(result=err.reason).inc()
            raise HTTPException(404, detail=str(err)) from None
        except SQLAlchemyError as err:
            state.metrics.lookups.labels(result="error").inc()
            raise HTTPException(
                503, detail=f"online store unavailable: {getattr(err, 'orig', err)}"
            ) from None
        state.metrics.lookups.labels(result="hit").inc()
        state.metrics.scores.observe(served.score)
        state.log.record(served)
        return PredictResponse(
            entity_id=served.entity_id,
            score=served.score,
            model_version=served.model_version,
            features_as_of=served.feature_as_of,
            served_at=served.served_at,
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
    def readyz() -> JSONResponse:
        if state.scorer is None or state.store is None:
            reason = state.error or "starting"
            return JSONResponse(Readiness(ready=False, reason=reason).model_dump(), 503)
        try:
            state.store.ping()
        except SQLAlchemyError as err:
            reason = f"online store unavailable: {getattr(err, 'orig', err)}"
            return JSONResponse(Readiness(ready=False, reason=reason).model_dump(), 503)
        ready = Readiness(ready=True, model_version=state.scorer.bundle.version)
        return JSONResponse(ready.model_dump())

    @app.get("/metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
