"""The shapes data takes between loaders, retrievers and the evaluation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

# query id -> document id -> graded relevance (trec_eval's qrels; 0 = judged not relevant).
Qrels = Mapping[str, Mapping[str, int]]
# query id -> document id -> score (trec_eval's run; the rank column of a run file is ignored).
Run = Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str
    title: str = ""


@dataclass(frozen=True)
class Dataset:
    """A corpus with queries and judgements, plus what loading it had to count and set aside."""

    name: str
    documents: tuple[Document, ...]
    queries: Mapping[str, str]
    qrels: Qrels
    # Judgements naming documents the corpus does not have: kept out of qrels, never silently.
    unknown_judged_documents: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def document(self, doc_id: str) -> Document:
        return self._by_id[doc_id]

    @cached_property
    def _by_id(self) -> dict[str, Document]:
        return {doc.doc_id: doc for doc in self.documents}
