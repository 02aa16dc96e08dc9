"""Every template through the harness with hostile answers (tests/hostile.py): each answer set
in answer_sets/<template>.yml, or the defaults for a template that has none. The generated
project's own `make lint typecheck test` must pass with quotes, backslashes, Jinja syntax and
non-ASCII in its description and author, and the longest project name copier.yml accepts.

Generation goes through pytest-copie's `copie` fixture; the checks are the harness's. Every
answer set, with plain answers, also goes through the upgrade check (test_upgrade_path.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import harness
from tests.hostile import HOSTILE, HOSTILE_BY_TEMPLATE


def answer_sets() -> list[pytest.param]:
    sets = harness.answer_sets()
    named = {template for template, _, _ in sets}
    sets += [(t, "defaults", {}) for t in harness.TEMPLATES if t not in named]
    return [pytest.param(template, data, id=f"{template}-{name}") for template, name, data in sets]


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
    hostile = {**HOSTILE, **HOSTILE_BY_TEMPLATE.get(template, {})}
    answers = harness.answers(template, {**data, **hostile})
    result = copie.copy(extra_answers=answers, template_dir=template_src)
    assert result.exception is None, f"generating {template} with {answers}: {result.exception!r}"
    assert {k: result.answers[k] for k in answers} == answers
    ran = harness.check_generated_project(result.project_dir)
    assert {"pre-commit run --all-files", "make lint", "make typecheck", "make test"} <= set(ran)
