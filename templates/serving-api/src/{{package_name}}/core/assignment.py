"""Sticky A/B assignment: a request key (a user id) hashed to a point in [0, 1).

The same key lands on the same point in every process and on every replica (BLAKE2b, not
Python's salted `hash`), so a user sees one version for the whole experiment, and keys below
the candidate's weight go to the candidate: raising the weight only moves users from the
primary to the candidate, never back.
"""

from __future__ import annotations

import hashlib
from typing import Literal

Arm = Literal["primary", "candidate"]


def assignment_point(key: str) -> float:
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def assign(key: str, candidate_weight: float) -> Arm:
    return "candidate" if assignment_point(key) < candidate_weight else "primary"
