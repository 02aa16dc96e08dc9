"""The direct formulation of the snapshots: join every snapshot to the raw events in its window.

This is the SQL most people write first. It is correct but does work proportional to events x
window length (each event joins 28 snapshot rows), so the pipeline uses the tiled version in
batch_features.py instead. It stays here as the reference that version is tested against and
the baseline `make bench` compares it with.
"""

from datetime import datetime

import duckdb

RANGE_JOIN_SNAPSHOTS_SQL = """
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


def range_join_relation(
    con: duckdb.DuckDBPyConnection, cutoff: datetime
) -> duckdb.DuckDBPyRelation:
    return con.sql(RANGE_JOIN_SNAPSHOTS_SQL, params={"cutoff": cutoff})
