"""Hatch build hook: ship the templates' git history in the wheel as a bundle.

Run from a git checkout, it bundles the release tags (and the newest commit) into
`mlpath/_data/templates.bundle`; history.py places that bundle where projects can find it.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class TemplatesBundleHook(BuildHookInterface):  # type: ignore[misc]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return  # an editable install reads the history from the checkout itself
        root = Path(self.root)
        out = Path(tempfile.mkdtemp(prefix="mlpath-wheel-")) / "templates.bundle"
        subprocess.run(
            ["git", "bundle", "create", str(out), "HEAD", "--tags"],
            cwd=root,
            check=True,
            capture_output=True,
        )
        build_data["force_include"][str(out)] = "mlpath/_data/templates.bundle"
