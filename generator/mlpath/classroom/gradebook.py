"""gradebook.csv and one feedback file per student, from the grades.

The gradebook holds only what the graded commits determine (no dates, no timings, no messages
with addresses in them), in roster order, so grading the same commits twice writes the same
file. The feedback says, per exercise, which tests failed and why, in plain words.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from . import points
from .collect import DAY_S, policy_of
from .grading import TIMED_OUT, Grade, TestResult
from .manifest import Classroom

NO_POINTS_FILE = points.Worth()  # a point a test, nothing hidden

GRADEBOOK_FILE = "gradebook.csv"
FEEDBACK_DIR = "feedback"


def scores(
    grade: Grade, room: Classroom | None, exercises: list[str], worth: points.Worth
) -> tuple[float, int, float]:
    """Raw score (percent of the points), started days late, final score after the policy."""
    earned, possible = points.total_score(grade, exercises, worth)
    raw = 100 * earned / possible if possible else 0.0
    record = next((s for s in room.students if s.handle == grade.handle), None) if room else None
    late_s = record.late_s if record else 0
    days = -(-late_s // DAY_S)
    return raw, days, policy_of(room).final(raw, late_s) if room else raw


def gradebook_rows(
    exercises: list[str],
    grades: list[Grade],
    room: Classroom | None = None,
    worth: points.Worth = NO_POINTS_FILE,
) -> list[list[str]]:
    header = [
        "handle", *exercises, "tests_passed", "tests_total", "errors", "timed_out", "problem",
        "commit", "points", "points_possible", "days_late", "raw_score", "final_score",
    ]  # fmt: skip
    rows = [header]
    for grade in grades:
        marks = ["pass" if grade.exercise_passed(name) else "fail" for name in exercises]
        earned, possible = points.total_score(grade, exercises, worth)
        raw, days, final = scores(grade, room, exercises, worth)
        rows.append(
            [
                grade.handle,
                *marks,
                str(grade.passed),
                str(grade.total),
                str(grade.errors),
                " ".join(grade.timed_out),  # test ids have no spaces
                grade.problem,
                grade.commit,
                f"{earned:.2f}",
                f"{possible:g}",
                str(days),
                f"{raw:.2f}",
                f"{final:.2f}",
            ]
        )
    return rows


def write_atomically(path: Path, text: str) -> None:
    staged = path.with_name(f".{path.name}.tmp")
    staged.write_text(text, encoding="utf-8")
    os.replace(staged, path)


def write_gradebook(
    folder: Path,
    exercises: list[str],
    grades: list[Grade],
    room: Classroom | None = None,
    worth: points.Worth = NO_POINTS_FILE,
) -> Path:
    buffer = io.StringIO()
    rows = gradebook_rows(exercises, grades, room, worth)
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path = folder / GRADEBOOK_FILE
    write_atomically(path, buffer.getvalue())
    return path


def reason(result: TestResult) -> str:
    """Why a test did not pass, in words a student can act on."""
    message = result.message.strip()
    last = message.splitlines()[-1] if message else ""
    if result.outcome == TIMED_OUT:
        return (
            "took longer than the time limit per test and was stopped (an endless loop, or "
            "very slow code); the other tests still ran"
        )
    if result.outcome == "not run":
        return f"did not run: {message or 'the test process ended before it'}"
    if "NotImplementedError" in message:
        return "not implemented yet: the function still raises NotImplementedError"
    if "SystemExit" in message:
        return f"the code called sys.exit() ({last})"
    if any(kind in message for kind in ("ModuleNotFoundError", "ImportError", "SyntaxError")):
        return f"your package could not be imported: {last}"
    if result.outcome == "error":
        return f"could not set the test up: {last}"
    if message.startswith("AssertionError") or message.startswith("assert"):
        return f"wrong result: {last}"
    if result.outcome == "skipped":
        return f"skipped: {last}"
    return f"raised {last}"


def feedback_text(
    exercises: list[str],
    grade: Grade,
    room: Classroom | None = None,
    worth: points.Worth = NO_POINTS_FILE,
) -> str:
    lines = [f"# Feedback for {grade.handle}", ""]
    lines.append(f"Commit graded: {grade.commit or 'none'}")
    lines.append(f"Tests passed: {grade.passed} of {grade.total}")
    earned, possible = points.total_score(grade, exercises, worth)
    lines.append(f"Points: {earned:.2f} of {possible:g}")
    raw, days, final = scores(grade, room, exercises, worth)
    if days:
        lines.append(
            f"Submitted {days} day(s) late: score {raw:.2f}, after the late penalty {final:.2f}"
        )
    if grade.problem:
        lines += ["", f"**The run had a problem:** {grade.problem}."]
    for exercise in exercises:
        mine = [r for r in grade.results if r.exercise == exercise]
        done = sum(r.passed for r in mine)
        verdict = "done" if mine and done == len(mine) else "not yet"
        got, worth_it = points.exercise_score(grade, exercise, worth)
        lines += [
            "",
            f"## {exercise}: {verdict} ({done} of {len(mine)} tests pass, "
            f"{got:.2f} of {worth_it:g} points)",
        ]
        if done < len(mine):
            lines.append("")
        hidden_failed = sum(not r.passed and worth.is_hidden(r) for r in mine)
        for result in mine:
            if result.passed or worth.is_hidden(result):
                continue
            name = result.nodeid.split("::")[-1]
            case = name[name.index("[") :] if "[" in name else ""
            what = f"{result.doc} {case}".strip() if result.doc else name
            lines.append(f"- {what}")
            lines.append(f"  {reason(result)}")
        if hidden_failed:
            lines.append(
                f"- {hidden_failed} hidden test(s) fail: they check cases the exercise does not "
                "show, and are not described here"
            )
    if grade.problem and grade.output_tail.strip():
        tail = grade.output_tail.strip().splitlines()[-15:]
        lines += ["", "The last lines the run printed:", "", "```", *tail, "```"]
    return "\n".join(lines) + "\n"


def write_feedback(
    folder: Path,
    exercises: list[str],
    grades: list[Grade],
    room: Classroom | None = None,
    worth: points.Worth = NO_POINTS_FILE,
) -> Path:
    target = folder / FEEDBACK_DIR
    target.mkdir(exist_ok=True)
    for grade in grades:
        text = feedback_text(exercises, grade, room, worth)
        write_atomically(target / f"{grade.handle}.md", text)
    return target
