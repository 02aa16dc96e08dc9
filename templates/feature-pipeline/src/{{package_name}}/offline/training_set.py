"""Labels and point-in-time correct training sets.

A label asks: "at label_time, will this user buy anything in the next 7 days?" Its features must
be what a model would have seen at label_time, so the training set takes, per label, the newest
snapshot with as_of <= label_time (an ASOF JOIN) — never a later one, which would leak the future.
Labels without any snapshot before them are kept with null features and counted, not dropped.
"""

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..definitions import FEATURE_NAMES, LABEL_HORIZON, LONGEST_WINDOW
from ..errors import InputError

LABELS_SQL = f"""
SELECT l.label_id, l.user_id, l.label_time, count(e.event_id) > 0 AS target
FROM label_times l
LEFT JOIN events e
       ON e.user_id = l.user_id
      AND e.event_time >= l.label_time
      AND e.event_time < l.label_time + INTERVAL {LABEL_HORIZON.days} DAY
GROUP BY ALL
"""

TRAINING_SET_SQL = f"""
SELECT l.label_id, l.user_id, l.label_time, l.target, f.as_of AS feature_as_of,
       {", ".join(f"f.{name}" for name in FEATURE_NAMES)}
FROM labels l
ASOF LEFT JOIN offline_features f ON f.user_id = l.user_id AND f.as_of <= l.label_time
ORDER BY l.label_id
"""


def sample_label_times(
    user_ids: np.ndarray, start: datetime, cutoff: datetime, per_user: int, seed: int
) -> pd.DataFrame:
    """Random label times per user, late enough for full windows, early enough for full labels."""
    first = start + LONGEST_WINDOW
    last = cutoff - LABEL_HORIZON
    if last <= first:
        raise InputError(
            f"events from {start:%Y-%m-%d} to {cutoff:%Y-%m-%d}: expected at least "
            f"{(LONGEST_WINDOW + LABEL_HORIZON).days + 1} days for 28-day features and 7-day labels"
        )
    rng = np.random.default_rng(seed)
    users = np.repeat(np.sort(user_ids), per_user)
    span_s = int((last - first) / timedelta(seconds=1))
    offsets = rng.integers(0, span_s, len(users))
    return pd.DataFrame(
        {
            "label_id": np.arange(len(users), dtype="int64"),
            "user_id": users.astype("int64"),
            "label_time": (pd.Timestamp(first) + pd.to_timedelta(offsets, unit="s")).astype(
                "datetime64[us]"
            ),
        }
    )


def build_training_set(
    con: duckdb.DuckDBPyConnection, label_times: pd.DataFrame, offline_features: Path
) -> pd.DataFrame:
    """Labels from future events, features from the past, joined point-in-time."""
    con.register("label_times", label_times)
    con.execute(f"CREATE OR REPLACE TEMP TABLE labels AS {LABELS_SQL}")
    con.execute(
        "CREATE OR REPLACE TEMP VIEW offline_features AS "
        f"SELECT * FROM read_parquet('{offline_features}')"
    )
    training: pd.DataFrame = con.sql(TRAINING_SET_SQL).df()
    con.unregister("label_times")
    return training
