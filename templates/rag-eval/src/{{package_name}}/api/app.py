"""FastAPI app over a QAService.

Conventions: /healthz says the process is up, /readyz that the index is loaded and answers a
probe query, /metrics exposes Prometheus counters and latency histograms (one registry per app,
so several apps can live in one test process).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, HTTPException, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel, Field

from ..errors import InputError, RagEvalError
from ..qa import QAService


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(5, gt=0, le=100)


class PassageOut(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    start: int
    end: int
    score: float
    text: str


class SearchResponse(BaseModel):
    query: str
    results: list[PassageOut]


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    k: int = Field(5, gt=0, le=50)


class CitationOut(BaseModel):
    marker: int
    chunk_id: str
    doc_id: str
    title: str
    start: int
    end: int
    quote: str


class AskResponse(BaseModel):
    question: str
    answer: str
    answerer: str
    citations: list[CitationOut]


def create_app(service: QAService) -> FastAPI:
    app = FastAPI(title="RAG search and answers", version="0.1.0")
    registry = CollectorRegistry()
    requests = Counter("rag_http_requests", "HTTP requests", ["path", "status"], registry=registry)
    latency = Histogram(
        "rag_http_request_seconds",
        "Request latency",
        ["path"],
        registry=registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    )
    empty_results = Counter(
        "rag_search_empty_results", "Searches that returned no passage", registry=registry
    )

    @app.middleware("http")
    async def record(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        path = request.url.path
        if path in ("/search", "/ask", "/healthz", "/readyz"):
            latency.labels(path).observe(time.perf_counter() - started)
            requests.labels(path, str(response.status_code)).inc()
        return response

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> dict[str, object]:
        try:
            service.search("health check", 1)
        except RagEvalError as err:
            raise HTTPException(status_code=503, detail=str(err)) from None
        return {"status": "ready", "chunks": len(service.system.chunks)}

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.post("/search")
    def search(body: SearchRequest) -> SearchResponse:
        try:
            passages = service.search(body.query, body.k)
        except RagEvalError as err:
            raise HTTPException(status_code=422, detail=str(err)) from None
        if not passages:
            empty_results.inc()
        return SearchResponse(
            query=body.query,
            results=[PassageOut(**p.__dict__) for p in passages],
        )

    @app.post("/ask")
    def ask(body: AskRequest) -> AskResponse:
        try:
            answer = service.ask(body.question, body.k)
        except InputError as err:
            raise HTTPException(status_code=422, detail=str(err)) from None
        except RagEvalError as err:  # the answer endpoint failed: a bad gateway, not bad input
            raise HTTPException(status_code=502, detail=str(err)) from None
        return AskResponse(
            question=body.question,
            answer=answer.text,
            answerer=answer.answerer,
            citations=[CitationOut(**c.__dict__) for c in answer.citations],
        )

    return app
