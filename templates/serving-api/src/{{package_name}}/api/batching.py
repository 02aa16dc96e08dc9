"""Size-or-timeout micro-batching: merge concurrent requests into one model call.

A scikit-learn call costs about the same for 1 row as for 64 (validation and dispatch dominate),
so under concurrency, merging requests raises throughput. The worker takes the first waiting
request, then gathers more until `max_rows` rows or `max_wait_s` have passed, calls the model
once and hands each request its slice.

Waiting only pays when other requests are coming. So the worker waits only after a batch that
merged several requests; after a lone one it takes what is queued and goes, and a single client
sees no added latency. Under concurrency the first merged batch turns the waiting back on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import numpy as np

BatchFn = Callable[[np.ndarray], np.ndarray]


class MicroBatcher:
    def __init__(self, predict: BatchFn, max_rows: int, max_wait_s: float) -> None:
        self._predict = predict
        self.max_rows = max_rows
        self.max_wait_s = max_wait_s
        self._queue: asyncio.Queue[tuple[np.ndarray, asyncio.Future[np.ndarray]]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        # Start out expecting company (a server exists for many clients); the first lone
        # request turns the waiting off.
        self._last_batch_requests = 2

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        """Finish what is queued, then stop (used on graceful shutdown)."""
        await self._queue.join()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def submit(self, rows: np.ndarray) -> np.ndarray:
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        await self._queue.put((rows, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            n_rows = len(batch[0][0])
            wait_s = self.max_wait_s if self._last_batch_requests > 1 else 0.0
            deadline = time.perf_counter() + wait_s
            while n_rows < self.max_rows:
                if self._queue.empty():
                    remaining = deadline - time.perf_counter()
                    if remaining <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(self._queue.get(), remaining)
                    except TimeoutError:
                        break
                else:
                    item = self._queue.get_nowait()
                batch.append(item)
                n_rows += len(item[0])
            self._last_batch_requests = len(batch)
            self._dispatch(batch)

    def _dispatch(self, batch: list[tuple[np.ndarray, asyncio.Future[np.ndarray]]]) -> None:
        try:
            outputs = self._predict(np.concatenate([rows for rows, _ in batch]))
        except Exception as err:  # one bad batch fails its requests, not the worker
            for _, future in batch:
                if not future.done():
                    future.set_exception(err)
        else:
            start = 0
            for rows, future in batch:
                if not future.done():  # the client may have gone away
                    future.set_result(outputs[start : start + len(rows)])
                start += len(rows)
        finally:
            for _ in batch:
                self._queue.task_done()
