"""Offline answers: the sentences of the retrieved passages that best match the question.

No model, no network: a sentence scores by the question terms it and its section heading share
(BM25's analyzer, so stems match), weighted by the rank of its passage. The answer quotes the
best sentences and cites each one by its exact span in the source document.
"""

from __future__ import annotations

from ..chunking.spans import sentence_spans
from ..retrieval.analyzer import analyze
from .base import Answer, Citation, Passage

NO_ANSWER = "No passage in the corpus answers this question."


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, max_sentences: int = 2) -> None:
        self.max_sentences = max_sentences

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        terms = set(analyze(question))
        candidates: list[tuple[float, int, Passage, int, int]] = []
        for rank, passage in enumerate(passages):
            heading_terms: set[str] = set()
            for start, end in sentence_spans(passage.text):
                sentence = passage.text[start:end]
                if sentence.startswith("#"):
                    # A heading is context, not an answer: its terms count for the text below it.
                    heading_terms = terms & set(analyze(sentence))
                    continue
                own = terms & set(analyze(sentence))
                if own:
                    score = len(own | heading_terms) / (1.0 + 0.25 * rank)
                    candidates.append((score, rank, passage, start, end))
        if not candidates:
            return Answer(NO_ANSWER, [], self.name)
        candidates.sort(key=lambda c: (-c[0], c[1], c[3]))
        citations = []
        parts = []
        for marker, (_, _, passage, start, end) in enumerate(candidates[: self.max_sentences], 1):
            quote = passage.text[start:end]
            parts.append(f"{quote} [{marker}]")
            citations.append(
                Citation(
                    marker,
                    passage.chunk_id,
                    passage.doc_id,
                    passage.title,
                    passage.start + start,
                    passage.start + end,
                    quote,
                )
            )
        return Answer(" ".join(parts), citations, self.name)
