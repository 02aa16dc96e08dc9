"""The four built-in templates and what each one builds."""

from __future__ import annotations

from .errors import UnknownTemplateError

TEMPLATES: dict[str, str] = {
    "serving-api": "FastAPI model server with Prometheus monitoring, drift gauges and a load test",
    "feature-pipeline": "feature pipeline on DuckDB with train/serve skew checks",
    "lora-finetune": "LoRA fine-tuning harness (peft, transformers) with loss and tokens/s",
    "rag-eval": "RAG system with BM25/dense/hybrid retrieval and MRR/nDCG/recall evaluation",
}

MAIN_JOB: dict[str, str] = {
    "serving-api": "make serve",
    "feature-pipeline": "make pipeline",
    "lora-finetune": "make train",
    "rag-eval": "make eval",
}


def check_template_name(name: str) -> str:
    if name not in TEMPLATES:
        raise UnknownTemplateError(
            f"unknown template '{name}'; expected one of: {', '.join(TEMPLATES)}"
        )
    return name
