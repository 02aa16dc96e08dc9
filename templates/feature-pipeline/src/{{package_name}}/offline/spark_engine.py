"""The offline build on Spark (FEATURES_OFFLINE_ENGINE=spark): the same snapshot and training-set
queries as DuckDB's, compiled by Ibis to Spark SQL, for event logs larger than one machine.

FEATURES_SPARK_MASTER says where to run: `local[N]` (the default, N cores of this machine) or an
existing cluster (`spark://host:7077`, `yarn`). Spark reads the clean events' Parquet file; the
snapshots it computes are collected into the one Parquet file that the serving-side steps read
(materialize, the parity and skew checks), exactly as the PostgreSQL store exports them.
tests/offline/test_spark_engine.py holds both results to DuckDB's row for row on the sample.

Spark SQL has no as-of join, so the training set takes each label's newest snapshot through a
range join (training_set_query with native_asof=False).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from ..definitions import FEATURE_NAMES
from ..errors import InputError
from ..files import write_atomically
from .batch_features import snapshot_query
from .compile import events_table, label_times_table, to_sql, with_duckdb_dtypes
from .training_set import SNAPSHOT_SCHEMA, TRAINING_SET_COLUMNS, label_query, training_set_query

LOG_CONFIG = Path(__file__).with_name("spark-log4j2.properties")
INSTALL_HINT = "install the spark extra (uv sync --extra spark) and a Java 17+ runtime"


@contextmanager
def spark_session(master: str) -> Iterator[Any]:
    """A Spark session on `master` in UTC, stopped when the block ends."""
    try:
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkRuntimeError
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise InputError(
            f"offline_engine=spark: pyspark is not installed ({INSTALL_HINT})"
        ) from err
    log_config = LOG_CONFIG.as_uri()  # a URI: a path with spaces would split the JVM options
    builder = (
        SparkSession.builder.master(master)
        .appName("offline-features")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        # The pipeline prints its own progress: no stage bars, and Spark logs only warnings.
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log_config}")
        # A local run moves little data between stages; Spark's default of 200 partitions is
        # sized for clusters and makes small jobs slow.
        .config("spark.sql.shuffle.partitions", "8")
    )
    try:
        session = builder.getOrCreate()
    except (PySparkRuntimeError, Py4JJavaError, OSError) as err:
        # Spark fails either starting its JVM (no Java, or a master it cannot parse), or inside
        # it: then the master is unreachable, and the Java message's first line says why.
        java = getattr(err, "java_exception", None)
        message = java.getMessage() if java is not None else str(err)
        reason = message.strip().splitlines()[0]
        hint = (
            "check FEATURES_SPARK_MASTER (local[N] or spark://host:port) "
            "and that Java 17+ is on PATH"
            if java is None
            else "check FEATURES_SPARK_MASTER and that the cluster is up"
        )
        raise InputError(f"spark_master {master}: cannot start Spark ({reason}); {hint}") from err
    try:
        yield session
    finally:
        session.stop()


class SparkOfflineEngine:
    def __init__(self, session: Any) -> None:
        self.spark = session

    def build(self, clean_events: Path, cutoff: datetime, export: Path) -> int:
        """Compute every snapshot up to `cutoff` from the clean events into `export` (Parquet).

        Returns the snapshot count.
        """
        self.spark.read.parquet(str(clean_events.resolve())).createOrReplaceTempView("events")
        query = to_sql(snapshot_query(events_table(), cutoff), "pyspark")
        snapshots = _frame(self.spark.sql(query), ["user_id", "as_of", *FEATURE_NAMES])
        write_atomically(export, lambda p: snapshots.to_parquet(p, index=False))
        return len(snapshots)

    def training_set(
        self, clean_events: Path, label_times: pd.DataFrame, offline_features: Path
    ) -> pd.DataFrame:
        """training_set.build_training_set, computed by Spark."""
        self.spark.read.parquet(str(clean_events.resolve())).createOrReplaceTempView("events")
        self.spark.read.parquet(str(offline_features.resolve())).createOrReplaceTempView(
            "offline_features"
        )
        times = label_times[["label_id", "user_id", "label_time"]]
        self.spark.createDataFrame(times).createOrReplaceTempView("label_times")
        labels = label_query(label_times_table(), events_table())
        snapshots = ibis.table(SNAPSHOT_SCHEMA, name="offline_features")
        query = to_sql(training_set_query(labels, snapshots, native_asof=False), "pyspark")
        return _frame(self.spark.sql(query), list(TRAINING_SET_COLUMNS))


def _frame(result: Any, columns: list[str]) -> pd.DataFrame:
    return with_duckdb_dtypes(result.toPandas()[columns])
