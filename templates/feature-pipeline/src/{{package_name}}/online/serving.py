"""The serving-time feature path: features computed on request from raw events, in plain Python.

This is how an online service sees the world: events arrive one by one as strings (from a queue or
a log), it validates and keeps them per user, and computes a feature vector for whatever time a
request asks about. It deliberately shares no code with the batch SQL, only the definitions
(windows, validity limits, the plausible event times); the skew check compares the two.
"""

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..definitions import (
    CATEGORIES,
    MAX_AMOUNT,
    MAX_USER_ID,
    WINDOW_1D,
    WINDOW_7D,
    WINDOW_28D,
    PlausibleTimes,
)
from ..ingest.raw import raw_event_rows

_CATEGORIES = frozenset(CATEGORIES)


@dataclass(frozen=True)
class ServingEvent:
    event_id: str
    user_id: int
    event_time: datetime  # timezone-aware, UTC
    amount: float
    category: str


def parse_event(raw: Mapping[str, str | None]) -> ServingEvent | None:
    """The service's own validation: a bad event is refused (None), never half-used."""
    try:
        event_id = raw["event_id"] or ""
        user_text = raw["user_id"] or ""
        when = datetime.fromisoformat((raw["event_time"] or "").strip())
        amount = float(raw["amount"] or "nan")
        category = raw["category"] or ""
    except (KeyError, ValueError):
        return None
    if not event_id or not (user_text.isascii() and user_text.isdigit()) or when.tzinfo is None:
        return None
    if int(user_text) > MAX_USER_ID:
        return None
    if not (0.0 < amount <= MAX_AMOUNT) or category not in _CATEGORIES:
        return None
    return ServingEvent(event_id, int(user_text), when.astimezone(UTC), amount, category)


@dataclass
class _UserLog:
    times: list[datetime] = field(default_factory=list)
    events: list[ServingEvent] = field(default_factory=list)
    ordered: bool = True


class EventLog:
    """Per-user, time-ordered events; what a streaming consumer would keep in memory or Redis.

    An event outside `plausible` is refused and counted in `quarantined`, as batch ingestion
    quarantines it: by default from the definitions' floor up to the moment the log is opened.
    """

    def __init__(self, plausible: PlausibleTimes | None = None) -> None:
        self.plausible = plausible or PlausibleTimes.until_now()
        self._users: dict[int, _UserLog] = {}
        self._seen: set[str] = set()
        self.refused = 0
        self.quarantined = 0
        self.duplicates = 0

    def append(self, raw: Mapping[str, str | None]) -> bool:
        event = parse_event(raw)
        if event is None:
            self.refused += 1
            return False
        if self.plausible.reason(event.event_time.replace(tzinfo=None)) is not None:
            self.quarantined += 1  # not seen either: a plausible retry of it is still accepted
            return False
        if event.event_id in self._seen:
            self.duplicates += 1
            return False
        self._seen.add(event.event_id)
        log = self._users.setdefault(event.user_id, _UserLog())
        if log.times and event.event_time < log.times[-1]:
            log.ordered = False  # events arrive out of order; sort once, on the next read
        log.times.append(event.event_time)
        log.events.append(event)
        return True

    def extend(self, raws: Iterable[Mapping[str, str | None]]) -> None:
        for raw in raws:
            self.append(raw)

    @property
    def accepted(self) -> int:
        return len(self._seen)

    def features_at(self, user_id: int, as_of: datetime) -> dict[str, float]:
        """The feature vector for `user_id` as a request at `as_of` (aware) would get it."""
        log = self._users.get(user_id)
        if log is None:
            return _empty_features()
        if not log.ordered:
            log.events.sort(key=lambda e: e.event_time)
            log.times = [e.event_time for e in log.events]
            log.ordered = True
        end = bisect_left(log.times, as_of)  # events strictly before as_of
        last_28d = log.events[bisect_left(log.times, as_of - WINDOW_28D) : end]
        last_7d = log.events[bisect_left(log.times, as_of - WINDOW_7D) : end]
        last_1d = log.events[bisect_left(log.times, as_of - WINDOW_1D) : end]
        amounts_28d = [e.amount for e in last_28d]
        amounts_7d = [e.amount for e in last_7d]
        return {
            "txn_count_1d": float(len(last_1d)),
            "txn_count_7d": float(len(last_7d)),
            "txn_count_28d": float(len(last_28d)),
            "amount_sum_1d": math.fsum(e.amount for e in last_1d),
            "amount_sum_7d": math.fsum(amounts_7d),
            "amount_sum_28d": math.fsum(amounts_28d),
            "amount_mean_28d": math.fsum(amounts_28d) / len(amounts_28d)
            if amounts_28d
            else math.nan,
            "amount_max_7d": max(amounts_7d) if amounts_7d else math.nan,
            "distinct_categories_28d": float(len({e.category for e in last_28d})),
            "hours_since_last_txn": (
                (as_of - log.times[end - 1]).total_seconds() / 3600.0 if end else math.nan
            ),
        }


def _empty_features() -> dict[str, float]:
    return {
        "txn_count_1d": 0.0,
        "txn_count_7d": 0.0,
        "txn_count_28d": 0.0,
        "amount_sum_1d": 0.0,
        "amount_sum_7d": 0.0,
        "amount_sum_28d": 0.0,
        "amount_mean_28d": math.nan,
        "amount_max_7d": math.nan,
        "distinct_categories_28d": 0.0,
        "hours_since_last_txn": math.nan,
    }


def load_event_log(path: Path, plausible: PlausibleTimes | None = None) -> EventLog:
    """Replay a raw export through the service's own parser, as a stream consumer would."""
    log = EventLog(plausible)
    log.extend(raw_event_rows(path))
    return log
