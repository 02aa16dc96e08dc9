"""The online store: one row per user with the newest snapshot, behind any SQLAlchemy URL.

SQLite by default (a file next to the offline store); PostgreSQL with
`FEATURES_ONLINE_STORE_URL=postgresql+psycopg://user@host/db` for several serving replicas. The
table is a key-value table (user_id -> as_of + JSON features) so adding a feature needs no schema
migration.

`materialize` replaces the whole table atomically: it fills a staging table, then drops the old
table and renames the staging one in a single transaction, so readers see either the previous
materialisation or the new one, never a mix, and a user missing from the new run is gone rather
than served a stale vector. Each row carries `materialized_at`; `get` with a TTL refuses rows
older than it. `write` (an upsert) is for incremental updates of single users.
"""

import math
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Engine,
    MetaData,
    Table,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from ..database import open_engine
from ..definitions import FEATURE_NAMES, FeatureVector
from ..errors import InputError

SUPPORTED_DIALECTS = ("sqlite", "postgresql")
WRITE_BATCH = 1_000

TABLE = "online_features"
STAGING_TABLE = "online_features_staging"


def _features_table(name: str, metadata: MetaData) -> Table:
    return Table(
        name,
        metadata,
        Column("user_id", BigInteger, primary_key=True, autoincrement=False),
        Column("as_of", DateTime, nullable=False),
        Column("features", JSON, nullable=False),
        Column("materialized_at", DateTime, nullable=False),
    )


metadata = MetaData()
online_features = _features_table(TABLE, metadata)
staging_metadata = MetaData()
staging_features = _features_table(STAGING_TABLE, staging_metadata)


def utc_now() -> datetime:
    """Naive UTC, as every timestamp in the stores."""
    return datetime.now(UTC).replace(tzinfo=None)


class OnlineStore:
    def __init__(self, url: str) -> None:
        self.engine = _engine(url)
        try:
            metadata.create_all(self.engine)
        except OperationalError as err:
            raise InputError(f"online store {url}: cannot connect ({err.orig})") from err

    def write(self, records: Iterable[FeatureVector]) -> int:
        """Upsert vectors (one user's refresh); `materialize` replaces the whole table instead."""
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        written = 0
        now = utc_now()
        with self.engine.begin() as conn:
            for batch in _batches(records, WRITE_BATCH):
                stmt = insert(online_features)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["user_id"],
                    set_={
                        "as_of": stmt.excluded.as_of,
                        "features": stmt.excluded.features,
                        "materialized_at": stmt.excluded.materialized_at,
                    },
                )
                conn.execute(stmt, [_row(r, now) for r in batch])
                written += len(batch)
        return written

    def replace_all(self, records: Iterable[FeatureVector], now: datetime | None = None) -> int:
        """Build the new table beside the old one, then swap them in one transaction."""
        stamp = now or utc_now()
        staging_metadata.drop_all(self.engine)
        staging_metadata.create_all(self.engine)
        written = 0
        with self.engine.begin() as conn:
            for batch in _batches(records, WRITE_BATCH):
                conn.execute(staging_features.insert(), [_row(r, stamp) for r in batch])
                written += len(batch)
        if written == 0:
            staging_metadata.drop_all(self.engine)
            raise InputError(
                "materialize: no snapshots to load; the online store was kept as it was"
            )
        with self.engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
            conn.execute(text(f"ALTER TABLE {STAGING_TABLE} RENAME TO {TABLE}"))
            if self.engine.dialect.name == "postgresql":  # index names are per schema there
                conn.execute(text(f"ALTER INDEX {STAGING_TABLE}_pkey RENAME TO {TABLE}_pkey"))
        return written

    def get(self, user_id: int, ttl: timedelta | None = None) -> FeatureVector | None:
        """The user's vector, or None when absent or (with a TTL) materialised too long ago."""
        query = select(online_features).where(online_features.c.user_id == user_id)
        if ttl is not None:
            query = query.where(online_features.c.materialized_at >= utc_now() - ttl)
        with self.engine.connect() as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else _record(row._mapping)

    def ping(self) -> None:
        """Raise if the database cannot answer (readiness)."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def scan(self) -> list[FeatureVector]:
        query = select(online_features).order_by(online_features.c.user_id)
        with self.engine.connect() as conn:
            return [_record(row._mapping) for row in conn.execute(query)]

    def close(self) -> None:
        self.engine.dispose()


def materialize(offline_features: Path, store: OnlineStore) -> int:
    """Replace the online store with each user's newest offline snapshot."""
    with duckdb.connect() as con:
        latest = con.sql(
            f"SELECT user_id, as_of, {', '.join(FEATURE_NAMES)} "
            f"FROM read_parquet('{offline_features}') "
            "QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY as_of DESC) = 1"
        ).fetchall()
    records = (
        FeatureVector(
            user_id=int(row[0]),
            as_of=row[1],
            features={name: _json_float(v) for name, v in zip(FEATURE_NAMES, row[2:], strict=True)},
        )
        for row in latest
    )
    return store.replace_all(records)


def _engine(url: str) -> Engine:
    expected = "a SQLAlchemy URL like sqlite:///data/online.sqlite or postgresql+psycopg://host/db"
    engine = open_engine(url, "online_store_url", expected, SUPPORTED_DIALECTS)
    if engine.dialect.name == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    return engine


def _batches(records: Iterable[FeatureVector], size: int) -> Iterator[list[FeatureVector]]:
    batch: list[FeatureVector] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _json_float(value: Any) -> float | None:
    # JSON has no NaN; a missing feature (no transactions in the window) is stored as null.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _row(record: FeatureVector, materialized_at: datetime) -> dict[str, Any]:
    features = dict(record.features)
    return {
        "user_id": record.user_id,
        "as_of": record.as_of,
        "features": features,
        "materialized_at": materialized_at,
    }


def _record(row: Any) -> FeatureVector:
    return FeatureVector(
        user_id=int(row["user_id"]),
        as_of=row["as_of"],
        features=row["features"],
        materialized_at=row["materialized_at"],
    )
