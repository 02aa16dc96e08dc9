"""Run one function over many students in worker processes, in roster order, past failures.

Processes, not threads: Copier changes the working directory while it renders, and that is
shared by every thread of a process. The worker function returns a result for each student
(failures included); an exception that escapes it, or a worker process that dies, becomes that
student's failure instead of stopping the others.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")


def default_jobs(count: int) -> int:
    return max(1, min(count, os.cpu_count() or 1))


def run_all(
    work: Callable[[Job], Result],
    jobs: Sequence[Job],
    on_error: Callable[[Job, BaseException], Result],
    workers: int | None = None,
) -> list[Result]:
    workers = workers or default_jobs(len(jobs))
    if workers <= 1 or len(jobs) <= 1:
        return [call(work, job, on_error) for job in jobs]
    context = multiprocessing.get_context("spawn")  # no fork of a process that holds threads
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(work, job) for job in jobs]
        results = []
        try:
            for job, future in zip(jobs, futures, strict=True):
                try:
                    results.append(future.result())
                except BrokenProcessPool as err:
                    results.append(on_error(job, err))
                except Exception as err:
                    results.append(on_error(job, err))
        except KeyboardInterrupt:  # start no more students; the running ones finish
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        return results


def call(
    work: Callable[[Job], Result], job: Job, on_error: Callable[[Job, BaseException], Result]
) -> Result:
    try:
        return work(job)
    except Exception as err:
        return on_error(job, err)
