"""A retrieval-augmented QA system whose quality is measured, not claimed."""

__version__ = "0.1.0"
