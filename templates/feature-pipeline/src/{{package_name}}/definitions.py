"""The feature registry: one place that says what each feature means.

Both feature paths (DuckDB SQL for training, Python for serving) read their windows and validity
rules from here, and the skew check compares them feature by feature. The implementations are kept
independent on purpose: sharing code between them would hide exactly the bugs the check exists for.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

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

FEATURE_DESCRIPTIONS: dict[str, str] = {
    "txn_count_1d": "valid transactions in the last day",
    "txn_count_7d": "valid transactions in the last 7 days",
    "txn_count_28d": "valid transactions in the last 28 days",
    "amount_sum_1d": "total amount in the last day",
    "amount_sum_7d": "total amount in the last 7 days",
    "amount_sum_28d": "total amount in the last 28 days",
    "amount_mean_28d": "mean amount in the last 28 days (null without transactions)",
    "amount_max_7d": "largest amount in the last 7 days (null without transactions)",
    "distinct_categories_28d": "distinct categories bought in the last 28 days",
    "hours_since_last_txn": "hours since the latest transaction (null without any)",
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURE_DESCRIPTIONS)

RAW_COLUMNS = ("event_id", "user_id", "event_time", "amount", "category")


@dataclass(frozen=True)
class FeatureVector:
    """One user's stored features at a snapshot time (naive UTC); null where a window is empty."""

    user_id: int
    as_of: datetime
    features: Mapping[str, float | None]
