"""Daily feature snapshots per user, computed in DuckDB SQL.

A snapshot at `as_of` (a UTC midnight) sees only events with event_time < as_of, over half-open
windows [as_of - window, as_of). Every user gets a row at every midnight from the day after their
first event to the cutoff, including days with empty windows: "no transactions this week" is a
feature value too, and the online store needs it.
"""

import math
from datetime import datetime
from pathlib import Path

import duckdb

from ..definitions import CATEGORIES, FEATURE_NAMES, WINDOW_7D, WINDOW_28D, FeatureVector
from ..errors import InputError
from ..files import write_atomically

# Daily tiles: one row per user and day with that day's partial aggregates, placed at the first
# snapshot that sees the day (its next midnight). Because windows are whole days ending at a
# midnight, a w-day window is exactly the last w tiles, so every feature is a window function
# over a dense user x day grid: linear in the grid, however long the windows. Distinct
# categories travel as a bitmask per tile (bit i = CATEGORIES[i]), OR-ed over the window.
# (This needs whole-day windows and daily snapshots; tests/test_definitions.py holds them to it.)
SNAPSHOTS_SQL = f"""
WITH tiles AS (
    SELECT user_id,
           date_trunc('day', event_time) + INTERVAL 1 DAY AS as_of,
           count(*) AS n,
           sum(amount) AS total,
           max(amount) AS biggest,
           bit_or(1::BIGINT << (list_position($categories, category) - 1)) AS categories,
           max(event_time) AS last_event_time
    FROM events
    WHERE event_time < $cutoff::TIMESTAMP
    GROUP BY ALL
),
grid AS (
    SELECT user_id,
           unnest(generate_series(min(as_of), $cutoff::TIMESTAMP, INTERVAL 1 DAY)) AS as_of
    FROM tiles
    GROUP BY user_id
),
dense AS (
    SELECT g.user_id, g.as_of,
           coalesce(t.n, 0) AS n,
           coalesce(t.total, 0) AS total,
           t.biggest,
           coalesce(t.categories, 0) AS categories,
           t.last_event_time
    FROM grid g
    LEFT JOIN tiles t USING (user_id, as_of)
)
SELECT user_id, as_of,
       n::DOUBLE AS txn_count_1d,
       sum(n) OVER last_7d::DOUBLE AS txn_count_7d,
       sum(n) OVER last_28d::DOUBLE AS txn_count_28d,
       total AS amount_sum_1d,
       sum(total) OVER last_7d AS amount_sum_7d,
       sum(total) OVER last_28d AS amount_sum_28d,
       CASE WHEN sum(n) OVER last_28d > 0
            THEN sum(total) OVER last_28d / sum(n) OVER last_28d END AS amount_mean_28d,
       max(biggest) OVER last_7d AS amount_max_7d,
       bit_count(bit_or(categories) OVER last_28d)::DOUBLE AS distinct_categories_28d,
       (epoch(as_of) - epoch(max(last_event_time) OVER so_far)) / 3600.0
           AS hours_since_last_txn
FROM dense
WINDOW last_7d AS (PARTITION BY user_id ORDER BY as_of
                   ROWS BETWEEN {WINDOW_7D.days - 1} PRECEDING AND CURRENT ROW),
       last_28d AS (PARTITION BY user_id ORDER BY as_of
                    ROWS BETWEEN {WINDOW_28D.days - 1} PRECEDING AND CURRENT ROW),
       so_far AS (PARTITION BY user_id ORDER BY as_of ROWS UNBOUNDED PRECEDING)
ORDER BY user_id, as_of
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
        raise InputError("clean events: none to compute features from (every row was rejected?)")
    return cutoff  # type: ignore[no-any-return]


def snapshot_relation(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> duckdb.DuckDBPyRelation:
    return con.sql(SNAPSHOTS_SQL, params={"cutoff": cutoff, "categories": list(CATEGORIES)})


def write_snapshots(con: duckdb.DuckDBPyConnection, cutoff: datetime, path: Path) -> int:
    """Compute every snapshot up to `cutoff` into a Parquet file; returns the row count."""
    relation = snapshot_relation(con, cutoff)
    write_atomically(path, lambda p: relation.write_parquet(str(p)))
    [(rows,)] = con.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()
    return int(rows)


def sample_historic_snapshots(path: Path, rows: int, seed: int) -> list[FeatureVector]:
    """A repeatable random sample of the snapshots older than the online store's newest ones."""
    with duckdb.connect() as con:
        sample = con.sql(
            f"""
            SELECT user_id, as_of, {", ".join(FEATURE_NAMES)}
            FROM (
                SELECT * FROM read_parquet('{path}')
                WHERE as_of < (SELECT max(as_of) FROM read_parquet('{path}'))
            )
            USING SAMPLE reservoir({int(rows)} ROWS) REPEATABLE ({int(seed)})
            ORDER BY user_id, as_of
            """
        ).fetchall()
    return [
        FeatureVector(
            user_id=int(row[0]),
            as_of=row[1],
            features={
                name: None if value is None or math.isnan(value) else float(value)
                for name, value in zip(FEATURE_NAMES, row[2:], strict=True)
            },
        )
        for row in sample
    ]
