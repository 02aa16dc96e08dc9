"""The state of one running service and the prediction path through it.

`ServiceState` holds the settings, the metrics, and the models once they have loaded (in the
background, so liveness answers while a large model loads and readiness reports progress): the
primary, and optionally a candidate that takes a share of the traffic (A/B) or a shadow that
scores a copy of it off the response path.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from threadpoolctl import threadpool_limits

from ..core.assignment import Arm, assign
from ..core.drift import DriftWindow
from ..io.artifact import LoadedModel
from ..io.backends import use_backend
from ..settings import Settings
from .batching import MicroBatcher
from .metrics import ServingMetrics
from .shadow import ShadowScorer

logger = logging.getLogger(__name__)


class ModelNotReadyError(Exception):
    """A prediction arrived before the model finished loading."""


@dataclass(frozen=True)
class DeployedModel:
    """A model in service and its part in it: the share of traffic it answers."""

    role: Literal["primary", "candidate", "shadow"]
    model: LoadedModel
    weight: float


@dataclass
class ServiceState:
    settings: Settings
    metrics: ServingMetrics | None
    model: LoadedModel | None = None
    # The A/B candidate (None without one, or when the second version is a shadow).
    candidate: LoadedModel | None = None
    shadow: ShadowScorer | None = None
    load_error: str | None = None
    drift: DriftWindow | None = None
    batchers: dict[Arm, MicroBatcher] = field(default_factory=dict)
    # Set by the server on SIGTERM: readiness answers 503 and connections are not kept alive.
    draining: bool = False
    _background: set[asyncio.Task[None]] = field(default_factory=set)

    def start_loading(self, loader: Callable[[str], LoadedModel]) -> None:
        task = asyncio.create_task(self._load(loader), name="model-loader")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _load(self, loader: Callable[[str], LoadedModel]) -> None:
        started = time.perf_counter()
        try:
            model = await asyncio.to_thread(self._load_one, loader, self.settings.model_uri)
            second = None
            if self.settings.candidate_model_uri is not None:
                second = await asyncio.to_thread(
                    self._load_one, loader, self.settings.candidate_model_uri
                )
            # One pod, one core: BLAS/OpenMP worker threads would only spin against the event
            # loop for a one-row predict. The model load has imported every native library.
            threadpool_limits(limits=self.settings.inference_threads)
            # Hide the startup heap (libraries, the model) from the cyclic collector: otherwise
            # each full collection walks it all and stalls every connection for 100-200 ms,
            # about once a second under load (it was the whole p99 at 32 clients).
            gc.collect()
            gc.freeze()
        except Exception as err:  # reported by /readyz and the log; the pod stays unready
            self.load_error = f"{type(err).__name__}: {err}"
            logger.error("model load failed", extra={"error": self.load_error})
            return
        if second is not None and self.settings.candidate_role == "shadow":
            self.shadow = ShadowScorer(
                second, model.threshold, self.settings.shadow_queue_size, self.metrics
            )
            self.shadow.start()
        elif second is not None:
            self.candidate = second
        if self.metrics is not None:
            self.drift = DriftWindow(model.reference(), self.settings.drift_window_rows)
        self.model = model
        for deployed in self.deployed():
            name, version = str(deployed.model.metadata["name"]), deployed.model.version
            if self.metrics is not None:
                self.metrics.model_info.labels(role=deployed.role).info(
                    {"name": name, "version": version}
                )
            logger.info(
                "model loaded",
                extra={
                    "model_version": version,
                    "role": deployed.role,
                    "backend": deployed.model.backend,
                    "weight": deployed.weight,
                    "seconds": round(time.perf_counter() - started, 3),
                },
            )
        if self.settings.batching:
            arms: tuple[tuple[Arm, LoadedModel | None], ...] = (
                ("primary", model),
                ("candidate", self.candidate),
            )
            for arm, arm_model in arms:
                if arm_model is not None:
                    batcher = MicroBatcher(
                        functools.partial(self._infer, arm_model),
                        self.settings.batch_max_rows,
                        self.settings.batch_max_wait_ms / 1000,
                    )
                    batcher.start()
                    self.batchers[arm] = batcher

    def _load_one(self, loader: Callable[[str], LoadedModel], uri: str) -> LoadedModel:
        backend, threads = self.settings.inference_backend, self.settings.inference_threads
        return use_backend(loader(uri), backend, threads)

    def deployed(self) -> list[DeployedModel]:
        """The loaded models with their role and share of the traffic (empty while loading)."""
        if self.model is None:
            return []
        weight = self.settings.candidate_weight if self.candidate is not None else 0.0
        models = [DeployedModel("primary", self.model, 1.0 - weight)]
        if self.candidate is not None:
            models.append(DeployedModel("candidate", self.candidate, weight))
        if self.shadow is not None:
            models.append(DeployedModel("shadow", self.shadow.model, 0.0))
        return models

    def begin_draining(self) -> None:
        """Called from the signal handler: only flips a flag."""
        self.draining = True
        logger.info("draining: readiness is 503, in-flight and arriving requests are served")

    async def shutdown(self) -> None:
        for batcher in self.batchers.values():
            await batcher.stop()
        if self.shadow is not None:
            await self.shadow.stop()

    @property
    def splits_traffic(self) -> bool:
        return self.candidate is not None and self.settings.candidate_weight > 0

    async def predict(
        self, features: np.ndarray, assignment_key: str | None = None
    ) -> tuple[LoadedModel, np.ndarray]:
        """The model that answers (sticky on `assignment_key` when traffic is split) and its
        probabilities."""
        if self.model is None:
            raise ModelNotReadyError(self.load_error or "the model is still loading")
        arm: Arm = "primary"
        model = self.model
        if self.candidate is not None and assignment_key is not None:
            arm = assign(assignment_key, self.settings.candidate_weight)
            if arm == "candidate":
                model = self.candidate
        batcher = self.batchers.get(arm)
        if batcher is not None:
            probabilities = await batcher.submit(features)
        else:
            probabilities = self._infer(model, features)
        if self.metrics is not None:
            self.metrics.model_requests.labels(version=model.version, role=arm).inc()
        return model, probabilities

    def _infer(self, model: LoadedModel, features: np.ndarray) -> np.ndarray:
        """One model call; runs on the event loop (a thread would add overhead, not parallelism:
        the call is short and holds the GIL for most of its time)."""
        if self.metrics is None:
            return model.default_probability(features)
        start = time.perf_counter()
        probabilities = model.default_probability(features)
        self.metrics.for_version(model.version).observe(time.perf_counter() - start, probabilities)
        if self.drift is not None:
            self.drift.observe(features)
        return probabilities
