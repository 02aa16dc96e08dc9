"""The job-summary check catches a summary or a write-up that is not this run's measured headline
(fast: a hand-made project folder; the real projects go through tests/test_templates.py)."""

from __future__ import annotations

import importlib.util
import os
import re
import time
from pathlib import Path

import pytest

from tests import harness, job_summary
from tests.job_summary import JobSummaryError, check_job_summary

REPO = Path(__file__).resolve().parents[1]
TABLE = "|---|---:|\n| roc_auc | 0.7719 |\n| brier | 0.1254 |\n"
HEADLINE = f"Held-out figures.\n\n| metric | value |\n{TABLE}"
RESULTS = f"# Results\n\n| metric | held-out value |\n{TABLE}"
PLACEHOLDER = "Not measured yet: `make train report` writes the figures here."


def write_project(
    root: Path, headline: str = HEADLINE, results: str = RESULTS, section: str | None = None
) -> Path:
    (root / "reports").mkdir(parents=True)
    (root / "reports" / "SUMMARY.md").write_text(f"## Results (`make report`)\n\n{headline}")
    (root / "reports" / "RESULTS.md").write_text(results)
    body = headline if section is None else section
    (root / "WRITEUP.md").write_text(
        f"# Write-up\n\n## Results\n\n{job_summary.WRITEUP_BEGIN}\n{body}\n"
        f"{job_summary.WRITEUP_END}\n\n## What broke\n\nprose\n"
    )
    return root


def summary_of(project: Path) -> str:
    return (project / "reports" / "SUMMARY.md").read_text()


