"""`make bench`, serving side: lookup latency through the store and through HTTP, and the time
of the served skew check on a large log.

The HTTP figures come from the real app under uvicorn on loopback (in a thread of this process),
one keep-alive client sending requests one after another, so p50/p99 are one request's cost:
lookup, vector assembly, the model, the log append and the HTTP round trip. Each path is timed
in `runs` rounds of the same requests after a few untimed warm-up requests (connections, the
statement cache), and p50 and p99 are the medians over the rounds: one round's p99 is its ten
slowest requests, which a busy machine's scheduler alone can move by milliseconds.
"""

import gc
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import numpy as np
import uvicorn
from pydantic import BaseModel, ConfigDict

from ..model.artifact import load_bundle
from ..online.store import OnlineStore, utc_now
from ..service.app import create_app
from ..service.scoring import Served
from ..service.served_log import served_frame
from ..settings import Settings
from ..skew.served import check_served
from . import steps

WARM_UP_REQUESTS = 20


class Latency(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    requests: int  # per round
    p50_ms: float  # median over the rounds
    p99_ms: float  # median over the rounds
    rounds: int = 1


class ServingBench(BaseModel):
    model_config = ConfigDict(frozen=True)

    latencies: list[Latency]
    skew_check_rows: int
    skew_check_s: float


def _latency(
    path: str, call: Callable[[int], object], users: list[int], rounds: int = 1
) -> Latency:
    for user in users[:WARM_UP_REQUESTS]:
        call(user)
    p50s, p99s = [], []
    for _ in range(rounds):
        gc.collect()  # each round starts without the garbage of the one before
        samples = []
        for user in users:
            start = time.perf_counter()
            call(user)
            samples.append((time.perf_counter() - start) * 1_000)
        p50, p99 = np.percentile(samples, [50, 99])
        p50s.append(float(p50))
        p99s.append(float(p99))
    return Latency(
        path=path,
        requests=len(users),
        p50_ms=statistics.median(p50s),
        p99_ms=statistics.median(p99s),
        rounds=rounds,
    )


@contextmanager
def running_server(settings: Settings) -> Iterator[str]:
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("bench: the scoring service did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def bench_serving(
    settings: Settings, requests: int, skew_rows: int, rounds: int = 1
) -> ServingBench:
    """`settings` must point at a scratch copy: the served log there is written to."""
    store = OnlineStore(settings.online_url)
    try:
        vectors = store.scan()
        rng = np.random.default_rng(settings.seed)
        users = [int(u) for u in rng.choice([v.user_id for v in vectors], size=requests)]
        latencies = [_latency("online store lookup", store.get, users, rounds)]
    finally:
        store.close()
    with running_server(settings) as url, httpx.Client(base_url=url) as client:
        latencies.append(
            _latency(
                "POST /predict over HTTP",
                lambda u: client.post("/predict", json={"entity_id": u}).raise_for_status(),
                users,
                rounds,
            )
        )
    # A log of `skew_rows` lookups as clean traffic would have logged them (the stored vectors).
    now = utc_now()
    picks = rng.integers(0, len(vectors), skew_rows)
    log = served_frame(
        Served(
            entity_id=vectors[i].user_id,
            served_at=now + timedelta(microseconds=k),
            feature_as_of=vectors[i].as_of,
            model_version="bench",
            features=dict(vectors[i].features),
            score=0.0,
        )
        for k, i in enumerate(picks)
    )
    bundle = load_bundle(settings.model_dir)
    thresholds = steps.served_thresholds(settings)
    offline = settings.offline_features_path
    seconds = statistics.median(
        _timed(lambda: check_served(log, offline, bundle, thresholds)) for _ in range(3)
    )
    return ServingBench(latencies=latencies, skew_check_rows=skew_rows, skew_check_s=seconds)


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
