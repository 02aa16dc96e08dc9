"""A pytest plugin loaded into each grading run (`-p _mlpath_recorder`); it imports nothing of
mlpath, since it runs in the grading environment.

It limits what the run can write to disk and writes one JSON line per test phase to the
descriptor MLPATH_RESULTS_FD names as soon as the phase ends, flushed, so a run that is killed
or that ends itself (os._exit, a crash) still leaves the outcomes of the tests that had finished.
"""

from __future__ import annotations

import json
import os
import resource
from typing import Any

import pytest

MAX_FILE_BYTES = 256 * 1024 * 1024  # a file the tests write may not grow past this

resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
_results = os.fdopen(int(os.environ["MLPATH_RESULTS_FD"]), "a", encoding="utf-8")


def _write(record: dict[str, Any]) -> None:
    _results.write(json.dumps(record) + "\n")
    _results.flush()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
        _write({"nodeid": item.nodeid, "when": "collected", "doc": " ".join(doc.split())})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else (str(report.longrepr or ""))
    _write(
        {
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "message": message[-2000:] if report.outcome != "passed" else "",
        }
    )


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _write(
            {
                "nodeid": report.nodeid,
                "when": "collect",
                "outcome": "failed",
                "message": str(report.longrepr)[-2000:],
            }
        )
