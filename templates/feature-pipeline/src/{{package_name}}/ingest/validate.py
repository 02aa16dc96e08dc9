"""Validate raw events: every row ends up either clean or rejected with its reasons, never lost."""

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pydantic import BaseModel, ConfigDict

from ..definitions import RAW_COLUMNS
from ..errors import InputError
from .schema import RAW_EVENT_SCHEMA, parse_amounts, parse_timestamps

DUPLICATE_REASON = "event_id: duplicate delivery"


class IngestReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str
    rows_read: int
    rows_valid: int
    rows_rejected: int
    # A row can fail several checks, so these counts can add up to more than rows_rejected.
    failures_by_check: dict[str, int]


@dataclass(frozen=True)
class IngestResult:
    clean: pd.DataFrame
    rejected: pd.DataFrame
    report: IngestReport


def read_raw_events(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"{path}: no such file (expected a CSV of raw events; run `generate`)")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not a readable CSV ({err})") from err
    if tuple(frame.columns) != RAW_COLUMNS:
        raise InputError(
            f"{path}: expected columns {','.join(RAW_COLUMNS)}, got {','.join(frame.columns)}"
        )
    return frame


def validate_events(raw: pd.DataFrame, source: str) -> IngestResult:
    """Check every row against the schema, then keep the first *valid* copy of each event.

    Deduplicating after validation means a corrupted delivery followed by a good retry keeps the
    retry, the same rule the serving path follows (it can only dedupe what it accepted).
    """
    raw = raw.reset_index(drop=True)
    reasons = pd.Series([""] * len(raw), index=raw.index, dtype=object)
    failures: Counter[str] = Counter()
    try:
        RAW_EVENT_SCHEMA.validate(raw, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        if cases["index"].isna().any():  # the frame itself is wrong, not some of its rows
            raise InputError(f"{source}: {err.args[0].splitlines()[0]}") from err
        for index, column, check in cases[["index", "column", "check"]].itertuples(index=False):
            reason = f"{column}: {check}"
            failures[reason] += 1
            reasons[index] = f"{reasons[index]}; {reason}" if reasons[index] else reason

    valid = reasons.eq("")
    duplicate = valid & raw["event_id"].where(valid).duplicated(keep="first")
    reasons[duplicate] = DUPLICATE_REASON
    failures[DUPLICATE_REASON] = int(duplicate.sum())

    bad = reasons.ne("")
    rejected = raw[bad].assign(reason=reasons[bad])
    clean = _typed(raw[~bad])
    report = IngestReport(
        source=source,
        rows_read=len(raw),
        rows_valid=len(clean),
        rows_rejected=len(rejected),
        failures_by_check={k: v for k, v in sorted(failures.items()) if v},
    )
    return IngestResult(clean=clean, rejected=rejected.reset_index(drop=True), report=report)


def _typed(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": rows["event_id"].astype(str),
            "user_id": rows["user_id"].astype("int64"),
            "event_time": parse_timestamps(rows["event_time"]),
            "amount": parse_amounts(rows["amount"]),
            "category": rows["category"].astype(str),
        }
    ).reset_index(drop=True)


def ingest_file(
    raw_path: Path, clean_path: Path, rejected_path: Path, report_path: Path
) -> IngestReport:
    result = validate_events(read_raw_events(raw_path), source=str(raw_path))
    for path, frame in ((clean_path, result.clean), (rejected_path, result.rejected)):
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(path, index=False)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(result.report.model_dump(), indent=2) + "\n")
    return result.report
