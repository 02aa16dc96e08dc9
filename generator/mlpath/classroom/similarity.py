"""`mlpath classroom similarity`: pairs of students whose exercise solutions match.

MOSS-style winnowing through copydetect: each file is tokenised with pygments (names become one
token, so renaming variables changes nothing), hashed in k-grams and winnowed into fingerprints,
which do not depend on where in the file code stands (so reordering functions changes nothing).
Only what a student wrote is compared: the files that held exercises in the student's hand-out
(the repository's first commit, where `TODO(exercise)` marks them), at the commit graded (HEAD
of the student's repository), with the hand-out's own code removed as boilerplate. A pair is
reported when the share of either student's code that the other also has reaches the threshold;
the report shows the matching lines of both side by side.
"""

from __future__ import annotations

import html
import io
import itertools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UserError
from . import manifest

EXERCISE_MARK = "TODO(exercise)"
NOISE_CHARS = 25  # matches shorter than this (in filtered characters) are never reported
WINDOW = 1  # guarantee = noise: every match of NOISE_CHARS or more is found
DEFAULT_THRESHOLD = 0.5
# src/<package>/x.py is the same exercise whatever each student's package is called.
PACKAGE_DIR = re.compile(r"^src/[^/]+/")


class SimilarityError(UserError):
    pass


@dataclass(frozen=True)
class Submission:
    handle: str
    commit: str
    files: dict[str, tuple[str, str, str]]  # exercise key -> (path, hand-out code, submitted)


@dataclass(frozen=True)
class FileMatch:
    key: str
    similarity: float
    lines_a: list[str]  # the matching lines, "NN: text"
    lines_b: list[str]


