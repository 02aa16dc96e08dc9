"""Skew drills: replay the raw events through serving paths with bugs real services have shipped.

A skew check that never fails proves nothing. Each drill feeds the raw events through one known
bug on their way into the serving path, runs the same comparison as `skew-check`, and records
which features it flagged. `make report` publishes the table; the tests require every drill to
fail the check.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ..definitions import FeatureVector, PlausibleTimes
from ..ingest.raw import raw_event_rows
from ..online.serving import EventLog
from .check import SkewThresholds, compare

RawEvent = dict[str, str | None]
Bug = Callable[[Iterable[RawEvent], datetime], Iterator[RawEvent]]
LOCAL_OFFSET = re.compile(r"[+-][0-9]{2}:[0-9]{2}$")


def offsets_dropped(events: Iterable[RawEvent], newest: datetime) -> Iterator[RawEvent]:
    """The service parses '12:00+02:00' as 12:00 UTC (a naive parser plus a default zone)."""
    for event in events:
        text = event["event_time"] or ""
        if LOCAL_OFFSET.search(text):
            event = {**event, "event_time": LOCAL_OFFSET.sub("Z", text)}
        yield event


def one_day_behind(events: Iterable[RawEvent], newest: datetime) -> Iterator[RawEvent]:
    """The stream consumer lags: the last day before the newest snapshot has not arrived yet."""
    missing_day = (newest - timedelta(days=1)).strftime("%Y-%m-%d")
    return (e for e in events if not (e["event_time"] or "").startswith(missing_day))


def refunds_as_purchases(events: Iterable[RawEvent], newest: datetime) -> Iterator[RawEvent]:
    """The service takes abs() of amounts, so refunds (negative rows) count as purchases."""
    for event in events:
        amount = event["amount"] or ""
        yield {**event, "amount": amount[1:]} if amount.startswith("-") else event


def duplicates_kept(events: Iterable[RawEvent], newest: datetime) -> Iterator[RawEvent]:
    """The service does not deduplicate at-least-once deliveries."""
    seen: set[str | None] = set()
    for i, event in enumerate(events):
        if event["event_id"] in seen:
            event = {**event, "event_id": f"{event['event_id']}-redelivery-{i}"}
        seen.add(event["event_id"])
        yield event


@dataclass(frozen=True)
class Drill:
    name: str
    bug: Bug

    @property
    def description(self) -> str:
        return (self.bug.__doc__ or "").strip()


DRILLS = (
    Drill("offsets dropped", offsets_dropped),
    Drill("consumer one day behind", one_day_behind),
    Drill("refunds as purchases", refunds_as_purchases),
    Drill("duplicates kept", duplicates_kept),
)


class DrillResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    drill: str
    description: str
    caught: bool
    flagged_features: list[str]
    worst_mismatch_rate: float
    worst_psi: float


def run_drill(
    drill: Drill,
    raw_events: Path,
    vectors: dict[str, list[FeatureVector]],
    thresholds: SkewThresholds,
    plausible: PlausibleTimes | None = None,
) -> DrillResult:
    newest = max(v.as_of for source in vectors.values() for v in source)
    log = EventLog(plausible)
    log.extend(drill.bug(raw_event_rows(raw_events), newest))
    report = compare(vectors, log, thresholds)
    flagged = sorted({failure.split(":")[0] for failure in report.failures})
    return DrillResult(
        drill=drill.name,
        description=drill.description,
        caught=not report.passed,
        flagged_features=flagged,
        worst_mismatch_rate=max(f.mismatch_rate for f in report.features),
        worst_psi=max(f.psi for f in report.features),
    )
