"""The feature registry: one place that says what each feature means.

Both feature paths (DuckDB SQL for training, Python for serving) read their windows and validity
rules from here, and the skew check compares them feature by feature. The implementations are kept
independent on purpose: sharing code between them would hide exactly the bugs the check exists for.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

MAX_USER_ID = 2**63 - 1  # a BIGINT key in every store
CATEGORIES = ("groceries", "electronics", "fashion", "home", "travel", "entertainment")
MAX_AMOUNT = 50_000.0

# Feature windows are half-open: an event counts as of `as_of` when as_of - window <= t < as_of.
WINDOW_1D = timedelta(days=1)
WINDOW_7D = timedelta(days=7)
WINDOW_28D = timedelta(days=28)
LONGEST_WINDOW = WINDOW_28D

# Batch snapshots are taken at every UTC midnight; labels look this far ahead of their time.
SNAPSHOT_INTERVAL = timedelta(days=1)
LABEL_HORIZON = timedelta(days=7)


@dataclass(frozen=True)
class FeatureSpec:
    """What one feature means; the SQL and Python paths, the model and the skew check read it."""

    name: str
    description: str
    window: timedelta | None  # None: all history before the snapshot
    nullable: bool  # null when the window is empty (a mean or max of nothing)
    kind: str = "numeric"  # the skew check's distance: PSI for numeric, TVD for categorical


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("txn_count_1d", "valid transactions in the last day", WINDOW_1D, False),
    FeatureSpec("txn_count_7d", "valid transactions in the last 7 days", WINDOW_7D, False),
    FeatureSpec("txn_count_28d", "valid transactions in the last 28 days", WINDOW_28D, False),
    FeatureSpec("amount_sum_1d", "total amount in the last day", WINDOW_1D, False),
    FeatureSpec("amount_sum_7d", "total amount in the last 7 days", WINDOW_7D, False),
    FeatureSpec("amount_sum_28d", "total amount in the last 28 days", WINDOW_28D, False),
    FeatureSpec("amount_mean_28d", "mean amount in the last 28 days", WINDOW_28D, True),
    FeatureSpec("amount_max_7d", "largest amount in the last 7 days", WINDOW_7D, True),
    FeatureSpec(
        "distinct_categories_28d",
        "distinct categories bought in the last 28 days",
        WINDOW_28D,
        False,
    ),
    FeatureSpec("hours_since_last_txn", "hours since the latest transaction", None, True),
)
FEATURE_DESCRIPTIONS: dict[str, str] = {f.name: f.description for f in FEATURES}
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
FEATURES_BY_NAME: dict[str, FeatureSpec] = {f.name: f for f in FEATURES}

RAW_COLUMNS = ("event_id", "user_id", "event_time", "amount", "category")

# An event dated before this is a broken clock or a placeholder, not a purchase.
DEFAULT_EVENT_TIME_FLOOR = date(2000, 1, 1)


@dataclass(frozen=True)
class PlausibleTimes:
    """The event times both feature paths accept: from the floor to the ingestion time, inclusive.

    Batch ingestion quarantines an event outside this range and the serving path refuses it, so
    neither path computes a feature from it. One event dated 2030 would otherwise stretch every
    user's snapshots to 2030; one dated 1970 would make an old user look active.
    """

    floor: date
    ingested_at: datetime  # naive UTC: the time the events were received

    @classmethod
    def until_now(cls, floor: date = DEFAULT_EVENT_TIME_FLOOR) -> "PlausibleTimes":
        return cls(floor, datetime.now(UTC).replace(tzinfo=None))

    @property
    def earliest(self) -> datetime:
        return datetime.combine(self.floor, time())

    @property
    def latest(self) -> datetime:
        return self.ingested_at

    @property
    def too_early(self) -> str:
        return f"event_time: before {self.floor:%Y-%m-%d}"

    @property
    def too_late(self) -> str:
        return f"event_time: after the ingestion time {self.ingested_at:%Y-%m-%d %H:%M}"

    def reason(self, event_time: datetime) -> str | None:
        """Why one event time (naive UTC) is implausible, or None when it is plausible."""
        if event_time < self.earliest:
            return self.too_early
        if event_time > self.latest:
            return self.too_late
        return None


@dataclass(frozen=True)
class FeatureVector:
    """One user's stored features at a snapshot time (naive UTC); null where a window is empty."""

    user_id: int
    as_of: datetime
    features: Mapping[str, float | None]
    # When the batch job wrote it into the online store (naive UTC); None outside the store.
    materialized_at: datetime | None = None
