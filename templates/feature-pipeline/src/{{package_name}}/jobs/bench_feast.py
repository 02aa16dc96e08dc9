"""`make bench`, Feast beside the pipeline: the same features through the Feast repository that
`make feast` writes (tests/test_feast_repo.py proves the answers equal), timed on the bench's
scratch data, each pair alternating so the machine's drift hits both alike:

- the training set: the pipeline's ASOF JOIN in DuckDB (labels in, Parquet out) against Feast's
  `get_historical_features(...).to_df()` on the same label times (file offline store);
- loading the online store: the pipeline's `materialize` (SQLite, build and swap) against Feast's
  `materialize` over every snapshot (SQLite online store), both in process;
- one entity's online lookup: the pipeline's store against Feast's `get_online_features`.

Without the `feast` extra there is nothing to time: bench_feast returns None and the report says
how to install it.
"""

import contextlib
import importlib.util
import io
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from ..online.store import OnlineStore
from ..settings import Settings
from . import steps
from .bench_serving import Latency, _latency


class FeastBench(BaseModel):
    model_config = ConfigDict(frozen=True)

    feast_version: str
    labels: int
    users: int
    runs: int
    training_set_pipeline_s: float  # medians of the alternating pairs
    training_set_feast_s: float
    materialize_pipeline_s: float
    materialize_feast_s: float
    lookups: list[Latency]  # the pipeline's store, then Feast's


def _paired(first: Callable[[], object], second: Callable[[], object], runs: int) -> list[float]:
    """Median seconds of each callable, run in alternating pairs."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for fn, out in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def _quietly(fn: Callable[[], object]) -> None:
    """Run `fn` without its progress output (Feast's materialize prints a bar per run)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        fn()


def bench_feast(settings: Settings, runs: int, lookups: int) -> FeastBench | None:
    """`settings` must point at a scratch copy that the pipeline has run on."""
    if importlib.util.find_spec("feast") is None:
        return None
    import feast
    from feast import FeatureStore

    from ..feast_repo import feature_references

    repo = steps.feast_apply(settings)
    store = FeatureStore(repo_path=str(repo))
    references = feature_references()
    label_times = pd.read_parquet(
        settings.training_set_path, columns=["label_id", "user_id", "label_time"]
    ).rename(columns={"label_time": "event_timestamp"})
    training_pipeline_s, training_feast_s = _paired(
        lambda: steps.training_set(settings),
        lambda: store.get_historical_features(label_times, references).to_df(),
        runs,
    )
    since, until = steps.snapshot_window(settings)
    materialize_pipeline_s, materialize_feast_s = _paired(
        lambda: steps.materialize_online(settings),
        lambda: _quietly(lambda: store.materialize(since, until)),
        runs,
    )
    online = OnlineStore(settings.online_url)
    try:
        user_ids = [v.user_id for v in online.scan()]
        rng = np.random.default_rng(settings.seed)
        users = [int(u) for u in rng.choice(user_ids, size=lookups)]
        latencies = [
            _latency("pipeline online store, one entity", online.get, users, runs),
            _latency(
                "Feast get_online_features, one entity",
                lambda u: store.get_online_features(
                    features=references, entity_rows=[{"user_id": u}]
                ).to_dict(),
                users,
                runs,
            ),
        ]
    finally:
        online.close()
    return FeastBench(
        feast_version=feast.__version__,
        labels=len(label_times),
        users=len(user_ids),
        runs=runs,
        training_set_pipeline_s=training_pipeline_s,
        training_set_feast_s=training_feast_s,
        materialize_pipeline_s=materialize_pipeline_s,
        materialize_feast_s=materialize_feast_s,
        lookups=latencies,
    )


def format_feast(result: FeastBench | None) -> list[str]:
    if result is None:
        return ["Feast: not timed (the feast extra is not installed: uv sync --extra feast)"]
    lines = [
        f"Feast {result.feast_version} beside the pipeline ({result.labels:,} labels, "
        f"{result.users:,} users, medians of {result.runs} alternating pairs):",
        f"  training set: pipeline {result.training_set_pipeline_s:.3f} s, Feast "
        f"{result.training_set_feast_s:.3f} s "
        f"({result.training_set_feast_s / result.training_set_pipeline_s:.1f}x the pipeline's)",
        f"  online store load: pipeline {result.materialize_pipeline_s:.3f} s, Feast "
        f"{result.materialize_feast_s:.3f} s "
        f"({result.materialize_feast_s / result.materialize_pipeline_s:.1f}x the pipeline's)",
    ]
    for latency in result.lookups:
        lines.append(f"  {latency.path}: p50 {latency.p50_ms:.3f} ms, p99 {latency.p99_ms:.3f} ms")
    return lines
