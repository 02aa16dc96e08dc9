"""Every template, for each answer set in answer_sets/<template>.yml, through the harness."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests import harness

ANSWER_SETS_DIR = Path(__file__).parent / "answer_sets"


def answer_sets() -> list[pytest.param]:
    params = []
    for template in harness.TEMPLATES:
        sets = yaml.safe_load((ANSWER_SETS_DIR / f"{template}.yml").read_text())
        for name, data in sets.items():
            params.append(pytest.param(template, data or {}, id=f"{template}-{name}"))
    return params


@pytest.fixture(scope="session")
def template_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return harness.template_snapshot(tmp_path_factory.mktemp("src"))


@pytest.mark.harness
@pytest.mark.parametrize(("template", "data"), answer_sets())
def test_generated_project_passes_its_own_checks(
    template: str, data: dict[str, object], template_src: Path, tmp_path: Path
) -> None:
    project = harness.generate(template, tmp_path / "project", data, src=template_src)
    ran = harness.check_generated_project(project)
    assert {"make lint", "make typecheck", "make test"} <= set(ran)
