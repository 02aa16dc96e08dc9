"""Every template, generated at the previous release and edited as users edit, updates to the
working tree's templates and still passes its own checks (see tests/upgrade.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import harness, upgrade


@pytest.mark.harness
@pytest.mark.parametrize("template", harness.TEMPLATES)
def test_upgrade_from_the_previous_release_keeps_the_project_green(
    template: str, tmp_path: Path
) -> None:
    result = upgrade.check_upgrade(template, tmp_path)
    assert result.conflicts == result.predicted
    assert (result.project / "src").is_dir()
    assert "user_extra.py" in {p.name for p in result.project.rglob("user_extra.py")}
