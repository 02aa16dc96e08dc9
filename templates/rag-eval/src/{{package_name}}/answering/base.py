"""What an answer is: text plus citations that point at exact character spans of documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..settings import Settings


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk handed to the answer step."""

    chunk_id: str
    doc_id: str
    title: str
    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class Citation:
    marker: int  # the [n] in the answer text
    chunk_id: str
    doc_id: str
    title: str
    start: int  # character span in the document that supports the answer
    end: int
    quote: str


@dataclass(frozen=True)
class Answer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    answerer: str = ""


class Answerer(Protocol):
    name: str

    def answer(self, question: str, passages: list[Passage]) -> Answer: ...


def make_answerer(settings: Settings) -> Answerer:
    """The OpenAI-compatible answerer when an endpoint is configured, else the extractive one."""
    if settings.llm_base_url:
        from .openai_compatible import OpenAICompatibleAnswerer

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return OpenAICompatibleAnswerer(
            settings.llm_base_url, settings.llm_model, key, settings.llm_timeout_s
        )
    from .extractive import ExtractiveAnswerer

    return ExtractiveAnswerer()
