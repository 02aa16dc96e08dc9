"""Helpers of the checks. They run outside the sandbox, on the outputs the student's code handed
out (the `outputs` fixture of mlpath's checker); the inputs come from probe/_inputs.py, which the
probes used in the sandbox."""

from __future__ import annotations

from probe._inputs import Qrels, Run, random_case

__all__ = ["Qrels", "Run", "random_case", "trec_order_cut"]


def trec_order_cut(run: Run, k: int) -> Run:
    """The first k results in trec_eval's order (score, then document id, both descending)."""
    return {
        q: dict(sorted(docs.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:k])
        for q, docs in run.items()
    }
