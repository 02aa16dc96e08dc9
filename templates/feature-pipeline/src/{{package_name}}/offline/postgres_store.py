"""The offline store in PostgreSQL (FEATURES_OFFLINE_STORE_URL): the database keeps the clean
events and the daily snapshots, and computes both the snapshots and the point-in-time training
set itself, so a team can share one offline store instead of Parquet files on one machine.

The snapshot SQL is the tiled formulation of batch_features.py in PostgreSQL's dialect (the same
tiles, window frames and category bitmask). PostgreSQL has no ASOF JOIN, so the training set takes
each label's newest snapshot at or before its time with a LATERAL lookup on the snapshots'
(user_id, as_of) primary key. tests/offline/test_postgres_store.py holds both to DuckDB's results
row for row on the sample.

A build replaces the events and snapshot tables in one transaction (PostgreSQL's DDL is
transactional): readers see the previous build or the new one, and a build that fails leaves the
previous one. The snapshots are also exported to the Parquet file that the serving-side steps
read (materialize, the parity and skew checks), so those work the same with either store.
"""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from ..database import open_engine
from ..definitions import CATEGORIES, FEATURE_NAMES, LABEL_HORIZON, WINDOW_7D, WINDOW_28D
from ..errors import InputError
from ..files import write_atomically
from .training_set import TRAINING_SET_COLUMNS

EVENTS_TABLE = "offline_events"
SNAPSHOTS_TABLE = "offline_features"
EVENT_COLUMNS = ("event_id", "user_id", "event_time", "amount", "category")

CREATE_EVENTS_SQL = """
CREATE TABLE {table} (
    event_id TEXT NOT NULL,
    user_id BIGINT NOT NULL,
    event_time TIMESTAMP NOT NULL,
    amount DOUBLE PRECISION NOT NULL,
    category TEXT NOT NULL
)
"""

# batch_features.SNAPSHOTS_SQL, tile for tile; see the comment there for why it is linear.
SNAPSHOTS_SQL = f"""
CREATE TABLE {{snapshots}} AS
WITH tiles AS (
    SELECT user_id,
           date_trunc('day', event_time) + INTERVAL '1 day' AS as_of,
           count(*) AS n,
           sum(amount) AS total,
           max(amount) AS biggest,
           bit_or(1::BIGINT << (array_position(%(categories)s::TEXT[], category) - 1))
               AS categories,
           max(event_time) AS last_event_time
    FROM {{events}}
    WHERE event_time < %(cutoff)s::TIMESTAMP
    GROUP BY user_id, date_trunc('day', event_time)
),
grid AS (
    SELECT user_id,
           generate_series(min(as_of), %(cutoff)s::TIMESTAMP, INTERVAL '1 day') AS as_of
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
       n::DOUBLE PRECISION AS txn_count_1d,
       (sum(n) OVER last_7d)::DOUBLE PRECISION AS txn_count_7d,
       (sum(n) OVER last_28d)::DOUBLE PRECISION AS txn_count_28d,
       total AS amount_sum_1d,
       sum(total) OVER last_7d AS amount_sum_7d,
       sum(total) OVER last_28d AS amount_sum_28d,
       CASE WHEN sum(n) OVER last_28d > 0
            THEN sum(total) OVER last_28d / (sum(n) OVER last_28d)::DOUBLE PRECISION
       END AS amount_mean_28d,
       max(biggest) OVER last_7d AS amount_max_7d,
       bit_count((bit_or(categories) OVER last_28d)::BIT(64))::DOUBLE PRECISION
           AS distinct_categories_28d,
       (extract(epoch FROM as_of)::DOUBLE PRECISION
        - extract(epoch FROM max(last_event_time) OVER so_far)::DOUBLE PRECISION) / 3600.0
           AS hours_since_last_txn
FROM dense
WINDOW last_7d AS (PARTITION BY user_id ORDER BY as_of
                   ROWS BETWEEN {WINDOW_7D.days - 1} PRECEDING AND CURRENT ROW),
       last_28d AS (PARTITION BY user_id ORDER BY as_of
                    ROWS BETWEEN {WINDOW_28D.days - 1} PRECEDING AND CURRENT ROW),
       so_far AS (PARTITION BY user_id ORDER BY as_of ROWS UNBOUNDED PRECEDING)
"""

# training_set.LABELS_SQL and TRAINING_SET_SQL; the LATERAL lookup is the as-of join.
TRAINING_SET_SQL = f"""
WITH labels AS (
    SELECT l.label_id, l.user_id, l.label_time, count(e.event_id) > 0 AS target
    FROM label_times l
    LEFT JOIN {EVENTS_TABLE} e
           ON e.user_id = l.user_id
          AND e.event_time >= l.label_time
          AND e.event_time < l.label_time + INTERVAL '{LABEL_HORIZON.days} days'
    GROUP BY l.label_id, l.user_id, l.label_time
)
SELECT l.label_id, l.user_id, l.label_time, l.target, f.as_of AS feature_as_of,
       {", ".join(f"f.{name}" for name in FEATURE_NAMES)}
FROM labels l
LEFT JOIN LATERAL (
    SELECT * FROM {SNAPSHOTS_TABLE} s
    WHERE s.user_id = l.user_id AND s.as_of <= l.label_time
    ORDER BY s.as_of DESC
    LIMIT 1
) f ON TRUE
ORDER BY l.label_id
"""


class PostgresOfflineStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _engine(url)

    def build(self, clean_events: Path, cutoff: datetime, export: Path) -> int:
        """Load the clean events, compute every snapshot up to `cutoff`, swap both tables in.

        Returns the snapshot count; `export` gets the snapshots as Parquet.
        """
        events = pd.read_parquet(clean_events, columns=list(EVENT_COLUMNS))
        new_events, new_snapshots = f"{EVENTS_TABLE}_new", f"{SNAPSHOTS_TABLE}_new"
        with self._cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {new_events}, {new_snapshots}")
            cur.execute(CREATE_EVENTS_SQL.format(table=new_events))
            _copy_in(cur, new_events, events)
            cur.execute(f"CREATE INDEX ON {new_events} (user_id, event_time)")
            cur.execute(
                SNAPSHOTS_SQL.format(snapshots=new_snapshots, events=new_events),
                {"cutoff": cutoff, "categories": list(CATEGORIES)},
            )
            cur.execute(f"ALTER TABLE {new_snapshots} ADD PRIMARY KEY (user_id, as_of)")
            cur.execute(f"DROP TABLE IF EXISTS {EVENTS_TABLE}, {SNAPSHOTS_TABLE}")
            cur.execute(f"ALTER TABLE {new_events} RENAME TO {EVENTS_TABLE}")
            cur.execute(f"ALTER TABLE {new_snapshots} RENAME TO {SNAPSHOTS_TABLE}")
            cur.execute(
                f"SELECT user_id, as_of, {', '.join(FEATURE_NAMES)} "
                f"FROM {SNAPSHOTS_TABLE} ORDER BY user_id, as_of"
            )
            snapshots = _frame(cur, ["user_id", "as_of", *FEATURE_NAMES])
        write_atomically(export, lambda p: snapshots.to_parquet(p, index=False))
        return len(snapshots)

    def training_set(self, label_times: pd.DataFrame) -> pd.DataFrame:
        """training_set.build_training_set, computed by PostgreSQL on the stored tables."""
        from psycopg.errors import UndefinedTable  # an optional dependency (the postgres extra)

        try:
            return self._training_set(label_times)
        except UndefinedTable as err:
            raise InputError(
                f"offline store {self.url}: no {SNAPSHOTS_TABLE} table "
                "(run `features` with FEATURES_OFFLINE_STORE_URL set first)"
            ) from err

    def _training_set(self, label_times: pd.DataFrame) -> pd.DataFrame:
        with self._cursor() as cur:
            cur.execute(
                "CREATE TEMP TABLE label_times "
                "(label_id BIGINT, user_id BIGINT, label_time TIMESTAMP) ON COMMIT DROP"
            )
            _copy_in(cur, "label_times", label_times[["label_id", "user_id", "label_time"]])
            cur.execute("ANALYZE label_times")
            cur.execute(TRAINING_SET_SQL)
            return _frame(cur, list(TRAINING_SET_COLUMNS))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A cursor in one transaction: committed when the block ends, rolled back on error."""
        from psycopg import OperationalError as ConnectionFailed

        try:
            connection = self.engine.raw_connection()
        except (OperationalError, ConnectionFailed) as err:
            reason = str(getattr(err, "orig", err)).strip().splitlines()[-1].strip()
            raise InputError(f"offline store {self.url}: cannot connect ({reason})") from err
        try:
            cursor = connection.cursor()
            yield cursor
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()


def _copy_in(cursor: Any, table: str, frame: pd.DataFrame) -> None:
    """COPY a frame into `table` through CSV text (the bulk path; row inserts are far slower)."""
    text = io.StringIO()
    frame.to_csv(text, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S.%f")
    with cursor.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(text.getvalue())


def _frame(cursor: Any, columns: list[str]) -> pd.DataFrame:
    """Query rows with DuckDB's dtypes: int64 keys, datetime64[us] times, float64 features."""
    frame = pd.DataFrame(cursor.fetchall(), columns=columns)
    for name in columns:
        if name in ("label_id", "user_id"):
            frame[name] = frame[name].astype("int64")
        elif name in ("as_of", "label_time", "feature_as_of"):
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]")
        elif name == "target":
            frame[name] = frame[name].astype(bool)
        else:
            frame[name] = frame[name].astype("float64")
    return frame


def _engine(url: str) -> Engine:
    expected = "a PostgreSQL SQLAlchemy URL like postgresql+psycopg://user@host/db"
    return open_engine(url, "offline_store_url", expected, ("postgresql+psycopg",))
