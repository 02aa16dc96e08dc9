"""Every template and answer set, generated at the previous release and edited as users edit,
updates to the working tree's templates and still passes its own checks (see tests/upgrade.py).

The answer sets are the defaults and each set in answer_sets/<template>.yml."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import harness, upgrade


def every_answer_set() -> list[pytest.param]:
    sets = [(template, "defaults", {}) for template in harness.TEMPLATES] + harness.answer_sets()
    return [pytest.param(t, data, id=f"{t}-{name}") for t, name, data in sets]


@pytest.mark.harness
@pytest.mark.parametrize(("template", "data"), every_answer_set())
def test_upgrade_from_the_previous_release_keeps_the_project_green(
    template: str, data: dict[str, object], tmp_path: Path
) -> None:
    answers = {
        key: str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in data.items()
    }
    result = upgrade.check_upgrade(template, tmp_path, answers)
    assert result.conflicts == result.predicted
    assert (result.project / "src").is_dir()
    assert "user_extra.py" in {p.name for p in result.project.rglob("user_extra.py")}
    recorded = (result.project / ".copier-answers.yml").read_text()
    for key, value in answers.items():
        assert f"{key}: {value}" in recorded
