"""The tools a generated project needs on the user's machine, and how to get each one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

HOW_TO_GET = {
    "uv": "`python -m pip install uv` (or `pipx install uv`)",
    "make": "your system's package manager (Debian/Ubuntu: `sudo apt-get install make`; "
    "macOS: `xcode-select --install`)",
    "git": "your system's package manager (Debian/Ubuntu: `sudo apt-get install git`; "
    "macOS: `xcode-select --install`)",
}


def bundled_uv() -> Path | None:
    """The uv that came with mlpath (a dependency), wherever it was installed."""
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    try:
        return Path(find_uv_bin())
    except FileNotFoundError:
        return None


def missing_tool_lines(tools: tuple[str, ...] = ("uv", "make", "git")) -> list[str]:
    """One line per missing tool, saying how to get it."""
    lines = []
    for tool in tools:
        if shutil.which(tool):
            continue
        if tool == "uv" and (found := bundled_uv()) is not None:
            lines.append(
                f"uv is not on PATH, but mlpath installed it at {found}: add "
                f'{found.parent} to PATH (export PATH="{found.parent}{os.pathsep}$PATH")'
            )
            continue
        lines.append(f"{tool} is not on PATH; the project needs it: get it with {HOW_TO_GET[tool]}")
    return lines


def uv_command() -> str | None:
    found = shutil.which("uv")
    if found:
        return found
    bundled = bundled_uv()
    return str(bundled) if bundled is not None else None
