"""A 30-student class of rag-eval (BM25 only) in exercise mode, end to end, through remotes.

Create and push to bare remotes; scripted students commit and push (ten solve both exercises,
five only MRR, one breaks the build, one solves both and edits a line the next template version
also changes, thirteen do nothing); grade; release v0.2.0 (in a temporary template repository
built from this checkout, as the core tests do); update; the students merge the update branch;
grade again. The gradebook's counts and the update table match the script, and every student
commit survives on the student's remote. Slow (real template, grading environment): `harness`.
"""

from __future__ import annotations

import ast
import csv
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.cli import app
from tests.conftest import git

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()
HANDLES = [f"s{i:02d}" for i in range(30)]
ROLE = {
    **{h: "solves" for h in HANDLES[:10]},
    **{h: "mrr only" for h in HANDLES[10:15]},
    HANDLES[15]: "breaks",
    HANDLES[16]: "conflicts",
    **{h: "nothing" for h in HANDLES[17:]},
}
SETTINGS = "src/{{package_name}}/settings.py"
BATCH_LINE = "embedding_batch_size: int = Field(default=32, gt=0)"


def two_releases(root: Path) -> Path:
    """This checkout's committed templates as v0.1.0; v0.2.0 changes a setting and the README."""
    git(REPO, "clone", "-q", "--no-local", str(REPO), str(root))
    # Only the two tags are releases: the checkout's releases.toml names older commits as newer
    # versions (v0.3.0), which the term's update would otherwise go to.
    (root / "releases.toml").write_text("[releases]\n")
    git(root, "commit", "-qam", "the term's releases are its tags")
    git(root, "tag", "--force", "v0.1.0")
    settings = root / "templates" / "rag-eval" / SETTINGS
    settings.write_text(settings.read_text().replace(BATCH_LINE, BATCH_LINE.replace("32", "64")))
    readme = root / "templates" / "rag-eval" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nUpdated for the second half of the term.\n")
    git(root, "commit", "-qam", "v0.2.0")
    git(root, "tag", "--force", "v0.2.0")
    return root


def body_span(source: str, name: str) -> tuple[int, int]:
    """Lines (0-based, end exclusive) of a function's body after its docstring."""
    func = next(
        n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == name
    )
    return func.body[0].end_lineno or 0, func.end_lineno or 0


def with_body_of(target: str, donor: str, name: str) -> str:
    lines, donor_lines = target.splitlines(keepends=True), donor.splitlines(keepends=True)
    (a, b), (c, d) = body_span(target, name), body_span(donor, name)
    return "".join(lines[:a] + donor_lines[c:d] + lines[b:])


def do_the_work(handle: str, laptop: Path, reference_metrics: str) -> bool:
    """What the script has this student commit; False when they commit nothing."""
    role = ROLE[handle]
    if role == "nothing":
        return False
    metrics = next(laptop.glob("src/*/evaluation/metrics.py"))
    starter = metrics.read_text()
    if role in {"solves", "conflicts"}:
        solved = with_body_of(
            with_body_of(starter, reference_metrics, "ndcg"), reference_metrics, "reciprocal_rank"
        )
        metrics.write_text(solved)
    elif role == "mrr only":
        metrics.write_text(with_body_of(starter, reference_metrics, "reciprocal_rank"))
    elif role == "breaks":
        metrics.write_text(starter.replace("def ndcg(", "def ndcg((", 1))
    if role == "conflicts":
        settings = next(laptop.glob("src/*/settings.py"))
        settings.write_text(
            settings.read_text().replace(BATCH_LINE, BATCH_LINE.replace("32", "16"))
        )
    git(laptop, "add", "-A")
    git(laptop, "commit", "-qm", f"{handle}: {role}")
    git(laptop, "push", "-q", "origin", "main")
    return True


def resolved_keeping_mine(text: str) -> list[str]:
    markers = ("<<<<<<<", "=======", ">>>>>>>")
    return [
        line
        for line in text.splitlines(keepends=True)
        if not line.startswith(markers) and "default=64" not in line
    ]


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open() as stream:
        return {row["handle"]: row for row in csv.DictReader(stream)}


def expected_grades(book: dict[str, dict[str, str]]) -> None:
    for handle, row in book.items():
        role = ROLE[handle]
        assert row["tests_total"] == "13", row
        if role in {"solves", "conflicts"}:
            assert (row["mrr"], row["ndcg"], row["tests_passed"]) == ("pass", "pass", "13"), row
        elif role == "mrr only":
            assert (row["mrr"], row["ndcg"], row["tests_passed"]) == ("pass", "fail", "6"), row
        else:
            assert (row["mrr"], row["ndcg"], row["tests_passed"]) == ("fail", "fail", "0"), row
        if role == "breaks":
            assert row["errors"] == "13"  # the package does not import: every test errors


