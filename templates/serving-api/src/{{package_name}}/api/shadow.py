"""The shadow: a second model version scored on a copy of the primary's traffic, off the
response path.

Once the response has been sent, `offer` puts the rows and the primary's probabilities on a
bounded queue (`put_nowait`): the request never waits for the shadow, and when the queue is full
the copy is dropped and counted. A background task scores what has queued up in one call, on a
thread of its own, so that a slow shadow does not hold up the event loop that serves requests
(it still shares the CPU), and records how often the shadow's decision agrees with the primary's.
An exception in the shadow is logged and counted; it never reaches a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..io.artifact import LoadedModel
from .metrics import ServingMetrics

logger = logging.getLogger(__name__)

# Rows scored in one shadow call at most: bounds how long one call holds the event loop.
MAX_ROWS_PER_CALL = 256


class ShadowScorer:
    def __init__(
        self,
        model: LoadedModel,
        primary_threshold: float,
        queue_size: int,
        metrics: ServingMetrics | None,
    ) -> None:
        self.model = model
        self.primary_threshold = primary_threshold
        self.metrics = metrics
        self._queue: asyncio.Queue[tuple[np.ndarray, np.ndarray]] = asyncio.Queue(queue_size)
        self._worker: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shadow")
        self.scored_rows = 0
        self.agreeing_rows = 0
        self.dropped_requests = 0
        self.errors = 0

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="shadow-scorer")

    async def stop(self) -> None:
        """Stop without scoring what is left: shadow results are owed to no client."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        self._thread.shutdown(wait=False, cancel_futures=True)

    async def offer(self, features: np.ndarray, primary_probabilities: np.ndarray) -> None:
        """Queue a copy for the shadow; the route runs this after its response is sent."""
        try:
            self._queue.put_nowait((features, primary_probabilities))
        except asyncio.QueueFull:
            self.dropped_requests += 1
            if self.metrics is not None:
                self.metrics.shadow_dropped.labels(version=self.model.version).inc()

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            rows = len(batch[0][0])
            while rows < MAX_ROWS_PER_CALL and not self._queue.empty():
                batch.append(self._queue.get_nowait())
                rows += len(batch[-1][0])
            await asyncio.get_running_loop().run_in_executor(
                self._thread,
                self._score,
                np.concatenate([features for features, _ in batch]),
                np.concatenate([primary for _, primary in batch]),
            )

    def _score(self, features: np.ndarray, primary: np.ndarray) -> None:
        version = self.model.version
        start = time.perf_counter()
        try:
            shadow = self.model.default_probability(features)
        except Exception as err:
            self.errors += 1
            if self.metrics is not None:
                self.metrics.shadow_errors.labels(version=version).inc()
            logger.warning(
                "shadow model failed",
                extra={"model_version": version, "rows": len(features), "error": repr(err)},
            )
            return
        seconds = time.perf_counter() - start
        same_decision = (shadow >= self.model.threshold) == (primary >= self.primary_threshold)
        agreeing = int(np.count_nonzero(same_decision))
        self.scored_rows += len(shadow)
        self.agreeing_rows += agreeing
        if self.metrics is None:
            return
        self.metrics.for_version(version).observe(seconds, shadow)
        self.metrics.shadow_rows.labels(version=version).inc(len(shadow))
        self.metrics.shadow_agreeing_rows.labels(version=version).inc(agreeing)
        self.metrics.shadow_agreement.labels(version=version).set(
            self.agreeing_rows / self.scored_rows
        )
        differences = self.metrics.shadow_abs_difference.labels(version=version)
        for difference in np.abs(shadow - primary):
            differences.observe(float(difference))
