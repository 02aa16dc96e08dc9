"""What each command was asked to do, as one validated, frozen object."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NewOptions(Options):
    template: str
    dest: Path | None = None
    data: dict[str, Any] = {}
    defaults: bool = False
    source: str | None = None
    vcs_ref: str | None = None
    git: bool = True
    force: bool = False
    lock: bool = False  # `uv lock` into the first commit (the CLI's default is on)


class UpdateOptions(Options):
    dest: Path = Path()
    to: str | None = None
    conflict: Literal["inline", "rej"] = "inline"
    pretend: bool = False
    defaults: bool = False
    data: dict[str, Any] = {}  # answers to change (`--data`), checked like `new`'s


class AdoptOptions(Options):
    template: str
    dest: Path = Path()
    data: dict[str, Any] = {}
    defaults: bool = False
    source: str | None = None
    vcs_ref: str | None = None  # required; None gets a line listing the versions
