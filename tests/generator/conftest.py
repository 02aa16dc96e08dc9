"""Fixtures for the generator's tests that need an mlpath installation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.generator.template_repo import make_template_repo, newer_installation


@pytest.fixture
def installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    repo = newer_installation(make_template_repo(tmp_path / "install-a"), tmp_path / "install")
    monkeypatch.setenv("MLPATH_TEMPLATE_REPO", str(repo))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return repo
