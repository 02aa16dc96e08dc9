"""The offline store in PostgreSQL (FEATURES_OFFLINE_STORE_URL): the database keeps the clean
events and the daily snapshots, and computes both the snapshots and the point-in-time training
set itself, so a team can share one offline store instead of Parquet files on one machine.

The snapshot and training-set SQL is not written here: Ibis compiles batch_features.py's and
training_set.py's queries to PostgreSQL's SQL. PostgreSQL has no ASOF JOIN, so the as-of join
becomes a LATERAL lookup of each label's newest snapshot on the snapshots' (user_id, as_of) primary
key. tests/offline/test_postgres_store.py holds both to DuckDB's results row for row on the sample.

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

import ibis
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from ..database import open_engine
from ..definitions import FEATURE_NAMES
from ..errors import InputError
from ..files import write_atomically
from .batch_features import snapshot_query
from .compile import events_table, label_times_table, to_sql, with_duckdb_dtypes
from .training_set import (
    SNAPSHOT_SCHEMA,
    TRAINING_SET_COLUMNS,
    label_query,
    training_set_query,
)

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


def snapshots_sql(events: str, cutoff: datetime) -> str:
    """batch_features.snapshot_query over the table `events`, in PostgreSQL's SQL."""
    return to_sql(snapshot_query(events_table(events), cutoff), "postgres")


def training_set_sql() -> str:
    """training_set's labels and point-in-time join over the stored tables, in PostgreSQL's SQL."""
    labels = label_query(label_times_table(), events_table(EVENTS_TABLE))
    snapshots = ibis.table(SNAPSHOT_SCHEMA, name=SNAPSHOTS_TABLE)
    return to_sql(training_set_query(labels, snapshots), "postgres")


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
            cur.execute(f"CREATE TABLE {new_snapshots} AS {snapshots_sql(new_events, cutoff)}")
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
            cur.execute(training_set_sql())
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
    return with_duckdb_dtypes(pd.DataFrame(cursor.fetchall(), columns=columns))


def _engine(url: str) -> Engine:
    expected = "a PostgreSQL SQLAlchemy URL like postgresql+psycopg://user@host/db"
    return open_engine(url, "offline_store_url", expected, ("postgresql+psycopg",))
