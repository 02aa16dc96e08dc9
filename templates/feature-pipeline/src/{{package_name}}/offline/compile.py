"""One definition of the offline features, compiled to each engine's SQL by Ibis.

The snapshot and training-set queries are written once as Ibis expressions over named, unbound
tables (batch_features.py and training_set.py); `to_sql` turns one into the SQL of the engine
that runs it: DuckDB over Parquet by default, PostgreSQL when it is the offline store, Spark
when it is the offline engine. Each engine then runs its SQL on its own connection, so nothing
here opens a database.
"""

from typing import Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

Dialect = Literal["duckdb", "postgres", "pyspark"]

# The tables the queries read, by their names in SQL; each engine provides them.
EVENTS_SCHEMA = ibis.schema(
    {
        "event_id": "string",
        "user_id": "int64",
        "event_time": "timestamp",
        "amount": "float64",
        "category": "string",
    }
)
LABEL_TIMES_SCHEMA = ibis.schema(
    {"label_id": "int64", "user_id": "int64", "label_time": "timestamp"}
)


def events_table(name: str = "events") -> ir.Table:
    return ibis.table(EVENTS_SCHEMA, name=name)


def label_times_table(name: str = "label_times") -> ir.Table:
    return ibis.table(LABEL_TIMES_SCHEMA, name=name)


@ibis.udf.agg.builtin  # type: ignore[untyped-decorator]  # ibis ships no type information
def bit_or(value: int) -> int:  # type: ignore[empty-body]
    """Bitwise OR of the values: an aggregate DuckDB, PostgreSQL and Spark all have by this name."""


def to_sql(expr: ir.Table, dialect: Dialect) -> str:
    if dialect == "pyspark":
        # Ibis's Spark compiler reads its options from the Spark backend, registered on first use.
        _ = ibis.pyspark
    return str(ibis.to_sql(expr, dialect=dialect))


def with_duckdb_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Another engine's result with DuckDB's dtypes, so results compare and save alike: int64
    keys, datetime64[us] times, a bool target and float64 features."""
    for name in frame.columns:
        if name in ("label_id", "user_id"):
            frame[name] = frame[name].astype("int64")
        elif name in ("as_of", "label_time", "feature_as_of"):
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]")
        elif name == "target":
            frame[name] = frame[name].astype(bool)
        else:
            frame[name] = frame[name].astype("float64")
    return frame
