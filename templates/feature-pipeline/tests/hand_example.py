"""One user's events around one snapshot time, with the feature values worked out by hand.

Each event sits on a window boundary, so an off-by-one in either feature path shows up here.
"""

import math
from datetime import UTC, datetime, timedelta

AS_OF = datetime(2026, 2, 10, tzinfo=UTC)
SECOND = timedelta(seconds=1)

# (offset from AS_OF, amount, category)
EVENTS = [
    (-timedelta(days=28) - SECOND, 50.0, "home"),  # outside every window, but not the latest
    (-timedelta(days=28), 40.0, "fashion"),  # first instant of the 28-day window
    (-timedelta(days=7) - SECOND, 30.0, "travel"),  # just outside the 7-day window
    (-timedelta(days=1), 20.0, "home"),  # first instant of the 1-day window
    (-SECOND, 10.0, "groceries"),  # the latest event before AS_OF
    (timedelta(0), 1_000.0, "electronics"),  # at AS_OF: the future, never counted
]

EXPECTED = {
    "txn_count_1d": 2.0,
    "txn_count_7d": 2.0,
    "txn_count_28d": 4.0,
    "amount_sum_1d": 30.0,
    "amount_sum_7d": 30.0,
    "amount_sum_28d": 100.0,
    "amount_mean_28d": 25.0,
    "amount_max_7d": 20.0,
    "distinct_categories_28d": 4.0,
    "hours_since_last_txn": 1 / 3600,
}


def raw_events(user_id: int = 1) -> list[dict[str, str | None]]:
    return [
        {
            "event_id": f"hand-{i}",
            "user_id": str(user_id),
            "event_time": (AS_OF + offset).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "amount": f"{amount:.2f}",
            "category": category,
        }
        for i, (offset, amount, category) in enumerate(EVENTS)
    ]


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
