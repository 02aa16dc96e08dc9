"""Validate raw events: every row ends up either clean or rejected with its reasons, never lost."""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pydantic import BaseModel, ConfigDict

from ..definitions import PlausibleTimes
from ..errors import InputError
from ..files import replacing, write_json
from .raw import read_raw_events
from .schema import RAW_EVENT_SCHEMA, parse_amounts, parse_timestamps

DUPLICATE_REASON = "event_id: duplicate delivery"


class IngestReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str
    rows_read: int
    rows_valid: int
    rows_rejected: int
    # Valid rows with an implausible event time, kept apart in data/quarantine/ with the reason.
    rows_quarantined: int = 0
    # A row can fail several checks, so these counts can add up to more than rows_rejected.
    failures_by_check: dict[str, int]


@dataclass(frozen=True)
class IngestResult:
    clean: pd.DataFrame
    rejected: pd.DataFrame
    quarantined: pd.DataFrame
    report: IngestReport


def validate_events(raw: pd.DataFrame, source: str, plausible: PlausibleTimes) -> IngestResult:
    """Check every row against the schema, then keep the first *valid* copy of each event.

    Deduplicating after validation means a corrupted delivery followed by a good retry keeps the
    retry, the same rule the serving path follows (it can only dedupe what it accepted). A row
    that passes the schema but is dated outside `plausible` (definitions.PlausibleTimes, the rule
    the serving path applies event by event) is quarantined with the rule's reason.
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

    times = parse_timestamps(raw["event_time"])
    early = reasons.eq("") & times.lt(pd.Timestamp(plausible.earliest))
    late = reasons.eq("") & times.gt(pd.Timestamp(plausible.latest))
    quarantine = pd.Series("", index=raw.index, dtype=object)
    quarantine[early] = plausible.too_early
    quarantine[late] = plausible.too_late
    for held_reason, count in quarantine[early | late].value_counts().items():
        failures[str(held_reason)] = int(count)

    valid = reasons.eq("") & quarantine.eq("")
    duplicate = valid & raw["event_id"].where(valid).duplicated(keep="first")
    reasons[duplicate] = DUPLICATE_REASON
    failures[DUPLICATE_REASON] = int(duplicate.sum())

    bad = reasons.ne("")
    held = quarantine.ne("")
    rejected = raw[bad].assign(reason=reasons[bad])
    quarantined = raw[held].assign(reason=quarantine[held])
    clean = typed_events(raw[~bad & ~held])
    report = IngestReport(
        source=source,
        rows_read=len(raw),
        rows_valid=len(clean),
        rows_rejected=len(rejected),
        rows_quarantined=len(quarantined),
        failures_by_check={k: v for k, v in sorted(failures.items()) if v},
    )
    return IngestResult(
        clean=clean,
        rejected=rejected.reset_index(drop=True),
        quarantined=quarantined.reset_index(drop=True),
        report=report,
    )


def typed_events(rows: pd.DataFrame) -> pd.DataFrame:
    """Validated text rows as typed columns (UTC timestamps, int64 ids, float amounts)."""
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
    raw_path: Path,
    clean_path: Path,
    rejected_path: Path,
    quarantine_path: Path,
    report_path: Path,
    plausible: PlausibleTimes,
) -> IngestReport:
    """Validate, then replace all four outputs together; nothing is written if the step fails.

    A file without a single valid event is an error, not an empty clean file: writing one would
    replace the last good ingestion with nothing.
    """
    result = validate_events(read_raw_events(raw_path), str(raw_path), plausible)
    if result.clean.empty:
        r = result.report
        raise InputError(
            f"{raw_path}: no valid events ({r.rows_read} rows read, {r.rows_rejected} rejected, "
            f"{r.rows_quarantined} quarantined); expected at least one; previous outputs kept"
        )
    outputs = (clean_path, rejected_path, quarantine_path)
    with replacing(*outputs) as temporaries:
        frames = (result.clean, result.rejected, result.quarantined)
        for temporary, frame in zip(temporaries, frames, strict=True):
            frame.to_parquet(temporary, index=False)
    write_json(report_path, result.report.model_dump())
    return result.report