@dataclass(frozen=True)
class PairMatch:
    a: str
    b: str
    similarity: float  # the larger of the two students' shares
    files: list[FileMatch]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SimilarityError(f"{repo}: git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def exercise_key(path: str) -> str:
    return PACKAGE_DIR.sub("src/*/", path)


def submission(handle: str, repo: Path) -> Submission:
    commit = git(repo, "rev-parse", "HEAD").strip()
    handout = git(repo, "rev-list", "--max-parents=0", "HEAD").split()[-1]
    marked = git(repo, "grep", "-l", "-F", EXERCISE_MARK, handout, "--", "*.py")
    files = {}
    for line in marked.splitlines():
        path = line.split(":", 1)[1]
        try:
            submitted = git(repo, "show", f"{commit}:{path}")
        except SimilarityError:
            continue  # the student deleted the file: nothing of theirs to compare
        files[exercise_key(path)] = (path, git(repo, "show", f"{handout}:{path}"), submitted)
    return Submission(handle, commit, files)


def class_submissions(folder: Path) -> list[Submission]:
    room = manifest.load(folder)
    if not room.exercises:
        raise SimilarityError(
            f"{folder}: not an exercise-mode class (made without --exercises): there are no "
            "exercise regions to compare"
        )
    return [submission(s.handle, folder / s.path) for s in room.students if s.has_repo]


def fingerprint(path: str, code: str, boilerplate: Any) -> Any:
    from copydetect import CodeFingerprint  # imports matplotlib: only when comparing

    return CodeFingerprint(
        path, NOISE_CHARS, WINDOW, boilerplate, fp=io.StringIO(code), language="python"
    )


def matching_lines(code: str, slices: Any) -> list[str]:
    """The lines (numbered) that hold any of the copied character ranges."""
    numbers: set[int] = set()
    for start, end in zip(slices[0], slices[1], strict=True):
        first, last = code.count("\n", 0, int(start)), code.count("\n", 0, int(end))
        numbers.update(range(first, last + 1))
    lines = code.splitlines()
    return [f"{n + 1}: {lines[n]}" for n in sorted(numbers) if n < len(lines)]


def compare(a: Submission, b: Submission, prints: dict[tuple[str, str], Any]) -> PairMatch:
    from copydetect import compare_files

    files = []
    shared = covered_a = covered_b = 0.0
    for key in sorted(set(a.files) & set(b.files)):
        fa, fb = prints[a.handle, key], prints[b.handle, key]
        covered_a += fa.token_coverage
        covered_b += fb.token_coverage
        overlap, (share_a, share_b), (slices_a, slices_b) = compare_files(fa, fb)
        if not overlap:
            continue
        shared += float(overlap)
        files.append(
            FileMatch(
                key,
                float(max(share_a, share_b)),
                matching_lines(a.files[key][2], slices_a),
                matching_lines(b.files[key][2], slices_b),
            )
        )
    shares = [shared / covered for covered in (covered_a, covered_b) if covered]
    return PairMatch(a.handle, b.handle, max(shares, default=0.0), files)


def similar_pairs(submissions: list[Submission], threshold: float) -> list[PairMatch]:
    """Every pair at or above the threshold, the most similar first."""
    import numpy
    from copydetect import CodeFingerprint

    prints = {}
    for sub in submissions:
        for key, (path, handout, code) in sub.files.items():
            starter = CodeFingerprint(
                path, NOISE_CHARS, WINDOW, fp=io.StringIO(handout), language="python"
            )
            boilerplate = numpy.unique(numpy.array(list(starter.hashes)))
            prints[sub.handle, key] = fingerprint(path, code, boilerplate)
    pairs = [compare(a, b, prints) for a, b in itertools.combinations(submissions, 2)]
    return sorted(
        (p for p in pairs if p.similarity >= threshold), key=lambda p: (-p.similarity, p.a, p.b)
    )


def markdown_report(pairs: list[PairMatch], count: int, threshold: float) -> str:
    lines = [
        "# Similar solutions",
        "",
        f"{len(pairs)} of {count * (count - 1) // 2} pairs of {count} students share at least "
        f"{threshold:.0%} of the code one of them wrote in the exercise files (hand-out code "
        "left out; names and the order of functions do not matter).",
    ]
    if pairs:
        lines += ["", "| pair | similarity |", "|---|---|"]
        lines += [f"| {p.a} / {p.b} | {p.similarity:.0%} |" for p in pairs]
    for pair in pairs:
        lines += ["", f"## {pair.a} / {pair.b}: {pair.similarity:.0%}"]
        for match in pair.files:
            lines += [
                "",
                f"### {match.key} ({match.similarity:.0%})",
                "",
                f"| {pair.a} | {pair.b} |",
            ]
            lines.append("|---|---|")
            for left, right in itertools.zip_longest(match.lines_a, match.lines_b, fillvalue=""):
                lines.append(f"| `{cell(left)}` | `{cell(right)}` |")
    return "\n".join(lines) + "\n"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def html_report(pairs: list[PairMatch], count: int, threshold: float) -> str:
    parts = [
        "<!doctype html><meta charset='utf-8'><title>Similar solutions</title>",
        "<style>td{vertical-align:top}pre{margin:0}</style>",
        f"<h1>Similar solutions</h1><p>{len(pairs)} pairs of {count} students at or above "
        f"{threshold:.0%}.</p>",
    ]
    for pair in pairs:
        parts.append(
            f"<h2>{html.escape(pair.a)} / {html.escape(pair.b)}: {pair.similarity:.0%}</h2>"
        )
        for match in pair.files:
            left = html.escape("\n".join(match.lines_a))
            right = html.escape("\n".join(match.lines_b))
            parts.append(
                f"<h3>{html.escape(match.key)} ({match.similarity:.0%})</h3><table><tr>"
                f"<td><pre>{left}</pre></td><td><pre>{right}</pre></td></tr></table>"
            )
    return "\n".join(parts) + "\n"


REPORTS = {"md": markdown_report, "html": html_report}


def write_report(folder: Path, threshold: float, form: str, out: Path | None) -> tuple[Path, int]:
    """Compare the class, write the report; returns its path and the number of pairs flagged."""
    if not 0 < threshold <= 1:
        raise SimilarityError(f"--threshold {threshold:g}: expected a share above 0, at most 1")
    if form not in REPORTS:
        raise SimilarityError(f"--format {form!r}: expected md or html")
    submissions = class_submissions(folder)
    pairs = similar_pairs(submissions, threshold)
    path = out or folder / f"similarity.{form}"
    try:
        path.write_text(REPORTS[form](pairs, len(submissions), threshold), encoding="utf-8")
    except OSError as err:
        raise SimilarityError(f"--out {path}: cannot be written ({err.strerror})") from None
    return path, len(pairs)
