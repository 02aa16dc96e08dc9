"""BEIR-format datasets: corpus.jsonl, queries.jsonl and qrels/<split>.tsv.

The embedded sample set uses this format too, so the default path is the one a user's own BEIR
dataset takes.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError, located
from .jsonl import read_jsonl, text_field
from .types import Dataset, Document


def load_beir(root: Path, split: str = "test") -> Dataset:
    documents = load_corpus_jsonl(root / "corpus.jsonl")
    queries: dict[str, str] = {}
    queries_path = root / "queries.jsonl"
    for number, record in read_jsonl(queries_path):
        query_id = text_field(queries_path, number, record, "_id", "id")
        if query_id in queries:
            raise located(queries_path, number, f"query id {query_id!r} appears twice")
        queries[query_id] = text_field(queries_path, number, record, "text")
    qrels_path = root / "qrels" / f"{split}.tsv"
    qrels, unknown, lost = read_beir_qrels(qrels_path, {d.doc_id for d in documents})
    missing = sorted(set(qrels) - set(queries))
    if missing:
        raise InputError(
            f"{qrels_path}: judges {len(missing)} queries that "
            f"{queries_path} does not have (first: {missing[0]!r})"
        )
    notes: list[str] = []
    if unknown:
        notes.append(
            f"{unknown} judgements name documents missing from the corpus and were dropped"
        )
    if lost:
        notes.append(
            f"warning: {len(lost)} queries are not evaluated: every one of their judgements "
            f"names a document missing from the corpus (first: {lost[0]!r})"
        )
    # Only judged queries are evaluated: trec_eval's rule, and BEIR ships unjudged ones too.
    judged_queries = {q: text for q, text in queries.items() if q in qrels}
    return Dataset(root.name, documents, judged_queries, qrels, unknown, tuple(notes))


def load_corpus_jsonl(path: Path) -> tuple[Document, ...]:
    documents: list[Document] = []
    seen: set[str] = set()
    for number, record in read_jsonl(path):
        doc_id = text_field(path, number, record, "_id", "id", "doc_id")
        if doc_id in seen:
            raise located(path, number, f"document id {doc_id!r} appears twice")
        seen.add(doc_id)
        title = str(record.get("title") or "")
        documents.append(Document(doc_id, text_field(path, number, record, "text"), title))
    if not documents:
        raise InputError(f"{path}: the corpus is empty (expected one JSON document per line)")
    return tuple(documents)


def read_beir_qrels(
    path: Path, known_documents: set[str]
) -> tuple[dict[str, dict[str, int]], int, list[str]]:
    """Judgements by query; those naming unknown documents are counted and left out.

    Also returns the queries that lose every judgement that way (sorted): they leave the
    evaluation, and the caller must say so.
    """
    if not path.is_file():
        raise InputError(f"{path}: file not found (expected qrels/<split>.tsv)")
    qrels: dict[str, dict[str, int]] = {}
    unknown = 0
    seen_queries: set[str] = set()
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            fields = line.rstrip("\n").split("\t")
            if not line.strip() or (number == 1 and fields[0] == "query-id"):
                continue
            if len(fields) != 3:
                raise located(
                    path,
                    number,
                    "expected 3 tab-separated columns (query-id, corpus-id, score), "
                    f"got {len(fields)}",
                )
            query_id, doc_id, grade_text = fields
            try:
                grade = int(grade_text)
            except ValueError:
                raise located(path, number, f"score {grade_text!r} is not an integer") from None
            seen_queries.add(query_id)
            if doc_id not in known_documents:
                unknown += 1
                continue
            qrels.setdefault(query_id, {})[doc_id] = grade
    if not qrels:
        raise InputError(f"{path}: no judgements for documents in the corpus")
    return qrels, unknown, sorted(seen_queries - set(qrels))
