"""The student's `offline.training_set.build_training_set` on small point-in-time cases built
with DuckDB, handed out as plain columns (timestamps as ISO strings, missing values as None)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pandas as pd
from _inputs import CASES, Rows, day

Student = Callable[[str], ModuleType]


def build(student: Student, snapshots: Rows, labels: Rows, events: Rows) -> pd.DataFrame:
    module = student("offline.training_set")
    names = tuple(student("definitions").FEATURE_NAMES)
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
    parquet = Path(tempfile.mkdtemp()) / "offline_features.parquet"
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


def plain(frame: pd.DataFrame, student: Student) -> dict[str, Any]:
    names = [str(name) for name in student("definitions").FEATURE_NAMES]
    as_of = pd.to_datetime(frame["feature_as_of"])
    columns = {
        "feature_as_of": [None if pd.isna(t) else t.isoformat() for t in as_of],
        **{name: [None if pd.isna(v) else float(v) for v in frame[name]] for name in names},
    }
    if "label_id" in frame and "target" in frame:
        columns["label_id"] = [int(v) for v in frame["label_id"]]
        columns["target"] = [bool(v) for v in frame["target"].astype(bool)]
    return {
        "rows": len(frame),
        "columns": [str(c) for c in frame.columns],
        "declared_columns": [str(c) for c in student("offline.training_set").TRAINING_SET_COLUMNS],
        "feature_names": names,
        "values": columns,
    }


def case_for(name: str) -> Callable[[Student], Any]:
    def case(student: Student) -> Any:
        return plain(build(student, *CASES[name]), student)

    return case


for _name in CASES:
    globals()[f"case_{_name}"] = case_for(_name)
