"""PSI outputs of the student's `core.drift.psi` on hidden inputs (no expected value here)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
from _inputs import (
    CLAMP_ACTUAL,
    CLAMP_EXPECTED,
    EMPTY_ACTUAL,
    EMPTY_EXPECTED,
    HAND_ACTUAL,
    HAND_EXPECTED,
    SHARES,
    shifted_shares,
    symmetric_pair,
)

Student = Callable[[str], ModuleType]


def psi(student: Student, actual: Any, expected: Any) -> Any:
    return student("core.drift").psi(np.array(actual), np.array(expected))


def case_identical(student: Student) -> Any:
    return psi(student, SHARES, SHARES)


def case_hand_computed(student: Student) -> Any:
    return psi(student, HAND_ACTUAL, HAND_EXPECTED)


def case_symmetric(student: Student) -> Any:
    a, e = symmetric_pair()
    return [psi(student, a, e), psi(student, e, a)]


def case_empty_bin(student: Student) -> Any:
    return psi(student, EMPTY_ACTUAL, EMPTY_EXPECTED)


def case_clamped(student: Student) -> Any:
    floor = student("core.drift").SHARE_FLOOR
    return {"value": psi(student, CLAMP_ACTUAL, CLAMP_EXPECTED), "share_floor": floor}


def case_moderate_shift(student: Student) -> Any:
    live, train = shifted_shares()
    return psi(student, live, train)
