"""Writes that leave either the previous good file or the new one, never half of either.

Each output goes to a temporary sibling first; only when every output of a step has been written
are they renamed into place (`os.replace`, atomic on one filesystem). A step that fails, or a
process killed halfway, leaves the previous outputs untouched.
"""

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def temporary_sibling(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextmanager
def replacing(*paths: Path) -> Iterator[list[Path]]:
    """`with replacing(a, b) as (tmp_a, tmp_b):` write the temporaries; renamed on success."""
    temporaries = [temporary_sibling(p) for p in paths]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield temporaries
        for temporary, path in zip(temporaries, paths, strict=True):
            os.replace(temporary, path)
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    with replacing(path) as (temporary,):
        write(temporary)


def write_json(path: Path, payload: object) -> None:
    write_atomically(path, lambda p: p.write_text(json.dumps(payload, indent=2) + "\n"))
