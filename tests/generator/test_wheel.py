"""An installed wheel carries the template history: it generates and updates on its own.

Both routes a user may build by: a wheel straight from the checkout, and `uv build`'s default
(an sdist, then the wheel from the unpacked sdist, where there is no .git).
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from mlpath import history
from tests.conftest import GIT_IDENTITY, git

REPO = Path(__file__).resolve().parents[2]


def newest_release() -> str:
    releases = tomllib.loads((REPO / "releases.toml").read_text())["releases"]
    return history.by_version(list(releases))[-1]


@pytest.mark.parametrize("route", ["wheel", "sdist-then-wheel"])
def test_installed_wheel_generates_and_updates_from_its_own_bundle(
    tmp_path: Path, route: str
) -> None:
    checkout = tmp_path / "checkout"  # committed state only, and no tags: releases.toml names them
    git(tmp_path, "clone", "-q", "--no-local", "--no-tags", str(REPO), str(checkout))
    for tag in git(checkout, "tag").split():
        git(checkout, "tag", "-d", tag)
    build = ["uv", "build", "--quiet", "-o", str(tmp_path / "dist")]
    subprocess.run(build + (["--wheel"] if route == "wheel" else []), cwd=checkout, check=True)
    venv = tmp_path / "venv"
    subprocess.run(["uv", "venv", "--quiet", str(venv)], check=True)
    wheel = next((tmp_path / "dist").glob("mlpath-*.whl"))
    subprocess.run(
        ["uv", "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel)],
        check=True,
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in GIT_IDENTITY}
    env.pop("MLPATH_TEMPLATE_REPO", None)
    env.pop("VIRTUAL_ENV", None)
    env["HOME"] = str(home)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"  # the uv mlpath brings

    def mlpath(*args: str) -> str:
        proc = subprocess.run(
            [str(venv / "bin" / "mlpath"), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    newest = newest_release()
    assert newest in mlpath("list")
    assert "v0.1.0" in history.by_version(
        list(
            history.release_tags(
                history.bundle_refs(home / ".local/share/mlpath/templates/serving-api.bundle")
            )
        )
    )
    mlpath("new", "serving-api", "api", "--defaults", "--vcs-ref", "v0.1.0", "--no-lock")
    answers = yaml.safe_load((tmp_path / "api" / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == "~/.local/share/mlpath/templates/serving-api.bundle"
    assert answers["_commit"] == "v0.1.0"
    assert "version:   v0.1.0" in mlpath("status", "api")
    out = mlpath("update", "api", "--defaults")
    if newest == "v0.1.0":
        assert "already at v0.1.0" in out
    else:
        assert f"v0.1.0 -> {newest}" in out
