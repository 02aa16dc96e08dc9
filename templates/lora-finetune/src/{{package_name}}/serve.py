"""The generation endpoint: base model + adapter (or a merged model) behind FastAPI.

* `POST /generate` takes `{"prompt": ..., "max_new_tokens": ...}` and returns the greedy
  response. Prompts are built exactly as in training (`prompt_token_ids`). `max_new_tokens` above
  the server's limit, or a prompt longer than `max_prompt_tokens`, is a 422; a generation that
  runs past `request_timeout_s` is a 504 (and stops computing: `max_time` is passed to generate).
* `GET /healthz` is liveness, `GET /readyz` readiness (200 once the model has loaded, 503 while
  loading or when loading failed, with the reason), `GET /metrics` Prometheus text: the same
  conventions as the serving-api template.

One generation runs at a time (a single worker thread): a CPU or one GPU is saturated by one,
and the waiting time counts against the request's timeout.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
from fastapi import FastAPI, HTTPException, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    generate_latest,
)
from pydantic import BaseModel, Field
from transformers import PreTrainedTokenizerBase

from .data.examples import prompt_token_ids
from .http_metrics import HttpMetrics, HttpMetricsMiddleware
from .modeling.load import load_adapter, load_base_model, load_tokenizer

GENERATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class ServeSettings:
    base_model: str
    adapter_dir: Path | None  # None: serve base_model as is (a merged model, say)
    max_new_tokens_limit: int = 128
    default_max_new_tokens: int = 64
    max_prompt_tokens: int = 1024
    request_timeout_s: float = 30.0


class GenerateRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=20_000)
    max_new_tokens: int | None = Field(default=None, ge=1)


class GenerateResponse(BaseModel):
    response: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: Literal["stop", "length"]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "loading", "failed"]
    model: str | None = None
    detail: str | None = None


@dataclass
class Loaded:
    model: torch.nn.Module
    tokenizer: PreTrainedTokenizerBase


@dataclass
class ServiceState:
    settings: ServeSettings
    loaded: Loaded | None = None
    load_error: str | None = None
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate")
    )

    @property
    def model_name(self) -> str:
        adapter = self.settings.adapter_dir
        return f"{self.settings.base_model}+{adapter}" if adapter else self.settings.base_model


class ServingMetrics(HttpMetrics):
    """The shared HTTP metrics (with buckets sized for generation), and the generation's own."""

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(registry, latency_buckets=GENERATION_BUCKETS)
        self.tokens = Counter(
            "generation_tokens", "Tokens processed, by kind", ["kind"], registry=registry
        )
        self.generation_latency = Histogram(
            "generation_duration_seconds",
            "Time inside model.generate per request",
            buckets=GENERATION_BUCKETS,
            registry=registry,
        )
        self.timeouts = Counter(
            "generation_timeouts", "Requests that ran past the timeout", registry=registry
        )
        self.model_info = Info("model", "The model in service", registry=registry)


def load_model(settings: ServeSettings) -> Loaded:
    tokenizer = load_tokenizer(settings.base_model)
    model = load_base_model(settings.base_model)
    if settings.adapter_dir is not None:
        model = load_adapter(model, settings.adapter_dir)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return Loaded(model=model.to(device).eval(), tokenizer=tokenizer)


def _generate(
    loaded: Loaded, prompt_ids: list[int], max_new_tokens: int, timeout: float
) -> list[int]:
    device = next(loaded.model.parameters()).device
    input_ids = torch.tensor([prompt_ids], device=device)
    with torch.no_grad():
        output = loaded.model.generate(  # type: ignore[operator]
            input_ids=input_ids,
            attention_mask=torch.ones_like(input_ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=loaded.tokenizer.eos_token_id,
            pad_token_id=loaded.tokenizer.pad_token_id,
            max_time=timeout,  # the worker stops by itself once the request has timed out
        )
    return list(output[0, len(prompt_ids) :].tolist())


def create_app(
    settings: ServeSettings, loader: Callable[[ServeSettings], Loaded] = load_model
) -> FastAPI:
    state = ServiceState(settings)
    metrics = ServingMetrics(CollectorRegistry())

    def load_in_background() -> None:
        try:
            state.loaded = loader(settings)
            metrics.model_info.info({"name": state.model_name})
        except Exception as err:  # reported by /readyz; the server stays unready
            state.load_error = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=load_in_background, name="load-model", daemon=True).start()
        yield
        state.executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="LoRA generation", lifespan=lifespan)
    app.add_middleware(HttpMetricsMiddleware, metrics=metrics, routes=app.router.routes)

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        return Health()

    @app.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
    async def readyz(response: Response) -> Readiness:
        if state.loaded is not None:
            return Readiness(status="ready", model=state.model_name)
        response.status_code = 503
        if state.load_error is not None:
            return Readiness(status="failed", detail=state.load_error)
        return Readiness(status="loading")

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.post("/generate", response_model=GenerateResponse)
    async def generate(request: GenerateRequest) -> GenerateResponse:
        loaded = state.loaded
        if loaded is None:
            raise HTTPException(503, detail=state.load_error or "the model is still loading")
        default = min(settings.default_max_new_tokens, settings.max_new_tokens_limit)
        max_new = request.max_new_tokens or default
        if max_new > settings.max_new_tokens_limit:
            raise HTTPException(
                422,
                detail=f"max_new_tokens {max_new} is above this server's limit "
                f"{settings.max_new_tokens_limit}",
            )
        prompt_ids = prompt_token_ids(request.prompt, loaded.tokenizer)
        if len(prompt_ids) > settings.max_prompt_tokens:
            raise HTTPException(
                422,
                detail=f"prompt has {len(prompt_ids)} tokens; the limit is "
                f"{settings.max_prompt_tokens}",
            )
        timeout = settings.request_timeout_s
        started = time.perf_counter()
        job = asyncio.get_running_loop().run_in_executor(
            state.executor, _generate, loaded, prompt_ids, max_new, timeout
        )
        try:
            new_ids = await asyncio.wait_for(job, timeout)
        except TimeoutError:
            metrics.timeouts.inc()
            raise HTTPException(
                504, detail=f"generation ran past the {timeout:g} s request timeout"
            ) from None
        metrics.generation_latency.observe(time.perf_counter() - started)
        metrics.tokens.labels("prompt").inc(len(prompt_ids))
        metrics.tokens.labels("completion").inc(len(new_ids))
        eos = loaded.tokenizer.eos_token_id
        stopped = eos is not None and eos in new_ids
        text = loaded.tokenizer.decode(new_ids, skip_special_tokens=True)
        return GenerateResponse(
            response=str(text),
            prompt_tokens=len(prompt_ids),
            completion_tokens=len(new_ids),
            finish_reason="stop" if stopped else "length",
        )

    return app
