"""Every template, for each answer set in answer_sets/<template>.yml, through the harness.

Generation goes through pytest-copie's `copie` fixture; the checks are the harness's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import harness


def answer_sets() -> list[pytest.param]:
    return [
        pytest.param(template, data, id=f"{template}-{name}")
        for template, name, data in harness.answer_sets()
    ]


@pytest.fixture(scope="session")
def template_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return harness.template_snapshot(tmp_path_factory.mktemp("src"))


@pytest.mark.harness
@pytest.mark.parametrize(("template", "data"), answer_sets())
def test_generated_project_passes_its_own_checks(
    template: str, data: dict[str, object], template_src: Path, copie: Any
) -> None:
    # pytest-copie's fixture generates (and removes the project afterwards unless pytest runs
    # with --keep-copied-projects); it always passes unsafe=True to Copier, so
    # test_harness_checks.test_templates_need_no_trust and the harness's shell path, which
    # generates with unsafe=False, are what keep the templates safe.
    answers = harness.answers(template, data)
    result = copie.copy(extra_answers=answers, template_dir=template_src)
    assert result.exception is None, f"generating {template} with {answers}: {result.exception!r}"
    assert {k: result.answers[k] for k in answers} == answers
    ran = harness.check_generated_project(result.project_dir)
    assert {"make lint", "make typecheck", "make test"} <= set(ran)
