"""`mlpath check` and `mlpath diff`, the read-only commands, without the rest of the CLI.

CI and the update workflow run `check` on every schedule, and the full CLI imports Copier, the
classroom and the generator (most of a second) that a check never needs; `diff` needs Copier but
none of the rest. __main__ dispatches `mlpath check ...` and `mlpath diff ...` here; the full CLI
registers the same commands for `mlpath --help` and in-process use.

check's exit codes: 0 at the newest version, 4 behind, 2 bad input, 1 anything else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from . import reporting
from .check import BEHIND_EXIT_CODE, check_project

readonly_app = typer.Typer(add_completion=False)
reports_errors = reporting.reports_errors({})


@readonly_app.command()
@reports_errors
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


@readonly_app.command()
@reports_errors
def diff(
    args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[DEST] [PATHS]...",
            help="The project (default: here; the first argument when it is a project folder), "
            "then the files or folders to compare (default: all).",
        ),
    ] = None,
    stat: Annotated[bool, typer.Option("--stat", help="Only a summary per file.")] = False,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when there are differences.")
    ] = False,
    source: Annotated[
        str | None,
        typer.Option(help="Render from this copy of the template (path or git URL)."),
    ] = None,
) -> None:
    """Your changes against a pristine render of the project's recorded version and answers."""
    from .diff import diff_project, split_arguments  # Copier: only when diffing

    dest, paths = split_arguments(args or [])
    result = diff_project(dest, paths, source)
    typer.echo(result.stat() if stat else result.text, nl=False)
    if exit_code and result.files:
        raise typer.Exit(1)
