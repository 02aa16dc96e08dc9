"""The answer step: offline extractive by default, an OpenAI-compatible endpoint when configured."""

from .base import Answer, Answerer, Citation, Passage, make_answerer

__all__ = ["Answer", "Answerer", "Citation", "Passage", "make_answerer"]
