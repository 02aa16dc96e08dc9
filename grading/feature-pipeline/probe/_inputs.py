"""The hidden inputs both halves share (the probes in the sandbox, the checks outside it): each
case is snapshots (user_id, day; every feature = user * 100 + day), labels (user_id, day) and
events (user_id, day)."""

from __future__ import annotations

from datetime import datetime, timedelta

DAY0 = datetime(2024, 3, 1)
Rows = list[tuple[int, float]]
CASES: dict[str, tuple[Rows, Rows, Rows]] = {
    "newest_snapshot": ([(1, 1), (1, 5), (1, 10)], [(1, 7), (1, 10)], []),
    "never_later": ([(1, 2), (1, 9)], [(1, 8.5)], []),
    "never_other_user": ([(1, 1), (2, 6)], [(1, 7), (2, 7)], []),
    "label_without_snapshot": ([(1, 5)], [(1, 3), (1, 6)], []),
    # user 1 buys on day 6 (inside the horizon of the label on day 5)
    "columns_and_target": ([(1, 1), (2, 1)], [(2, 5), (1, 5), (1, 20)], [(1, 6), (1, 4), (2, 30)]),
}


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)
