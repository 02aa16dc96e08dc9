"""The student's package, imported by name (MLPATH_PACKAGE, set by `mlpath classroom grade`)."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def examples() -> ModuleType:
    return importlib.import_module(f"{os.environ['MLPATH_PACKAGE']}.data.examples")