@pytest.mark.harness
def test_thirty_students_through_a_term(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    monkeypatch.setenv("MLPATH_TEMPLATE_REPO", str(two_releases(tmp_path / "templates")))
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Prof Ada")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "ada@school.example")
    remotes = tmp_path / "remotes"
    for handle in HANDLES:
        git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remotes / f"{handle}.git"))
    roster_csv = tmp_path / "roster.csv"
    roster_csv.write_text(
        "handle,name,email\n" + "".join(f"{h},Student {h},{h}@school.example\n" for h in HANDLES)
    )
    out = tmp_path / "class"

    made = runner.invoke(
        app,
        ["classroom", "new", "rag-eval", "--roster", str(roster_csv), "--out", str(out),
         "--exercises", "--data", "dense_retrieval=false", "--vcs-ref", "v0.1.0",
         "--remote", str(remotes / "{handle}.git")],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "30 of 30 students ready" in made.output
    for handle in (HANDLES[0], HANDLES[-1]):  # the lock each student's first commit carries
        uv = shutil.which("uv")
        assert uv is not None
        check = subprocess.run(
            [uv, "lock", "--locked", "--offline"], cwd=out / handle, capture_output=True, text=True
        )
        assert check.returncode == 0, check.stderr
        assert git(out / handle, "ls-files", "uv.lock").strip() == "uv.lock"
    reference_metrics = next((out / "_grading" / "reference").glob("src/*/evaluation/metrics.py"))
    pushed: dict[str, list[str]] = {h: [] for h in HANDLES}
    laptops = {}
    for handle in HANDLES:
        laptop = tmp_path / "laptops" / handle
        git(tmp_path, "clone", "-q", str(remotes / f"{handle}.git"), str(laptop))
        laptops[handle] = laptop
        if do_the_work(handle, laptop, reference_metrics.read_text()):
            pushed[handle].append(git(laptop, "rev-parse", "HEAD").strip())

    graded = runner.invoke(app, ["classroom", "grade", str(out), "--fetch", "--timeout", "300"])
    assert graded.exit_code == 0, graded.output
    first = gradebook(out)
    expected_grades(first)
    assert "11 of 30 students pass every exercise" in graded.output
    for handle, commits in pushed.items():
        if commits:
            assert first[handle]["commit"] == commits[-1]  # their pushed work was graded

    updated = runner.invoke(app, ["classroom", "update", str(out), "--remote"])
    assert updated.exit_code == 3, updated.output  # one student has conflicts to resolve
    assert "29 updated, 1 conflicts, 0 skipped (uncommitted changes), 0 current, 0 failed" in (
        updated.output
    )
    conflict_row = next(line for line in updated.output.splitlines() if line.startswith("s16 "))
    assert "conflicts" in conflict_row and "settings.py" in conflict_row
    branch = "mlpath-update-v0.2.0"

    for handle in HANDLES[:17]:  # the active students merge the update
        laptop = laptops[handle]
        git(laptop, "fetch", "-q", "origin")
        if ROLE[handle] == "conflicts":
            git(laptop, "merge", "-q", f"origin/{branch}")
            settings = next(laptop.glob("src/*/settings.py"))
            settings.write_text("".join(resolved_keeping_mine(settings.read_text())))
            git(laptop, "commit", "-qam", "resolve the update: keep my batch size")
        else:
            git(laptop, "merge", "-q", "--ff-only", f"origin/{branch}")
        git(laptop, "push", "-q", "origin", "main")
        pushed[handle].append(git(laptop, "rev-parse", "HEAD").strip())

    regraded = runner.invoke(app, ["classroom", "grade", str(out), "--fetch", "--timeout", "300"])
    assert regraded.exit_code == 0, regraded.output
    second = gradebook(out)
    expected_grades(second)
    assert all(second[h]["commit"] == pushed[h][-1] for h in HANDLES[:17])
    assert Counter(row["commit"] == first[h]["commit"] for h, row in second.items()) == Counter(
        {False: 17, True: 13}
    )

    status = runner.invoke(app, ["classroom", "status", str(out)])
    assert status.exit_code == 0, status.output
    versions = Counter(line.split()[1] for line in status.output.splitlines()[3:-1])
    assert versions == Counter({"v0.2.0": 17, "v0.1.0": 13})  # 13 have not merged the update

    for handle in HANDLES:  # every student commit survives on the student's remote
        remote = remotes / f"{handle}.git"
        for sha in pushed[handle]:
            assert git(remote, "merge-base", "--is-ancestor", sha, "main") == ""
        history = git(remote, "log", "--all", "--name-only", "--format=")
        assert "test_ndcg.py" not in history and "_grading" not in history
    settings_path = next(laptops["s16"].glob("src/*/settings.py")).relative_to(laptops["s16"])
    assert "default=16" in git(remotes / "s16.git", "show", f"main:{settings_path.as_posix()}")
