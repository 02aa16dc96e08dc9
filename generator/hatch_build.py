"""Hatch build hook: ship the templates' git history in the wheel as a bundle.

Run from a git checkout, it bundles the newest commit and the tags into
`mlpath/_data/templates.bundle` (the releases that releases.toml names are ancestors of the
newest commit, so they travel inside it); history.py places that bundle where projects can find
it. An sdist carries the same bundle, so a wheel built from the sdist (`uv build`'s route, where
there is no .git) ships the history too.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

IN_SDIST = "generator/mlpath/_data/templates.bundle"
IN_WHEEL = "mlpath/_data/templates.bundle"


class TemplatesBundleHook(BuildHookInterface):  # type: ignore[misc]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return  # an editable install reads the history from the checkout itself
        root = Path(self.root)
        if (root / ".git").exists():
            bundle = Path(tempfile.mkdtemp(prefix="mlpath-build-")) / "templates.bundle"
            proc = subprocess.run(
                ["git", "bundle", "create", str(bundle), "HEAD", "--tags"],
                cwd=root,
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"git bundle create failed in {root}: {proc.stderr.strip()}")
        elif (root / IN_SDIST).is_file():  # building the wheel from an unpacked sdist
            bundle = root / IN_SDIST
        else:
            raise RuntimeError(
                f"{root}: neither a git checkout nor an sdist with {IN_SDIST}; "
                "mlpath's wheel must carry the templates' history"
            )
        build_data["force_include"][str(bundle)] = (
            IN_SDIST if self.target_name == "sdist" else IN_WHEEL
        )
