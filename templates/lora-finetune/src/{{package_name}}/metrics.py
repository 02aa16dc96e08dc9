"""Training metrics as JSON lines: one object per logged step or evaluation, flushed as written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import DataError


class MetricsLog:
    """Appends records to `path`; `keep_lines` (on resume) first cuts the file to that many lines,
    dropping what was logged after the checkpoint the run continues from."""

    def __init__(self, path: Path, keep_lines: int = 0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        kept = path.read_text(encoding="utf-8").splitlines()[:keep_lines] if keep_lines else []
        path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        self.lines = len(kept)
        self._file = path.open("a", encoding="utf-8")

    def write(self, **record: Any) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        self.lines += 1

    def close(self) -> None:
        self._file.close()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise DataError(f"metrics file {path} does not exist (run `make train` first)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
