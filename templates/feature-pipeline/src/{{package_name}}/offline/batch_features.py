"""Daily feature snapshots per user, computed in DuckDB SQL.

A snapshot at `as_of` (a UTC midnight) sees only events with event_time < as_of, over half-open
windows [as_of - window, as_of). Every user gets a row at every midnight from the day after their
first event to the cutoff, including days with empty windows: "no transactions this week" is a
feature value too, and the online store needs it.
"""

from datetime import datetime
from pathlib import Path

import duckdb

SNAPSHOTS_SQL = """
WITH grid AS (
    SELECT user_id,
           unnest(generate_series(
               date_trunc('day', min(event_time)) + INTERVAL 1 DAY,
               $cutoff::TIMESTAMP,
               INTERVAL 1 DAY)) AS as_of
    FROM events
    WHERE event_time < $cutoff::TIMESTAMP
    GROUP BY user_id
),
windowed AS (
    SELECT g.user_id, g.as_of,
           count(e.event_id) FILTER (WHERE e.event_time >= g.as_of - INTERVAL 1 DAY)
               AS txn_count_1d,
           count(e.event_id) FILTER (WHERE e.event_time >= g.as_of - INTERVAL 7 DAY)
               AS txn_count_7d,
           count(e.event_id) AS txn_count_28d,
           coalesce(sum(e.amount) FILTER (WHERE e.event_time >= g.as_of - INTERVAL 1 DAY), 0)
               AS amount_sum_1d,
           coalesce(sum(e.amount) FILTER (WHERE e.event_time >= g.as_of - INTERVAL 7 DAY), 0)
               AS amount_sum_7d,
           coalesce(sum(e.amount), 0) AS amount_sum_28d,
           avg(e.amount) AS amount_mean_28d,
           max(e.amount) FILTER (WHERE e.event_time >= g.as_of - INTERVAL 7 DAY) AS amount_max_7d,
           count(DISTINCT e.category) AS distinct_categories_28d
    FROM grid g
    LEFT JOIN events e
           ON e.user_id = g.user_id
          AND e.event_time < g.as_of
          AND e.event_time >= g.as_of - INTERVAL 28 DAY
    GROUP BY g.user_id, g.as_of
),
latest AS (
    -- The newest event strictly before each snapshot, however old: an as-of join.
    SELECT g.user_id, g.as_of, e.event_time AS last_event_time
    FROM grid g
    ASOF LEFT JOIN events e ON e.user_id = g.user_id AND e.event_time < g.as_of
)
SELECT w.user_id, w.as_of,
       w.txn_count_1d::DOUBLE AS txn_count_1d,
       w.txn_count_7d::DOUBLE AS txn_count_7d,
       w.txn_count_28d::DOUBLE AS txn_count_28d,
       w.amount_sum_1d, w.amount_sum_7d, w.amount_sum_28d, w.amount_mean_28d, w.amount_max_7d,
       w.distinct_categories_28d::DOUBLE AS distinct_categories_28d,
       (epoch(w.as_of) - epoch(l.last_event_time)) / 3600.0 AS hours_since_last_txn
FROM windowed w
JOIN latest l USING (user_id, as_of)
ORDER BY w.user_id, w.as_of
"""


def connect_events(clean_events: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the clean events as the view `events`."""
    con = duckdb.connect()
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{clean_events}')")
    return con


def default_cutoff(con: duckdb.DuckDBPyConnection) -> datetime:
    """The midnight after the last event: the newest snapshot that sees all the data."""
    [(cutoff,)] = con.sql(
        "SELECT date_trunc('day', max(event_time)) + INTERVAL 1 DAY FROM events"
    ).fetchall()
    if cutoff is None:
        raise ValueError("no events to compute features from")
    return cutoff  # type: ignore[no-any-return]


def snapshot_relation(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> duckdb.DuckDBPyRelation:
    return con.sql(SNAPSHOTS_SQL, params={"cutoff": cutoff})


def write_snapshots(con: duckdb.DuckDBPyConnection, cutoff: datetime, path: Path) -> int:
    """Compute every snapshot up to `cutoff` into a Parquet file; returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    snapshot_relation(con, cutoff).write_parquet(str(path))
    [(rows,)] = con.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()
    return int(rows)
