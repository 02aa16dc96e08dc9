"""Where the hidden grading suites come from, and how one lands in a class folder.

The suites live in `grading/<template>/` at the root of mlpath's repository (outside
`templates/`, so Copier never copies one into a project) and inside the wheel as
`mlpath/_grading/<template>/`. `MLPATH_GRADING_SUITES` points at another folder of suites (a
course's own, or tests). A class folder gets a copy in `_grading/tests/`, beside the reference
solution in `_grading/reference/`: never in a student repository or its history.

A suite is plain pytest files, one per exercise (`test_<exercise>.py`), importing the student's
package through the `student_package` fixture its conftest.py defines from MLPATH_PACKAGE.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import UserError

PACKAGED = Path(__file__).resolve().parents[1] / "_grading"
CHECKOUT = Path(__file__).resolve().parents[3] / "grading"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def suites_root() -> Path:
    override = os.environ.get("MLPATH_GRADING_SUITES")
    if override:
        return Path(override).expanduser()
    return PACKAGED if PACKAGED.is_dir() else CHECKOUT


def suite_for(template: str) -> Path:
    suite = suites_root() / template
    if not sorted(suite.glob("test_*.py")):
        raise UserError(
            f"--exercises: no grading suite for {template} (expected test_*.py in {suite})"
        )
    return suite


def exercises_of(suite: Path) -> list[str]:
    """The exercise names, one per test file: test_ndcg.py -> ndcg."""
    return sorted(path.stem.removeprefix("test_") for path in suite.glob("test_*.py"))


def place(template: str, grading_dir: Path) -> Path:
    target = grading_dir / "tests"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(suite_for(template), target, ignore=IGNORED)
    return target
