"""Answers from any OpenAI-compatible chat endpoint: vLLM, Ollama, llama.cpp, a hosted API.

The model sees numbered passages and is asked to cite them as [n]; the answer's citations are
the passages it actually cited (all of them if it cited none, so nothing goes unattributed).
"""

from __future__ import annotations

import re

import httpx

from ..errors import RagEvalError
from .base import Answer, Citation, Passage

SYSTEM_PROMPT = (
    "Answer the question using only the numbered passages. Cite every claim with the passage "
    "number in brackets, like [1]. If the passages do not contain the answer, say so."
)
MARKER = re.compile(r"\[(\d+)\]")


class OpenAICompatibleAnswerer:
    name = "openai-compatible"

    def __init__(self, base_url: str, model: str, api_key: str | None, timeout_s: float) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key, self.timeout_s = model, api_key, timeout_s

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        context = "\n\n".join(f"[{n}] {p.title}\n{p.text}" for n, p in enumerate(passages, start=1))
        payload = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": f"Passages:\n{context}\n\nQuestion: {question}"},
            ],
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            response = httpx.post(self.url, json=payload, headers=headers, timeout=self.timeout_s)
            response.raise_for_status()
            text = str(response.json()["choices"][0]["message"]["content"]).strip()
        except httpx.HTTPError as err:
            raise RagEvalError(f"answer endpoint {self.url}: {err}") from None
        except (KeyError, IndexError, TypeError, ValueError):
            raise RagEvalError(f"answer endpoint {self.url}: not an OpenAI chat response") from None
        cited = sorted({int(n) for n in MARKER.findall(text) if 1 <= int(n) <= len(passages)})
        markers = cited or list(range(1, len(passages) + 1))
        citations = [
            Citation(n, p.chunk_id, p.doc_id, p.title, p.start, p.end, p.text)
            for n in markers
            for p in [passages[n - 1]]
        ]
        return Answer(text, citations, self.name)
