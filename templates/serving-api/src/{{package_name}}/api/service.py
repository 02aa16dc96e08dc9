"""The state of one running service and the prediction path through it.

`ServiceState` holds the settings, the metrics, and the model once it has loaded (in the
background, so liveness answers while a large model loads and readiness reports progress).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from ..core.drift import DriftWindow
from ..io.artifact import LoadedModel
from ..settings import Settings
from .batching import MicroBatcher
from .metrics import ServingMetrics

logger = logging.getLogger(__name__)


class ModelNotReadyError(Exception):
    """A prediction arrived before the model finished loading."""


@dataclass
class ServiceState:
    settings: Settings
    metrics: ServingMetrics | None
    model: LoadedModel | None = None
    load_error: str | None = None
    drift: DriftWindow | None = None
    batcher: MicroBatcher | None = None
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
            model = await asyncio.to_thread(loader, self.settings.model_uri)
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
        if self.metrics is not None:
            self.drift = DriftWindow(model.reference(), self.settings.drift_window_rows)
            self.metrics.model_info.info(
                {"name": str(model.metadata["name"]), "version": model.version}
            )
        if self.settings.batching:
            self.batcher = MicroBatcher(
                self._infer,
                self.settings.batch_max_rows,
                self.settings.batch_max_wait_ms / 1000,
            )
            self.batcher.start()
        self.model = model
        logger.info(
            "model loaded",
            extra={"version": model.version, "seconds": round(time.perf_counter() - started, 3)},
        )

    def begin_draining(self) -> None:
        """Called from the signal handler: only flips a flag."""
        self.draining = True
        logger.info("draining: readiness is 503, in-flight and arriving requests are served")

    async def shutdown(self) -> None:
        if self.batcher is not None:
            await self.batcher.stop()

    async def predict(self, features: np.ndarray) -> np.ndarray:
        if self.model is None:
            raise ModelNotReadyError(self.load_error or "the model is still loading")
        if self.batcher is not None:
            return await self.batcher.submit(features)
        return self._infer(features)

    def _infer(self, features: np.ndarray) -> np.ndarray:
        """One model call; runs on the event loop (a thread would add overhead, not parallelism:
        the call is short and holds the GIL for most of its time)."""
        assert self.model is not None
        if self.metrics is None:
            return self.model.default_probability(features)
        start = time.perf_counter()
        probabilities = self.model.default_probability(features)
        self.metrics.inference_latency.observe(time.perf_counter() - start)
        self.metrics.batch_rows.observe(len(features))
        for p in probabilities:
            self.metrics.prediction_probability.observe(float(p))
        if self.drift is not None:
            self.drift.observe(features)
        return probabilities
