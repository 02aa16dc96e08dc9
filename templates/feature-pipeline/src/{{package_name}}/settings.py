"""All configuration in one validated object; every field can be overridden as FEATURES_<NAME>."""

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .definitions import DEFAULT_EVENT_TIME_FLOOR, LABEL_HORIZON, LONGEST_WINDOW


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FEATURES_", frozen=True, extra="forbid")

    data_dir: Path = Path("data")
    reports_dir: Path = Path("reports")
    # A raw CSV of your own to ingest instead of the synthetic one under data_dir.
    events_csv: Path | None = None

    # The embedded synthetic source: same seed, same events, same numbers.
    seed: int = 7
    n_users: int = Field(default=2_000, ge=1)
    n_days: int = Field(default=60, ge=1)
    start_date: date = date(2026, 1, 1)
    dirty_fraction: float = Field(default=0.02, ge=0.0, le=0.5)
    labels_per_user: int = Field(default=3, ge=1)

    # Any SQLAlchemy URL for SQLite or PostgreSQL; empty means a SQLite file under data_dir.
    online_store_url: str = ""
    # A PostgreSQL URL (postgresql+psycopg://...): the events, the snapshots and the training
    # set's point-in-time join live and run there; empty means DuckDB over Parquet files.
    offline_store_url: str = ""
    # What computes the Parquet offline store: DuckDB on this machine, or Spark (pip extra
    # `spark`, a Java runtime) on spark_master: local[N] or a cluster URL like spark://host:7077.
    offline_engine: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str = "local[2]"
    # A vector older than this (since the batch job materialised it) is not served.
    online_ttl_hours: float = Field(default=48.0, gt=0)

    # Ingestion quarantines, and the serving path refuses, events before this date or after the
    # ingestion time itself (definitions.PlausibleTimes).
    event_time_floor: date = DEFAULT_EVENT_TIME_FLOOR

    # The model: the latest labels (by time) are held out; training labels are purged so their
    # outcome windows end before the holdout starts.
    holdout_fraction: float = Field(default=0.2, gt=0.0, lt=0.9)

    # The scoring service (`serve`), and its log of served vectors (kept to the newest rows).
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65_535)
    served_log_max_rows: int = Field(default=100_000, ge=1)
    # How many lookups `pipeline` replays through the serving path before the skew check.
    replay_requests: int = Field(default=2_000, ge=0)

    # The skew check compares the whole online store and this many historic offline snapshots,
    # and fails when any feature goes past one of the thresholds.
    skew_offline_sample: int = Field(default=2_000, ge=0)
    skew_max_mismatch_rate: float = Field(default=0.001, ge=0.0, le=1.0)
    skew_max_psi: float = Field(default=0.1, ge=0.0)
    skew_abs_tolerance: float = Field(default=1e-6, ge=0.0)
    # Served traffic vs the training reference: drift, not a bug, so a warning unless fail_on_drift.
    skew_max_served_psi: float = Field(default=0.25, ge=0.0)
    skew_fail_on_drift: bool = False

    @field_validator("n_days")
    @classmethod
    def _long_enough_for_labels(cls, n_days: int) -> int:
        needed = (LONGEST_WINDOW + LABEL_HORIZON).days + 1
        if n_days < needed:
            raise ValueError(f"must be at least {needed} (28-day windows + 7-day labels)")
        return n_days

    @model_validator(mode="after")
    def _one_offline_engine(self) -> "Settings":
        if self.offline_engine == "spark" and self.offline_store_url:
            raise ValueError(
                "offline_engine=spark and offline_store_url are exclusive: with a PostgreSQL "
                "offline store the database computes the features; unset one of them"
            )
        return self

    @property
    def synthetic_events_path(self) -> Path:
        return self.data_dir / "raw" / "events.csv"

    @property
    def raw_events_path(self) -> Path:
        """What ingestion and the serving path read: your CSV if given, else the synthetic one."""
        return self.events_csv if self.events_csv is not None else self.synthetic_events_path

    @property
    def clean_events_path(self) -> Path:
        return self.data_dir / "clean" / "events.parquet"

    @property
    def rejected_events_path(self) -> Path:
        return self.data_dir / "rejected" / "events.parquet"

    @property
    def offline_features_path(self) -> Path:
        return self.data_dir / "offline" / "user_features.parquet"

    @property
    def training_set_path(self) -> Path:
        return self.data_dir / "offline" / "training_set.parquet"

    @property
    def quarantined_events_path(self) -> Path:
        return self.data_dir / "quarantine" / "events.parquet"

    @property
    def model_dir(self) -> Path:
        return self.data_dir / "model"

    @property
    def online_url(self) -> str:
        if self.online_store_url:
            return self.online_store_url
        return f"sqlite:///{self.data_dir / 'online_store.sqlite'}"
