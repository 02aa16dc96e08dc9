"""Line-by-line JSONL reading that names the file and line of anything malformed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError, located


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for every non-blank line."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise located(path, number, f"not valid JSON ({err.msg})") from None
            if not isinstance(record, dict):
                raise located(path, number, "expected a JSON object per line")
            yield number, record


def text_field(path: Path, number: int, record: dict[str, Any], *names: str) -> str:
    """The first of `names` present in the record, which must be a string."""
    for name in names:
        if name in record:
            value = record[name]
            if not isinstance(value, str | int):
                raise located(path, number, f"field {name!r} must be a string")
            return str(value)
    raise located(path, number, f"expected a field {' or '.join(map(repr, names))}")
