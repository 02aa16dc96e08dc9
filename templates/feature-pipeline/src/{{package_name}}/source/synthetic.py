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
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..definitions import CATEGORIES, MAX_AMOUNT, RAW_COLUMNS
from ..files import write_atomically

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
            "event_id": _text(pc.binary_join_element_wise("evt-", _digits(np.arange(n), 8), "")),
            "user_id": _text(pc.cast(pa.array(users[user_idx]), pa.string())),
            "event_time": _format_timestamps(event_time.to_numpy(), rng),
            "amount": _format_amounts(amounts),
            "category": _text(pa.array(np.asarray(CATEGORIES, dtype=object)[category_idx])),
        },
        columns=list(RAW_COLUMNS),
    )
    frame = _break_some_rows(frame, rng, spec.dirty_fraction)
    return _deliver_some_twice(frame, rng, spec.dirty_fraction / 4)


# Text is built with Arrow's compute kernels (C++, whole columns at a time): formatting ten
# million timestamps or amounts row by row in Python would be most of the generator's time.


def _text(array: pa.Array) -> pd.Series:
    return pd.Series(array.to_numpy(zero_copy_only=False), dtype=object)


def _digits(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width=width, padding="0")


def _format_timestamps(utc: np.ndarray, rng: np.random.Generator) -> pd.Series:
    """ISO 8601 strings: mostly `Z`, a quarter in a local offset (the same instant)."""
    suffix = np.full(len(utc), "Z", dtype=object)
    shift = np.zeros(len(utc), dtype="timedelta64[m]")
    pick = rng.integers(0, len(LOCAL_OFFSETS), len(utc))
    local = rng.random(len(utc)) < 0.25
    for k, (offset, minutes) in enumerate(LOCAL_OFFSETS):
        rows = local & (pick == k)
        suffix[rows] = offset
        shift[rows] = np.timedelta64(minutes, "m")
    wall_clock = pa.array(utc.astype("datetime64[s]") + shift)
    # Arrow's cast prints "YYYY-MM-DD HH:MM:SS"; it is ~50x faster than its strftime.
    text = pc.replace_substring(pc.cast(wall_clock, pa.string()), " ", "T")
    return _text(pc.binary_join_element_wise(text, pa.array(suffix), ""))


def _format_amounts(amounts: np.ndarray) -> pd.Series:
    """Two decimals, as text (whole cents split in integer arithmetic, no float formatting)."""
    cents = np.round(amounts * 100).astype("int64")
    whole = pc.cast(pa.array(cents // 100), pa.string())
    return _text(pc.binary_join_element_wise(whole, _digits(cents % 100, 2), "."))


def _break_some_rows(
    frame: pd.DataFrame, rng: np.random.Generator, fraction: float
) -> pd.DataFrame:
    broken = rng.choice(len(frame), size=round(fraction * len(frame)), replace=False)
    kind_of = np.arange(len(broken)) % len(DIRTY_KINDS)  # the kinds take turns
    rows = {kind: frame.index[broken[kind_of == k]] for k, kind in enumerate(DIRTY_KINDS)}
    frame.loc[rows["missing_user_id"], "user_id"] = ""
    frame.loc[rows["negative_amount"], "amount"] = (
        "-" + frame.loc[rows["negative_amount"], "amount"]
    )
    frame.loc[rows["unparseable_amount"], "amount"] = "12,50"
    frame.loc[rows["amount_too_large"], "amount"] = f"{MAX_AMOUNT * 20:.2f}"
    frame.loc[rows["unknown_category"], "category"] = "gift-cards"
    frame.loc[rows["unparseable_timestamp"], "event_time"] = "31/02/2026 25:61"
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
    """CSV through Arrow's writer (C++, several times pandas' to_csv on millions of rows)."""
    table = pa.Table.from_pandas(frame.astype(str), preserve_index=False)
    options = pa_csv.WriteOptions(quoting_style="needed")
    write_atomically(path, lambda p: pa_csv.write_csv(table, p, write_options=options))
