"""The contract raw events must meet, as a pandera schema over the strings that arrive.

Checks run on the raw text rather than on coerced columns, so a rejected row says *why* it was
rejected ("amount: numeric") instead of turning into an anonymous null.
"""

import pandas as pd
import pandera.pandas as pa

from ..definitions import CATEGORIES, MAX_AMOUNT, MAX_USER_ID


def parse_timestamps(text: pd.Series) -> pd.Series:
    """ISO 8601 with `Z` or an offset -> naive UTC (what DuckDB's TIMESTAMP stores)."""
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    return parsed.dt.tz_convert(None).astype("datetime64[us]")


def parse_amounts(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _is_timestamp(text: pd.Series) -> pd.Series:
    # A timestamp without an offset is ambiguous (local time of which server?): refused.
    has_offset = text.str.contains(r"(?:Z|[+-][0-9]{2}:[0-9]{2})$", regex=True)
    return has_offset & parse_timestamps(text).notna()


def _is_number(text: pd.Series) -> pd.Series:
    amounts = parse_amounts(text)
    return amounts.notna() & amounts.abs().lt(float("inf"))


def _is_digits(text: pd.Series) -> pd.Series:
    return text.str.fullmatch(r"[0-9]+")


def _fits_the_key(text: pd.Series) -> pd.Series:
    # Compared as numbers of digits, then as text: no int conversion that could overflow.
    digits = text.where(text.str.fullmatch(r"[0-9]+").fillna(False), "0").str.lstrip("0")
    limit = str(MAX_USER_ID)
    return digits.str.len().lt(len(limit)) | (digits.str.len().eq(len(limit)) & digits.le(limit))


def _is_known_category(text: pd.Series) -> pd.Series:
    return text.isin(CATEGORIES)


def _amount_in_range(text: pd.Series) -> pd.Series:
    # Unparseable amounts are the `numeric` check's to report, not this one's.
    amounts = parse_amounts(text)
    return amounts.isna() | (amounts.gt(0) & amounts.le(MAX_AMOUNT))


RAW_EVENT_SCHEMA = pa.DataFrameSchema(
    {
        "event_id": pa.Column(str, nullable=False),
        "user_id": pa.Column(
            str,
            [
                pa.Check(_is_digits, name="digits"),
                pa.Check(_fits_the_key, name=f"at most {MAX_USER_ID}"),
            ],
            nullable=False,
        ),
        "event_time": pa.Column(
            str, pa.Check(_is_timestamp, name="iso8601_timestamp"), nullable=False
        ),
        "amount": pa.Column(
            str,
            [
                pa.Check(_is_number, name="numeric"),
                pa.Check(_amount_in_range, name=f"0 < amount <= {MAX_AMOUNT:g}"),
            ],
            nullable=False,
        ),
        "category": pa.Column(
            str, pa.Check(_is_known_category, name="known_category"), nullable=False
        ),
    },
    strict=True,
    name="raw_events",
)
