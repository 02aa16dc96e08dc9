"""Read what a student's run handed out (the probe's outputs), as untrusted data.

Student code shares the process that writes the channel, so every byte of it may be forged:
it is read up to MAX_CHANNEL_BYTES, parsed line by line as JSON (never unpickled, never
evaluated), and only records of the expected shape for a known case are kept, the first one per
case. A forged line can only claim an output; the verdict is computed from it outside the
sandbox, against expected values the sandbox never saw.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MAX_CHANNEL_BYTES = 16 * 1024 * 1024
MAX_ERROR_CHARS = 2000


def read_outputs(path: Path) -> tuple[dict[str, dict[str, Any]], bool]:
    """The outputs by case id, and whether the channel was cut at MAX_CHANNEL_BYTES."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CHANNEL_BYTES + 1)
    except OSError:
        return {}, False
    cut = len(raw) > MAX_CHANNEL_BYTES
    outputs: dict[str, dict[str, Any]] = {}
    for line in raw[:MAX_CHANNEL_BYTES].splitlines():
        record = parse(line)
        if record is not None and record["case"] not in outputs:
            outputs[record["case"]] = record
    return outputs, cut


def parse(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("case"), str):
        return None
    if "value" in record:
        return {"case": record["case"], "value": record["value"]}
    if record.get("timed_out") is True:
        return {"case": record["case"], "timed_out": True}
    if isinstance(record.get("error"), str):
        return {"case": record["case"], "error": record["error"][:MAX_ERROR_CHARS]}
    return None


def write_checked(outputs: dict[str, dict[str, Any]], path: Path) -> None:
    """The kept outputs, re-serialised, for the checker (which runs outside the sandbox)."""
    path.write_text(json.dumps(outputs), encoding="utf-8")
