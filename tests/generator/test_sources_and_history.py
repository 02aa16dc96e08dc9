"""Template sources in every form Copier accepts, and the per-user history kept trustworthy."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlpath import history
from mlpath.cli import app
from tests.conftest import git

runner = CliRunner()


def recorded_source(project: str) -> str:
    return str(yaml.safe_load(Path(project, ".copier-answers.yml").read_text())["_src_path"])


@pytest.mark.parametrize("form", ["file-url", "git-plus-file-url", "bare-path", "checkout-path"])
def test_fork_sources_generate_and_update(installation: Path, form: str) -> None:
    git(Path(), "clone", "-q", "--bare", str(installation), "fork.git")
    bare = Path("fork.git").absolute()
    given, expected = {
        "file-url": (f"file://{installation}", f"git+file://{installation}"),
        "git-plus-file-url": (f"git+file://{bare}", f"git+file://{bare}"),
        "bare-path": ("fork.git", f"git+file://{bare}"),
        "checkout-path": (str(installation), str(installation)),
    }[form]
    args = ["new", "rag-eval", "p", "--defaults", "--source", given, "--vcs-ref", "v0.1.0"]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    assert recorded_source("p") == expected
    updated = runner.invoke(app, ["update", "p", "--defaults"])
    assert updated.exit_code == 0, updated.output
    assert "v0.1.0 -> v0.2.0" in updated.output


def test_shorthands_become_git_urls() -> None:
    assert history.git_url("gh:org/templates") == "https://github.com/org/templates.git"
    assert history.git_url("gl:/org/t.git") == "https://gitlab.com/org/t.git"
    assert history.git_url("git+ssh://git@host/x.git") == "ssh://git@host/x.git"
    assert history.git_url("git@host:org/x.git") == "git@host:org/x.git"


def placed_tags(bundle: Path) -> list[str]:
    return sorted(history.release_tags(history.bundle_refs(bundle)))


def test_an_override_never_changes_the_builtin_history(
    installation: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    git(installation, "tag", "v9.0.0")  # a release only the fork has
    assert runner.invoke(app, ["list"]).exit_code == 0
    override = home / ".local/share/mlpath/override-templates/rag-eval.bundle"
    assert "v9.0.0" in placed_tags(override)
    assert not (home / ".local/share/mlpath/templates").exists()

    monkeypatch.delenv("MLPATH_TEMPLATE_REPO")
    result = runner.invoke(app, ["list"])

    assert result.exit_code == 0, result.output
    builtin = home / ".local/share/mlpath/templates/rag-eval.bundle"
    assert "v9.0.0" not in placed_tags(builtin)
    assert "v9.0.0" not in result.output


def test_a_truncated_bundle_is_detected_and_rebuilt(installation: Path, home: Path) -> None:
    assert runner.invoke(app, ["list"]).exit_code == 0
    bundle = home / ".local/share/mlpath/override-templates/rag-eval.bundle"
    whole = bundle.read_bytes()
    bundle.write_bytes(whole[: len(whole) // 2])

    result = runner.invoke(app, ["new", "rag-eval", "p", "--defaults"])

    assert result.exit_code == 0, result.output
    assert bundle.read_bytes() == whole  # the same releases give the same bytes


def test_two_commands_placing_the_same_bundle_at_once_both_succeed(
    installation: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # classroom update runs several workers that each place the bundle on first use; both
    # copies are written before either is renamed (a barrier holds each rename until then).
    both_written = threading.Barrier(2, timeout=30)
    real_replace = os.replace

    def replace_when_both_wrote(src: str, dst: Path) -> None:
        both_written.wait()
        real_replace(src, dst)

    monkeypatch.setattr(history.os, "replace", replace_when_both_wrote)
    with ThreadPoolExecutor(2) as pool:
        placed = list(pool.map(history.install_history, ["rag-eval", "rag-eval"]))

    bundle = home / ".local/share/mlpath/override-templates/rag-eval.bundle"
    assert placed == [placed[0]] * 2
    assert "v0.2.0" in placed_tags(bundle)
    assert not list(bundle.parent.glob("*.partial"))


def test_releases_file_names_releases_where_tags_are_missing(
    installation: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    untagged = tmp_path / "untagged"
    git(tmp_path, "clone", "-q", str(installation), str(untagged))
    first = git(untagged, "rev-list", "--max-parents=0", "HEAD").strip()
    for tag in git(untagged, "tag").split():
        git(untagged, "tag", "-d", tag)
    (untagged / "releases.toml").write_text(f'[releases]\n"v0.1.0" = "{first}"\n')
    git(untagged, "add", "releases.toml")
    git(untagged, "commit", "-qm", "record the first release")
    monkeypatch.setenv("MLPATH_TEMPLATE_REPO", str(untagged))

    result = runner.invoke(app, ["new", "rag-eval", "p", "--defaults", "--vcs-ref", "v0.1.0"])

    assert result.exit_code == 0, result.output
    assert "Served by version one." in Path("p/README.md").read_text()


def test_new_names_the_project_after_dest(installation: Path) -> None:
    result = runner.invoke(app, ["new", "rag-eval", "course/My_Rag", "--defaults"])
    assert result.exit_code == 0, result.output
    answers = yaml.safe_load(Path("course/My_Rag/.copier-answers.yml").read_text())
    assert answers["project_name"] == "my-rag"


def test_missing_prerequisites_are_named(
    installation: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"  # git only: no uv, no make on PATH
    bin_dir.mkdir()
    for tool in ("git",):
        (bin_dir / tool).symlink_to(
            next(Path(p) / tool for p in os.environ["PATH"].split(":") if (Path(p) / tool).exists())
        )
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr("mlpath.prerequisites.bundled_uv", lambda: None)

    result = runner.invoke(app, ["new", "rag-eval", "p", "--defaults"])

    assert result.exit_code == 0, result.output
    assert "mlpath: uv is not on PATH; the project needs it: get it with" in result.output
    assert "mlpath: make is not on PATH" in result.output
