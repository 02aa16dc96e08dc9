"""Read raw events as text, from a CSV export or a Parquet file, columns in any order.

Validation works on text (so a rejected row can say why), so typed Parquet columns are turned
back into the strings an export would hold: timestamps as ISO 8601 in UTC with `Z` (a naive
timestamp keeps no offset and is refused by the schema, as in a CSV), numbers as Python writes
them, nulls as missing values.
"""

import csv
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..definitions import RAW_COLUMNS
from ..errors import InputError

PARQUET_SUFFIXES = (".parquet", ".pq")


def read_raw_events(path: Path) -> pd.DataFrame:
    """Every raw column as text (NaN where missing), in RAW_COLUMNS order."""
    if not path.is_file():
        raise InputError(f"{path}: no such file (expected a CSV or Parquet file of raw events)")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        frame = _read_parquet(path)
    else:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
            raise InputError(f"{path}: not a readable CSV ({err})") from err
    if sorted(frame.columns) != sorted(RAW_COLUMNS):
        raise InputError(
            f"{path}: expected columns {','.join(RAW_COLUMNS)} (any order), "
            f"got {','.join(map(str, frame.columns))}"
        )
    return frame[list(RAW_COLUMNS)]


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as err:  # pyarrow raises subclasses of both
        raise InputError(f"{path}: not a readable Parquet file ({err})") from err
    return frame.apply(_as_text)


def _as_text(column: pd.Series) -> pd.Series:
    missing = column.isna()
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        text = column.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif pd.api.types.is_datetime64_dtype(column):
        text = column.dt.strftime("%Y-%m-%dT%H:%M:%S")  # no offset: refused, as in a CSV
    else:
        text = column.astype(str)
    result: pd.Series = text.astype(object).where(~missing, None)
    return result


def raw_event_rows(path: Path) -> Iterator[dict[str, str | None]]:
    """The raw events one by one, as a stream consumer receives them."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        frame = read_raw_events(path)
        for row in frame.itertuples(index=False):
            yield {
                c: (None if pd.isna(v) else str(v)) for c, v in zip(RAW_COLUMNS, row, strict=True)
            }
        return
    if not path.is_file():
        raise InputError(f"{path}: no such file (expected a CSV or Parquet file of raw events)")
    with path.open(newline="") as handle:
        yield from csv.DictReader(handle)
