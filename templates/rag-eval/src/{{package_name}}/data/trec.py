"""TREC qrels and run files, the formats trec_eval reads.

qrels: `query-id iteration doc-id relevance` (4 columns; iteration is ignored).
run:   `query-id Q0 doc-id rank score tag` (6 columns; rank is ignored, as trec_eval does).
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import InputError, located
from .types import Qrels, Run


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for number, fields in _rows(path):
        if len(fields) != 4:
            raise located(
                path, number, f"expected 4 columns (qid iter docid rel), got {len(fields)}"
            )
        query_id, _, doc_id, grade = fields
        qrels.setdefault(query_id, {})[doc_id] = _integer(path, number, grade)
    return qrels


def read_run(path: Path) -> dict[str, dict[str, float]]:
    run: dict[str, dict[str, float]] = {}
    for number, fields in _rows(path):
        if len(fields) != 6:
            raise located(
                path, number, f"expected 6 columns (qid Q0 docid rank score tag), got {len(fields)}"
            )
        query_id, _, doc_id, _, score_text, _ = fields
        try:
            score = float(score_text)
        except ValueError:
            raise located(path, number, f"score {score_text!r} is not a number") from None
        if not math.isfinite(score):
            raise located(path, number, f"score {score_text!r} is not a finite number")
        docs = run.setdefault(query_id, {})
        if doc_id in docs:
            raise located(path, number, f"document {doc_id!r} appears twice for query {query_id!r}")
        docs[doc_id] = score
    return run


def write_run(path: Path, run: Run, tag: str) -> None:
    """Write a run in trec order (score descending, ties by doc id descending)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for query_id in sorted(run):
            ranked = sorted(
                run[query_id].items(), key=lambda item: (item[1], item[0]), reverse=True
            )
            for rank, (doc_id, score) in enumerate(ranked, start=1):
                out.write(f"{query_id} Q0 {doc_id} {rank} {score!r} {tag}\n")


def write_qrels(path: Path, qrels: Qrels) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for query_id in sorted(qrels):
            for doc_id, grade in sorted(qrels[query_id].items()):
                out.write(f"{query_id} 0 {doc_id} {grade}\n")


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    with path.open(encoding="utf-8") as lines:
        return [(n, line.split()) for n, line in enumerate(lines, start=1) if line.strip()]


def _integer(path: Path, number: int, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise located(path, number, f"relevance {text!r} is not an integer") from None
