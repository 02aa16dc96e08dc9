"""A seeded synthetic source of e-commerce transactions, dirty the way real exports are.

The events are strings, as a CSV export or a message queue hands them over, so that both the batch
ingestion and the serving path have to parse and validate them. About a quarter of the timestamps
carry a local UTC offset instead of `Z` (valid, but a classic source of skew), and a configurable
fraction of rows are broken in one of several ways or delivered twice.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..definitions import CATEGORIES, MAX_AMOUNT, RAW_COLUMNS

LOCAL_OFFSETS = (("+02:00", 2 * 60), ("-05:00", -5 * 60), ("+05:30", 5 * 60 + 30))
DIRTY_KINDS = (
    "missing_user_id",
    "negative_amount",
    "unparseable_amount",
    "amount_too_large",
    "unknown_category",
    "unparseable_timestamp",
)


@dataclass(frozen=True)
class SourceSpec:
    n_users: int
    n_days: int
    start_date: date
    seed: int
    dirty_fraction: float

    @property
    def start(self) -> datetime:
        return datetime.combine(self.start_date, time())

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.n_days)


def generate_events(spec: SourceSpec) -> pd.DataFrame:
    """Raw events as strings, in arrival order (roughly by time, duplicates arriving late)."""
    rng = np.random.default_rng(spec.seed)
    users = np.arange(1, spec.n_users + 1)
    # Heavy-tailed activity per user; 30% of users stop buying at a random day (they churn),
    # which is what the 7-day label in the training set is about.
    rate_per_day = rng.lognormal(mean=0.0, sigma=0.6, size=spec.n_users)
    churns = rng.random(spec.n_users) < 0.3
    active_days = np.where(churns, rng.integers(7, spec.n_days, spec.n_users), spec.n_days)
    amount_scale = rng.lognormal(mean=3.0, sigma=0.7, size=spec.n_users)
    favourite = rng.integers(0, len(CATEGORIES), spec.n_users)

    counts = rng.poisson(rate_per_day * active_days)
    user_idx = np.repeat(np.arange(spec.n_users), counts)
    n = int(counts.sum())
    seconds = np.floor(rng.random(n) * active_days[user_idx] * 86_400).astype("int64")
    order = np.argsort(seconds, kind="stable")
    user_idx, seconds = user_idx[order], seconds[order]

    event_time = pd.Timestamp(spec.start) + pd.to_timedelta(seconds, unit="s")
    amounts = np.round(amount_scale[user_idx] * rng.lognormal(0.0, 0.5, n), 2)
    category_idx = np.where(
        rng.random(n) < 0.6, favourite[user_idx], rng.integers(0, len(CATEGORIES), n)
    )
    frame = pd.DataFrame(
        {
            "event_id": [f"evt-{i:08d}" for i in range(n)],
            "user_id": users[user_idx].astype(str),
            "event_time": _format_timestamps(pd.Series(event_time), rng),
            "amount": [f"{a:.2f}" for a in amounts],
            "category": np.asarray(CATEGORIES)[category_idx],
        },
        columns=list(RAW_COLUMNS),
    )
    frame = _break_some_rows(frame, rng, spec.dirty_fraction)
    return _deliver_some_twice(frame, rng, spec.dirty_fraction / 4)


def _format_timestamps(utc: pd.Series, rng: np.random.Generator) -> list[str]:
    """ISO 8601 strings: mostly `Z`, a quarter in a local offset (the same instant)."""
    text = utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(dtype=object)
    pick = rng.integers(0, len(LOCAL_OFFSETS), len(utc))
    local = rng.random(len(utc)) < 0.25
    for k, (suffix, minutes) in enumerate(LOCAL_OFFSETS):
        rows = local & (pick == k)
        shifted = utc[rows] + pd.Timedelta(minutes=minutes)
        text[rows] = (shifted.dt.strftime("%Y-%m-%dT%H:%M:%S") + suffix).to_numpy(dtype=object)
    return [str(t) for t in text]


def _break_some_rows(
    frame: pd.DataFrame, rng: np.random.Generator, fraction: float
) -> pd.DataFrame:
    broken = rng.choice(len(frame), size=round(fraction * len(frame)), replace=False)
    for i, row in enumerate(broken):
        kind = DIRTY_KINDS[i % len(DIRTY_KINDS)]
        if kind == "missing_user_id":
            frame.iat[row, 1] = ""
        elif kind == "negative_amount":
            frame.iat[row, 3] = "-" + str(frame.iat[row, 3])
        elif kind == "unparseable_amount":
            frame.iat[row, 3] = "12,50"
        elif kind == "amount_too_large":
            frame.iat[row, 3] = f"{MAX_AMOUNT * 20:.2f}"
        elif kind == "unknown_category":
            frame.iat[row, 4] = "gift-cards"
        else:
            frame.iat[row, 2] = "31/02/2026 25:61"
    return frame


def _deliver_some_twice(
    frame: pd.DataFrame, rng: np.random.Generator, fraction: float
) -> pd.DataFrame:
    """At-least-once delivery: copies of some events arrive again a little later."""
    copies = rng.choice(len(frame), size=round(fraction * len(frame)), replace=False)
    delay = rng.integers(1, 200, len(copies))
    position = np.concatenate([np.arange(len(frame)), np.minimum(copies + delay, len(frame))])
    both = pd.concat([frame, frame.iloc[copies]], ignore_index=True)
    return both.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)


def write_events(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