def test_the_measured_headline_passes(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    check_job_summary(project, "earlier step's note\n" + summary_of(project), since=0)


def test_an_empty_job_summary_is_caught(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    with pytest.raises(JobSummaryError, match="does not hold"):
        check_job_summary(project, "", since=0)


def test_a_placeholder_without_figures_is_caught(tmp_path: Path) -> None:
    project = write_project(tmp_path, headline=PLACEHOLDER, section=PLACEHOLDER)
    with pytest.raises(JobSummaryError, match="no table of measured figures"):
        check_job_summary(project, summary_of(project), since=0)


def test_a_figure_the_report_does_not_state_is_caught(tmp_path: Path) -> None:
    project = write_project(tmp_path, headline=HEADLINE.replace("0.7719", "0.7791"))
    with pytest.raises(JobSummaryError, match=r"\['0.7791'\].*not in reports/RESULTS.md"):
        check_job_summary(project, summary_of(project), since=0)


def test_a_write_up_still_holding_its_placeholder_is_caught(tmp_path: Path) -> None:
    project = write_project(tmp_path, section=PLACEHOLDER)
    with pytest.raises(JobSummaryError, match="not the report's headline"):
        check_job_summary(project, summary_of(project), since=0)


def test_a_write_up_without_markers_is_caught(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    (project / "WRITEUP.md").write_text("# Write-up\n\n## Results\n\n| roc_auc | 0.7719 |\n")
    with pytest.raises(JobSummaryError, match="no results markers"):
        check_job_summary(project, summary_of(project), since=0)


def test_a_link_to_a_repository_path_is_caught(tmp_path: Path) -> None:
    headline = f"{HEADLINE}\nEvery configuration: [reports/RESULTS.md](reports/RESULTS.md).\n"
    project = write_project(tmp_path, headline=headline)
    with pytest.raises(JobSummaryError, match=r"links \['reports/RESULTS.md'\]: not absolute"):
        check_job_summary(project, summary_of(project), since=0)
    absolute = "See [the run](https://github.com/o/r/actions/runs/1)."
    project_ok = write_project(tmp_path / "ok", headline=f"{HEADLINE}\n{absolute}\n")
    check_job_summary(project_ok, summary_of(project_ok), since=0)


def test_reports_older_than_the_run_are_caught(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    committed = time.time() - 3600
    os.utime(project / "reports" / "RESULTS.md", (committed, committed))
    with pytest.raises(JobSummaryError, match="predates the CI steps"):
        check_job_summary(project, summary_of(project), since=time.time() - 60)


def test_the_markers_are_the_templates_own() -> None:
    shared = (REPO / "templates" / "_shared" / "readme_results.py.jinja").read_text()
    assert f'WRITEUP_BEGIN = "{job_summary.WRITEUP_BEGIN}"' in shared
    assert f'WRITEUP_END = "{job_summary.WRITEUP_END}"' in shared
    for template in harness.TEMPLATES:
        writeup = (REPO / "templates" / template / "WRITEUP.md.jinja").read_text()
        assert writeup.count(job_summary.WRITEUP_BEGIN) == 1, template
        assert writeup.count(job_summary.WRITEUP_END) == 1, template
        headings = re.findall(r"^## (.+)$", writeup, flags=re.MULTILINE)
        assert headings == [
            "The problem",
            "The design",
            "How it was measured",
            "Results",
            "What broke and how it was found",
            "What I would do next",
        ], template


def test_ci_steps_get_a_step_summary_and_the_summary_step_is_checked(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: push\njobs:\n"
        "  checks:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make summary\n"
        "  docker:\n    runs-on: ubuntu-latest\n    env:\n      SMOKE_LOCAL: 'true'\n"
        "    steps: []\n"
    )
    (tmp_path / "Makefile").write_text(
        "summary:\n\tmkdir -p reports\n"
        "\tprintf '| roc_auc | 0.7719 |\\n' > reports/RESULTS.md\n"
        "\tprintf 'no figures\\n' > reports/SUMMARY.md\n"
        '\tcat reports/SUMMARY.md >> "$$GITHUB_STEP_SUMMARY"\n'
    )
    with pytest.raises(harness.HarnessError, match=r"make summary.*no table of measured figures"):
        harness.run_ci_steps(tmp_path)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project (no install): its Makefile's summary target is the shared one."""
    project = tmp_path_factory.mktemp("rendered") / "project"
    harness.generate("serving-api", project)
    (project / "reports").mkdir(exist_ok=True)
    (project / "reports" / "SUMMARY.md").write_text(f"## Results (`make report`)\n\n{HEADLINE}")
    return project


def make_summary(project: Path, step_summary: Path | None) -> str:
    # `-o report`: take `make report` as done (its inputs need an installed project).
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    if step_summary is not None:
        env["GITHUB_STEP_SUMMARY"] = str(step_summary)
    return harness.run(["make", "--no-print-directory", "-o", "report", "summary"], project, env)


def test_make_summary_appends_to_the_job_summary(rendered: Path, tmp_path: Path) -> None:
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("an earlier step's lines\n")
    make_summary(rendered, step_summary)
    assert step_summary.read_text() == "an earlier step's lines\n" + summary_of(rendered)


def test_make_summary_prints_without_a_job_summary(rendered: Path) -> None:
    assert summary_of(rendered) in make_summary(rendered, None)


def test_the_ci_workflow_ends_its_checks_with_the_summary_and_a_link_to_the_reports(
    rendered: Path, tmp_path: Path
) -> None:
    steps = harness.job_run_steps(harness.ci_jobs(rendered)["checks"])
    assert steps.index("make test") < steps.index(harness.SUMMARY_STEP) == len(steps) - 2
    step_summary = tmp_path / "step_summary.md"
    step_summary.touch()
    env = {**os.environ, **harness.GITHUB_RUN_ENV, "GITHUB_STEP_SUMMARY": str(step_summary)}
    harness.run(steps[-1], rendered, env)
    assert job_summary.LINK.findall(step_summary.read_text()) == [
        "https://github.com/student/project/actions/runs/1234567890"
    ]


def test_the_summary_shows_links_to_repository_paths_as_text(rendered: Path) -> None:
    package = next(p for p in (rendered / "src").iterdir() if (p / "readme_results.py").is_file())
    spec = importlib.util.spec_from_file_location("readme_results", package / "readme_results.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    summary = rendered / "reports" / "LINKS.md"
    section = (
        "![plot](reports/plot.png)\nAll of it: [reports/RESULTS.md](reports/RESULTS.md), "
        "[the docs](https://example.org/docs) and [below](#targets).\n"
    )
    module.publish_headline(section, summary)
    assert summary.read_text().splitlines()[2:] == [
        "All of it: reports/RESULTS.md, [the docs](https://example.org/docs) and [below](#targets)."
    ]
