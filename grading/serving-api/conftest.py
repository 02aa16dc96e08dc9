"""The student's package, imported by name (MLPATH_PACKAGE, set by `mlpath classroom grade`)."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def drift() -> ModuleType:
    return importlib.import_module(f"{os.environ['MLPATH_PACKAGE']}.core.drift")
