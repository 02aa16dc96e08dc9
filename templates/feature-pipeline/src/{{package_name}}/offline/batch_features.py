"""Daily feature snapshots per user: one Ibis query that DuckDB, PostgreSQL and Spark all run.

A snapshot at `as_of` (a UTC midnight) sees only events with event_time < as_of, over half-open
windows [as_of - window, as_of). Every user gets a row at every midnight from the day after their
first event to the cutoff, including days with empty windows: "no transactions this week" is a
feature value too, and the online store needs it.
"""

import math
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir
from ibis import _

from ..definitions import (
    CATEGORIES,
    FEATURE_NAMES,
    SNAPSHOT_INTERVAL,
    WINDOW_7D,
    WINDOW_28D,
    FeatureVector,
)
from ..errors import InputError
from ..files import write_atomically
from .compile import bit_or, events_table, to_sql


# Daily tiles: one row per user and day with that day's partial aggregates, placed at the first
# snapshot that sees the day (its next midnight). Because windows are whole days ending at a
# midnight, a w-day window is exactly the last w tiles, so every feature is a window function
# over a dense user x day grid: linear in the grid, however long the windows. Distinct
# categories travel as a bitmask per tile (bit i = CATEGORIES[i]), OR-ed over the window.
# (This needs whole-day windows and daily snapshots; tests/test_definitions.py holds them to it.)
def snapshot_query(events: ir.Table, cutoff: datetime) -> ir.Table:
    """Every user's snapshot at every midnight up to `cutoff`, ordered by user and time."""
    day = ibis.interval(days=SNAPSHOT_INTERVAL.days)
    until = ibis.literal(cutoff, type="timestamp")
    category_bit = ibis.cases(*[(events.category == c, 1 << i) for i, c in enumerate(CATEGORIES)])
    tiles = (
        events.filter(events.event_time < until)
        .mutate(as_of=events.event_time.truncate("D") + day, bit=category_bit.cast("int64"))
        .group_by(["user_id", "as_of"])
        .aggregate(
            n=_.event_id.count(),
            total=_.amount.sum(),
            biggest=_.amount.max(),
            categories=bit_or(_.bit),
            last_event_time=_.event_time.max(),
        )
    )
    firsts = tiles.group_by("user_id").aggregate(first=_.as_of.min())
    grid = firsts.select("user_id", as_of=ibis.range(firsts.first, until + day, day).unnest())
    dense = grid.left_join(tiles, ["user_id", "as_of"]).select(
        grid.user_id,
        grid.as_of,
        n=tiles.n.coalesce(0),
        total=tiles.total.coalesce(0.0),
        biggest=tiles.biggest,
        categories=tiles.categories.coalesce(0),
        last_event_time=tiles.last_event_time,
    )
    last_7d = _last_days(WINDOW_7D)
    last_28d = _last_days(WINDOW_28D)
    so_far = ibis.cumulative_window(group_by="user_id", order_by="as_of")
    w = dense.mutate(
        n_7d=_.n.sum().over(last_7d),
        n_28d=_.n.sum().over(last_28d),
        total_7d=_.total.sum().over(last_7d),
        total_28d=_.total.sum().over(last_28d),
        biggest_7d=_.biggest.max().over(last_7d),
        categories_28d=bit_or(_.categories).over(last_28d),
        last_event_time=_.last_event_time.max().over(so_far),
    )
    category_bits = [(w.categories_28d >> i) & 1 for i in range(len(CATEGORIES))]
    distinct_28d = sum(category_bits[1:], start=category_bits[0])
    hours_since = w.as_of.delta(w.last_event_time, unit="microsecond").cast("float64") / 1e6 / 3600
    return w.select(
        "user_id",
        "as_of",
        txn_count_1d=w.n.cast("float64"),
        txn_count_7d=w.n_7d.cast("float64"),
        txn_count_28d=w.n_28d.cast("float64"),
        amount_sum_1d=w.total,
        amount_sum_7d=w.total_7d,
        amount_sum_28d=w.total_28d,
        amount_mean_28d=ibis.ifelse(
            w.n_28d > 0, w.total_28d / w.n_28d.cast("float64"), ibis.null("float64")
        ),
        amount_max_7d=w.biggest_7d,
        distinct_categories_28d=distinct_28d.cast("float64"),
        hours_since_last_txn=hours_since,
    ).order_by(["user_id", "as_of"])


def _last_days(window: timedelta) -> ibis.expr.builders.LegacyWindowBuilder:
    """The snapshot's own tile and the window's earlier ones: a w-day window is w tiles."""
    return ibis.window(group_by="user_id", order_by="as_of", preceding=window.days - 1, following=0)


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
    return con.sql(to_sql(snapshot_query(events_table(), cutoff), "duckdb"))


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
