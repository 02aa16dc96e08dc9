"""What a generated project's CI writes to `$GITHUB_STEP_SUMMARY`, and WRITEUP.md's results.

CI's `make summary` step runs `make report` and appends its headline (reports/SUMMARY.md) to the
job summary. The harness gives every CI step a `$GITHUB_STEP_SUMMARY` file, as GitHub does, and
then requires of what landed there:

- it is reports/SUMMARY.md, written by this run's steps (not a committed copy): RESULTS.md and
  SUMMARY.md are newer than the first step;
- it holds a table with measured figures, not a "not measured yet" placeholder;
- every figure in its tables is one that reports/RESULTS.md states;
- WRITEUP.md's results section, between its markers, holds the same tables;
- every link in it is absolute: a job summary has no base path, so a link to a repository path
  (`[RESULTS.md](reports/RESULTS.md)`) leads nowhere on GitHub.
"""

from __future__ import annotations

import re
from pathlib import Path

# The markers of WRITEUP.md's results section (templates/_shared/readme_results.py.jinja).
WRITEUP_BEGIN = "<!-- results: written by `make report` from the measured results -->"
WRITEUP_END = "<!-- /results -->"
SUMMARY = Path("reports") / "SUMMARY.md"
RESULTS = Path("reports") / "RESULTS.md"
WRITEUP = Path("WRITEUP.md")
# A measured figure: a decimal with digits after the point, optionally grouped or a percentage
# (integers are left out: a table's "8 clients" or "50 queries" would match anything).
FIGURE = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})*\.\d+%?|(?<![\w.])\d+\.\d+%?")
SEPARATOR_ROW = re.compile(r"^\|[\s|:-]+\|$")
# A markdown link or image and its target.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]*)[^)]*\)")


class JobSummaryError(AssertionError):
    """The job summary or the write-up is not the measured headline."""


def table_rows(markdown: str) -> list[str]:
    """The markdown table rows of a text, header and separator rows left out."""
    rows = [line.strip() for line in markdown.splitlines() if line.strip().startswith("|")]
    return [row for row in rows if not SEPARATOR_ROW.match(row) and FIGURE.search(row)]


def writeup_results(writeup: str) -> str | None:
    """The text between WRITEUP.md's results markers (None without them)."""
    start = writeup.find(WRITEUP_BEGIN)
    stop = writeup.find(WRITEUP_END, start + len(WRITEUP_BEGIN)) if start >= 0 else -1
    if stop < 0:
        return None
    return writeup[start + len(WRITEUP_BEGIN) : stop].strip()


def check_job_summary(project: Path, step_summary: str, since: float) -> None:
    """Raise JobSummaryError unless `step_summary` (what the CI steps appended to
    `$GITHUB_STEP_SUMMARY`) is this run's measured headline, and WRITEUP.md carries it too."""
    for produced in (SUMMARY, RESULTS):
        path = project / produced
        if not path.is_file():
            raise JobSummaryError(f"{project}: no {produced} after the CI steps (`make report`)")
        if path.stat().st_mtime < since:
            raise JobSummaryError(f"{project}/{produced} predates the CI steps: not measured now")
    headline = (project / SUMMARY).read_text(encoding="utf-8")
    if headline not in step_summary:
        raise JobSummaryError(
            f"$GITHUB_STEP_SUMMARY does not hold {SUMMARY}:\n{step_summary[:2000]!r}"
        )
    relative = [
        target for target in LINK.findall(step_summary) if not target.startswith("https://")
    ]
    if relative:
        raise JobSummaryError(
            f"$GITHUB_STEP_SUMMARY links {relative}: not absolute, they lead nowhere"
        )
    rows = table_rows(headline)
    if not rows:
        raise JobSummaryError(f"{SUMMARY} has no table of measured figures:\n{headline}")
    report = (project / RESULTS).read_text(encoding="utf-8")
    stated = set(FIGURE.findall(report))
    for row in rows:
        unknown = [figure for figure in FIGURE.findall(row) if figure not in stated]
        if unknown:
            raise JobSummaryError(f"{SUMMARY}: {unknown} in {row!r} are not in {RESULTS}")
    writeup = project / WRITEUP
    if not writeup.is_file():
        raise JobSummaryError(f"{project}: no {WRITEUP}")
    section = writeup_results(writeup.read_text(encoding="utf-8"))
    if section is None:
        raise JobSummaryError(f"{project}/{WRITEUP}: no results markers")
    if table_rows(section) != rows:
        raise JobSummaryError(
            f"{project}/{WRITEUP}: its results section is not the report's headline:\n{section}"
        )
