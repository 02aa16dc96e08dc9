"""Search and ask over a retrieval system: what the CLI and the API both serve."""

from __future__ import annotations

from .answering import Answer, Answerer, Passage
from .errors import InputError
from .retrieval.system import RetrievalSystem


class QAService:
    def __init__(self, system: RetrievalSystem, answerer: Answerer) -> None:
        self.system, self.answerer = system, answerer

    def search(self, query: str, k: int) -> list[Passage]:
        if not query.strip():
            raise InputError("query: expected non-empty text")
        hits = self.system.search_chunks([query], k)[0]
        passages = []
        for position, score in zip(hits.positions.tolist(), hits.scores.tolist(), strict=True):
            chunk = self.system.chunks[position]
            passages.append(
                Passage(
                    chunk.chunk_id,
                    chunk.doc_id,
                    self.system.titles.get(chunk.doc_id, ""),
                    chunk.start,
                    chunk.end,
                    chunk.text,
                    score,
                )
            )
        return passages

    def ask(self, question: str, k: int) -> Answer:
        return self.answerer.answer(question, self.search(question, k))
