"""What one grading run found: the outcome of each test, read back from the recorder's JSON lines,
and the run's problem in plain words (stopped, flooded, ended early, not unpacked, tampered).

The records are untrusted where the run was (a legacy suite's recorder shares the student's
process): they are parsed line by line, and a test the reference named but the records lack
counts as not run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox
from .process import MAX_OUTPUT_BYTES, RunOutput

TIMED_OUT = "timed out"
PYTEST_TIMEOUT_MESSAGE = re.compile(r"Timeout \(>[0-9.]+s\) from pytest-timeout")
# The tests of split suites that the student's code never reached, or that it ran past the limit
STUDENT_TIMED_OUT = "StudentTimedOutError"
STUDENT_NO_OUTPUT = "StudentNoOutputError"
STUDENT_IMPORT_FAILED = re.compile(
    r"StudentRaisedError: (ModuleNotFoundError|ImportError|SyntaxError|IndentationError|TabError)"
)
UNPACK_FAILED = 86  # the sandbox's shell could not unpack the commit


@dataclass(frozen=True)
class TestResult:
    nodeid: str
    exercise: str
    outcome: str  # passed, failed, error, timed out, skipped, not run
    doc: str = ""
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass(frozen=True)
class Grade:
    handle: str
    commit: str
    results: tuple[TestResult, ...] = ()
    problem: str = ""  # what went wrong with the run as a whole, in plain words
    output_tail: str = ""

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def errors(self) -> int:
        return sum(r.outcome == "error" for r in self.results)

    @property
    def timed_out(self) -> list[str]:
        return [r.nodeid for r in self.results if r.outcome == TIMED_OUT]

    def exercise_passed(self, exercise: str) -> bool:
        mine = [r for r in self.results if r.exercise == exercise]
        return bool(mine) and all(r.passed for r in mine)


@dataclass(frozen=True)
class RunSpec:
    """What one grading run needs; the same for the reference and for each student."""

    handle: str
    repo: Path  # a git repository, or a plain folder (the reference solution)
    commit: str
    package: str
    suite: Path
    python: Path
    timeout_s: int
    # None: no limit per test (an environment without pytest-timeout; build_environment's has it)
    test_timeout_s: int | None = None
    expected: tuple[str, ...] = field(default_factory=tuple)
    sandboxed: bool = True
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    note: str = ""  # a problem found before the run (the remote could not be fetched)


def read_results(path: Path) -> list[dict[str, str]]:
    records = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("nodeid"), str):
            records.append({str(k): str(v) for k, v in record.items()})
    return records


def exercise_of(nodeid: str) -> str:
    return Path(nodeid.split("::")[0]).stem.removeprefix("test_")


def not_run(spec: RunSpec, message: str) -> tuple[TestResult, ...]:
    return tuple(TestResult(n, exercise_of(n), "not run", message=message) for n in spec.expected)


def outcomes(records: list[dict[str, str]]) -> dict[str, TestResult]:
    docs = {r["nodeid"]: r.get("doc", "") for r in records if r.get("when") == "collected"}
    found: dict[str, TestResult] = {}
    for r in records:
        when, outcome, nodeid = r.get("when"), r.get("outcome"), r["nodeid"]
        if when not in {"setup", "call", "teardown"} or outcome is None:
            continue
        previous = found.get(nodeid)
        if previous is not None and previous.outcome in {"failed", "error", TIMED_OUT}:
            continue  # the first problem is the one to report
        message = r.get("message", "")
        if outcome == "failed" and (
            PYTEST_TIMEOUT_MESSAGE.search(message) or STUDENT_TIMED_OUT in message
        ):
            verdict = TIMED_OUT
        elif outcome == "failed" and STUDENT_NO_OUTPUT in message:
            verdict = "not run"
        elif outcome == "failed" and STUDENT_IMPORT_FAILED.search(message):
            verdict = "error"  # as when a legacy suite's fixture cannot import the package
        elif outcome == "failed":
            verdict = "failed" if when == "call" else "error"
        elif outcome == "skipped":
            verdict = "skipped"
        elif when == "call":
            verdict = "passed"
        else:
            continue
        found[nodeid] = TestResult(
            nodeid, exercise_of(nodeid), verdict, docs.get(nodeid, ""), r.get("message", "")
        )
    for nodeid, doc in docs.items():
        found.setdefault(nodeid, TestResult(nodeid, exercise_of(nodeid), "not run", doc))
    return found


def assemble(spec: RunSpec, records: list[dict[str, str]], out: RunOutput, tampered: bool) -> Grade:
    found = outcomes(records)
    expected = spec.expected or tuple(found)  # the reference's collection order
    problem = ""
    if out.timed_out:
        problem = (
            f"stopped after {spec.timeout_s} s: the tests did not finish "
            "(an endless loop, or very slow code)"
        )
    elif out.output_bytes > MAX_OUTPUT_BYTES:
        problem = f"stopped: printed more than {MAX_OUTPUT_BYTES // (1024 * 1024)} MB of output"
    elif out.returncode == UNPACK_FAILED and not found:
        problem = (
            "not graded: the commit's files could not be unpacked within the limits "
            f"({spec.limits.file_bytes // 2**20} MB per file, "
            f"{spec.limits.scratch_bytes // 2**20} MB in all)"
        )
    else:
        missing = sum(found.get(n) is None or found[n].outcome == "not run" for n in expected)
        if out.returncode not in (0, 1) or missing:
            collect = [r for r in records if r.get("when") == "collect"]
            problem = f"the test process ended early (exit code {out.returncode})" + (
                f": {first_line(collect[0]['message'])}" if collect else ""
            )
            if missing:
                problem += f"; {missing} of {len(expected)} tests did not run"
    if tampered:
        problem = "the grading tests were changed or deleted during the run; no test counts"
        found = {}
    results = []
    for nodeid in expected:
        result = found.get(nodeid)
        if result is None or (tampered and result.passed):
            why = problem or "the test did not run"
            result = TestResult(nodeid, exercise_of(nodeid), "not run", message=why)
        elif result.outcome == "not run" and problem:
            result = TestResult(nodeid, result.exercise, "not run", result.doc, problem)
        results.append(result)
    return Grade(spec.handle, spec.commit, tuple(results), problem, out.output_tail)


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("E ")]
    return (errors[-1][1:].strip() if errors else lines[-1] if lines else "")[:300]
