"""A user's own documents: a folder of markdown / text files, or a JSONL file."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .beir import load_corpus_jsonl
from .types import Document

TEXT_SUFFIXES = (".md", ".markdown", ".txt")


def load_documents(path: Path) -> tuple[Document, ...]:
    """Documents from a folder (ids are paths relative to it) or a JSONL file."""
    if path.is_file() and path.suffix == ".jsonl":
        return load_corpus_jsonl(path)
    if not path.is_dir():
        raise InputError(
            f"{path}: expected a folder of {'/'.join(TEXT_SUFFIXES)} files or a .jsonl file"
        )
    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in TEXT_SUFFIXES and p.is_file())
    documents = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        if text.strip():
            doc_id = file.relative_to(path).with_suffix("").as_posix()
            documents.append(Document(doc_id, text, _title(text, file)))
    if not documents:
        raise InputError(
            f"{path}: the corpus is empty (no non-empty {'/'.join(TEXT_SUFFIXES)} files)"
        )
    return tuple(documents)


def _title(text: str, file: Path) -> str:
    """The first markdown heading, or the file name."""
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return file.stem.replace("-", " ").replace("_", " ")
