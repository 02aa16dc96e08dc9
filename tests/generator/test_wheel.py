"""An installed wheel carries the template history: it generates and updates on its own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from tests.conftest import GIT_IDENTITY, git

REPO = Path(__file__).resolve().parents[2]


def test_wheel_without_release_tags_generates_from_its_own_bundle(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"  # committed state only, and no release tags
    git(tmp_path, "clone", "-q", "--no-local", str(REPO), str(checkout))
    subprocess.run(
        ["uv", "build", "--quiet", "--wheel", "-o", str(tmp_path / "dist")],
        cwd=checkout,
        check=True,
    )
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
    env["HOME"] = str(home)

    def mlpath(*args: str) -> str:
        return subprocess.run(
            [str(venv / "bin" / "mlpath"), *args],
            cwd=tmp_path,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    assert "v0.1.0" in mlpath("list")  # the package version names the untagged newest commit
    mlpath("new", "serving-api", "api", "--defaults")
    answers = yaml.safe_load((tmp_path / "api" / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == "~/.local/share/mlpath/templates/serving-api.bundle"
    assert answers["_commit"] == "v0.1.0"
    assert (home / ".local/share/mlpath/templates/serving-api.bundle").is_file()
    assert "already at v0.1.0" in mlpath("update", "api")
