"""The student's package (MLPATH_PACKAGE) and a small point-in-time case built with DuckDB."""

from __future__ import annotations

import importlib
import os
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType

import duckdb
import pandas as pd
import pytest

DAY0 = datetime(2024, 3, 1)


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


@pytest.fixture(scope="session")
def training_set() -> ModuleType:
    return importlib.import_module(f"{os.environ['MLPATH_PACKAGE']}.offline.training_set")


@pytest.fixture(scope="session")
def feature_names() -> tuple[str, ...]:
    module = importlib.import_module(f"{os.environ['MLPATH_PACKAGE']}.definitions")
    return tuple(module.FEATURE_NAMES)


def build(
    module: ModuleType,
    names: tuple[str, ...],
    tmp_path: Path,
    snapshots: list[tuple[int, float]],  # (user_id, day) -> every feature = user*100 + day
    labels: list[tuple[int, float]],  # (user_id, day)
    events: list[tuple[int, float]] = (),  # type: ignore[assignment]
) -> pd.DataFrame:
    con = duckdb.connect()
    events_df = pd.DataFrame(
        {
            "event_id": pd.Series(range(len(events)), dtype="int64"),
            "user_id": pd.Series([u for u, _ in events], dtype="int64"),
            "event_time": pd.Series([day(d) for _, d in events], dtype="datetime64[us]"),
        }
    )
    con.register("events_df", events_df)
    con.execute("CREATE VIEW events AS SELECT * FROM events_df")
    snap = pd.DataFrame(
        {
            "user_id": pd.Series([u for u, _ in snapshots], dtype="int64"),
            "as_of": pd.Series([day(d) for _, d in snapshots], dtype="datetime64[us]"),
            **{name: [float(u * 100 + d) for u, d in snapshots] for name in names},
        }
    )
    parquet = tmp_path / "offline_features.parquet"
    con.register("snap_df", snap)
    con.execute(f"COPY (SELECT * FROM snap_df) TO '{parquet}' (FORMAT parquet)")
    label_times = pd.DataFrame(
        {
            "label_id": pd.Series(range(len(labels)), dtype="int64"),
            "user_id": pd.Series([u for u, _ in labels], dtype="int64"),
            "label_time": pd.Series([day(d) for _, d in labels], dtype="datetime64[us]"),
        }
    )
    result: pd.DataFrame = module.build_training_set(con, label_times, parquet)
    return result
