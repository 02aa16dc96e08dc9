"""The log of served vectors: a bounded table next to the online store.

Each prediction is logged with its entity, time, the vector the model scored and the model
version; this is what `skew-check` reads. Writes are buffered and flushed in batches (and at
shutdown), so a request pays for an append, not a database transaction; the table keeps only
the newest `max_rows` rows.
"""

import threading
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    select,
)

from ..definitions import FEATURE_NAMES
from ..online.store import OnlineStore
from .scoring import Served

FLUSH_EVERY = 200

log_metadata = MetaData()
served_vectors = Table(
    "served_vectors",
    log_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity_id", BigInteger, nullable=False),
    Column("served_at", DateTime, nullable=False, index=True),
    Column("feature_as_of", DateTime, nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("features", JSON, nullable=False),
    Column("score", Float, nullable=False),
)


class ServedLog:
    def __init__(self, store: OnlineStore, max_rows: int) -> None:
        self.engine = store.engine
        self.max_rows = max_rows
        self._pending: list[Served] = []
        self._lock = threading.Lock()  # guards _pending: held for an append or a swap
        # One write at a time. At shutdown the periodic flush may be cancelled while its thread
        # is still writing; the final flush then waits for that write instead of letting the
        # process exit under it (which lost the batch in flight).
        self._write_lock = threading.Lock()
        log_metadata.create_all(self.engine)

    def record(self, served: Served) -> None:
        with self._lock:
            self._pending.append(served)
            full = len(self._pending) >= FLUSH_EVERY
        if full:
            self.flush()

    def flush(self) -> int:
        with self._write_lock:
            with self._lock:
                pending, self._pending = self._pending, []
            if not pending:
                return 0
            with self.engine.begin() as conn:
                conn.execute(served_vectors.insert(), [_row(s) for s in pending])
                newest = conn.execute(select(func.max(served_vectors.c.id))).scalar_one()
                conn.execute(
                    delete(served_vectors).where(served_vectors.c.id <= newest - self.max_rows)
                )
            return len(pending)

    def clear(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(served_vectors))

    def read(self) -> pd.DataFrame:
        query = select(served_vectors).order_by(served_vectors.c.id)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        return served_frame(
            Served(
                entity_id=int(r["entity_id"]),
                served_at=r["served_at"],
                feature_as_of=r["feature_as_of"],
                model_version=r["model_version"],
                features=r["features"],
                score=float(r["score"]),
            )
            for r in rows
        )


def served_frame(served: Iterable[Served]) -> pd.DataFrame:
    """One row per prediction, one column per feature (NaN for null), in FEATURE_NAMES order."""
    records = [
        {
            "entity_id": s.entity_id,
            "served_at": s.served_at,
            "feature_as_of": s.feature_as_of,
            "model_version": s.model_version,
            "score": s.score,
            **{name: s.features.get(name) for name in FEATURE_NAMES},
        }
        for s in served
    ]
    columns = ["entity_id", "served_at", "feature_as_of", "model_version", "score", *FEATURE_NAMES]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame[list(FEATURE_NAMES)] = frame[list(FEATURE_NAMES)].astype("float64")
    for column in ("served_at", "feature_as_of"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    frame["entity_id"] = frame["entity_id"].astype("int64")
    return frame


def _row(served: Served) -> dict[str, object]:
    return {
        "entity_id": served.entity_id,
        "served_at": served.served_at,
        "feature_as_of": served.feature_as_of,
        "model_version": served.model_version,
        "features": served.features,
        "score": served.score,
    }
