"""`mlpath check` on its own: CI and the update workflow run it on every schedule, and the full CLI
imports Copier (most of a second) that a check never needs. `mlpath check ...` is dispatched here
by __main__; the full CLI registers the same command for `mlpath --help` and in-process use.

Exit codes: 0 at the newest version, 4 behind, 2 bad input, 1 anything else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from . import reporting
from .check import BEHIND_EXIT_CODE, check_project

check_app = typer.Typer(add_completion=False)


@check_app.command()
@reporting.reports_errors({})
def check(
    dest: Annotated[Path, typer.Argument(help="The project (default: here).")] = Path(),
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"template", "version", "newest", "behind"}.')
    ] = False,
    source: Annotated[
        str | None,
        typer.Option(help="Read the releases from this copy of the template (path or git URL)."),
    ] = None,
) -> None:
    """Exit 0 when the project is at its template's newest version, 4 when it is behind."""
    result = check_project(dest, source)
    if as_json:
        typer.echo(json.dumps(result.as_json()))
    elif result.behind:
        typer.echo(
            f"{dest}: {result.template} {result.version}, behind {result.newest} "
            "(run `mlpath update`)"
        )
    else:
        typer.echo(f"{dest}: {result.template} {result.version}, the newest version")
    if result.behind:
        raise typer.Exit(BEHIND_EXIT_CODE)
