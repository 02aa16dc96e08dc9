"""Run inside the sandbox: call the suite's probes on the student's package and write each
output, as one JSON line, to the descriptor MLPATH_RESULTS_FD names. It imports nothing of
mlpath (it runs in the grading environment, with `python -I`).

A suite's `probe/` folder holds one `<exercise>.py` per exercise; each `case_<name>(student)`
function there computes the student's output on hidden inputs (`student("evaluation.metrics")`
imports that module of the student's package) and returns plain data (numbers, strings, lists,
dicts, None; numpy values are turned into lists and numbers). Files starting with `_` are helpers
the probes import. No probe holds an expected value: the verdict is made outside, from these
outputs alone. Nothing here is trusted by the side that reads them: student code shares this
process and may write anything to the channel; each line it writes is only a claimed output.

    python -I _probe.py PROBE_DIR SRC_DIR PACKAGE CASE_TIMEOUT_S
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any


class CaseTimedOutError(BaseException):
    pass


def plain(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    raise TypeError(f"the output is a {type(value).__name__}, not plain data")


def on_alarm(signum: int, frame: object) -> None:
    raise CaseTimedOutError


def describe(err: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(err), err)).strip()
    return text.splitlines()[-1][:2000] if text else type(err).__name__


def run_case(
    case: Callable[[Any], Any], student: Callable[[str], ModuleType], limit: int
) -> dict[str, Any]:
    signal.alarm(limit)
    try:
        value = case(student)
        signal.alarm(0)
        return {"value": json.loads(json.dumps(value, default=plain))}
    except CaseTimedOutError:
        return {"timed_out": True}
    except BaseException as err:  # sys.exit and KeyboardInterrupt are outputs too
        signal.alarm(0)
        return {"error": describe(err)}


def probes(folder: Path) -> list[tuple[str, Callable[[Any], Any]]]:
    found = []
    for file in sorted(folder.glob("*.py")):
        if file.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"_mlpath_probe_{file.stem}", file)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, value in vars(module).items():
            if name.startswith("case_") and callable(value):
                found.append((f"{file.stem}.{name.removeprefix('case_')}", value))
    return found


def main() -> None:
    probe_dir, src, package, limit = sys.argv[1:5]
    channel = os.fdopen(int(os.environ["MLPATH_RESULTS_FD"]), "w", encoding="utf-8")
    sys.path[:0] = [
        probe_dir,
        src,
    ]  # the probes' helpers first: a student module cannot shadow them
    signal.signal(signal.SIGALRM, on_alarm)
    cases = probes(Path(probe_dir))  # before any student code runs

    def student(module: str) -> ModuleType:
        return importlib.import_module(f"{package}.{module}")

    for case_id, case in cases:
        record = {"case": case_id, **run_case(case, student, int(limit))}
        channel.write(json.dumps(record) + "\n")
        channel.flush()


if __name__ == "__main__":
    main()
