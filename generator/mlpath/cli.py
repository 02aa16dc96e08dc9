"""The `mlpath` command line: thin commands over plain functions.

Only this module catches mlpath's errors; it prints them as one line and exits with the code
the error class names (2: bad input, 3: update left conflicts, 1: anything else).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from . import __version__, answers, catalog, history, prerequisites, reporting
from .adopt import adopt_project
from .classroom.cli import classroom_app
from .cli_readonly import check, diff
from .errors import UpdateConflictsError
from .generate import new_project
from .options import AdoptOptions, NewOptions, UpdateOptions
from .update import project_status, update_project

app = typer.Typer(
    help="Generate the four ML portfolio projects and keep them up to date.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(classroom_app, name="classroom")

# What an interrupt leaves, per command: each one writes nothing until its last step.
INTERRUPTED = {
    "new": "interrupted; nothing was written (no project folder was made)",
    "update": "interrupted; the project was not changed",
    "adopt": "interrupted; the project was not changed",
}
reports_errors = reporting.reports_errors(INTERRUPTED)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"mlpath {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """mlpath: generate and update ML portfolio projects."""


@app.command("list")
@reports_errors
def list_templates() -> None:
    """List the built-in templates and the newest template version."""
    for name, summary in catalog.TEMPLATES.items():
        newest = history.newest_version(history.install_history(name))
        typer.echo(f"{name:<18} {newest:<8} {summary}")


@app.command()
@reports_errors
def new(
    template: Annotated[
        str, typer.Argument(help="serving-api, feature-pipeline, lora-finetune or rag-eval")
    ],
    dest: Annotated[
        Path | None, typer.Argument(help="Where to generate (default: ./PROJECT_NAME)")
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Do not ask; use the defaults and --data.")
    ] = False,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", metavar="KEY=VALUE", help="Answer a question (repeatable)."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help="A template repository (path or git URL) to use instead of the built-in one."
        ),
    ] = None,
    vcs_ref: Annotated[
        str | None, typer.Option("--vcs-ref", help="Template version (default: the newest).")
    ] = None,
    git: Annotated[
        bool, typer.Option("--git/--no-git", help="git init and a first commit.")
    ] = True,
    force: Annotated[bool, typer.Option("--force", help="Render into a non-empty DEST.")] = False,
    lock: Annotated[
        bool, typer.Option("--lock/--no-lock", help="Write uv.lock into the first commit.")
    ] = True,
) -> None:
    """Generate a new project from a template."""
    for line in prerequisites.missing_tool_lines():
        typer.secho(f"mlpath: {line}", err=True, fg="yellow")
    opts = NewOptions(
        template=template,
        dest=dest,
        data=answers.parse_data(data or []),
        defaults=defaults,
        source=source,
        vcs_ref=vcs_ref,
        git=git,
        force=force,
        lock=lock,
    )
    made = new_project(opts)
    if made.lock_note:
        typer.secho(
            f"mlpath: uv.lock was not written ({made.lock_note}); `make setup` writes it: "
            "commit it before the first push",
            err=True,
            fg="yellow",
        )
    typer.echo(
        f"Generated {made.template} {made.version} in {made.path}"
        + (" (git: first commit made)" if made.commit else "")
    )
    typer.echo("Next steps:")
    typer.echo(f"  cd {made.path}")
    typer.echo("  make setup")
    typer.echo(f"  {catalog.MAIN_JOB.get(made.template, 'make test')}")


@app.command()
@reports_errors
def update(
    dest: Annotated[Path, typer.Argument(help="The project (default: here).")] = Path(),
    to: Annotated[str | None, typer.Option(help="Template version (default: the newest).")] = None,
    conflict: Annotated[
        Literal["inline", "rej"], typer.Option(help="Conflicts as inline markers or .rej files.")
    ] = "inline",
    pretend: Annotated[
        bool, typer.Option("--pretend", "--dry-run", help="Show what would change; touch nothing.")
    ] = False,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Answer new questions with their defaults.")
    ] = False,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            metavar="KEY=VALUE",
            help="Change a recorded answer (repeatable); also without a version change.",
        ),
    ] = None,
) -> None:
    """Update a project to a newer template version or change its answers; your edits are kept."""
    result = update_project(
        UpdateOptions(
            dest=dest,
            to=to,
            conflict=conflict,
            pretend=pretend,
            defaults=defaults,
            data=answers.parse_data(data or []),
        )
    )
    if result.recovered:
        typer.echo(
            f"{result.project}: an earlier update died while landing; its files were put back "
            "as they are at HEAD"
        )
    if result.up_to_date:
        unchanged = ", with these answers" if data else ""
        typer.echo(
            f"{result.project}: already at {result.from_version}, the newest version{unchanged}"
        )
        return
    if result.from_version == result.to_version:
        verb = "would re-answer" if result.pretend else "re-answered"
        typer.echo(f"{result.project}: {verb} at {result.to_version}")
    else:
        verb = "would update" if result.pretend else "updated"
        typer.echo(f"{result.project}: {verb} {result.from_version} -> {result.to_version}")
    for change in result.changes:
        typer.echo(f"  {change.shown()}")
    typer.echo("  " + summary_counts(result.counts()))
    for key, (was, now) in result.changed_answers.items():
        typer.echo(f"  answer changed: {key} = {now!r} (was {was!r})")
    for key, value in result.dropped_answers.items():
        typer.echo(f"  answer dropped: {key} (was {value!r}; no longer asked)")
    for key, value in result.new_answers.items():
        typer.echo(f"  new answer recorded: {key} = {value!r}")
    if result.interrupted:
        typer.secho(
            "mlpath: interrupted while the update was landing; it was completed first",
            err=True,
            fg="red",
        )
        raise typer.Exit(130)
    if result.conflicts:
        raise UpdateConflictsError(
            f"{len(result.conflicts)} file(s) {'would be' if result.pretend else 'were'} left "
            f"with conflicts: {', '.join(result.conflicts)}; resolve them, then commit"
        )


ADOPT_LISTED = 20  # differing or missing files listed by name; the rest are counted


@app.command()
@reports_errors
def adopt(
    template: Annotated[
        str, typer.Argument(help="The template the project was made from (e.g. rag-eval).")
    ],
    dest: Annotated[Path, typer.Argument(help="The project (default: here).")] = Path(),
    vcs_ref: Annotated[
        str | None,
        typer.Option("--vcs-ref", help="The template version it was made from (required)."),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", metavar="KEY=VALUE", help="Answer a question (repeatable)."),
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Do not ask; use the defaults and --data.")
    ] = False,
    source: Annotated[
        str | None,
        typer.Option(help="The template repository (path or git URL) it was made from."),
    ] = None,
) -> None:
    """Link a project without .copier-answers.yml to a template version, so that updates merge."""
    made = adopt_project(
        AdoptOptions(
            template=template,
            dest=dest,
            vcs_ref=vcs_ref,
            data=answers.parse_data(data or []),
            defaults=defaults,
            source=source,
        )
    )
    typer.echo(
        f"{made.project}: adopted as {made.template} {made.version} "
        f"({answers.ANSWERS_FILE} committed: {made.commit[:10]})"
    )
    typer.echo(
        f"  template files: {len(made.identical)} identical, {len(made.differing)} differ, "
        f"{len(made.missing)} missing"
    )
    for label, names in (("differ", made.differing), ("missing", made.missing)):
        for name in names[:ADOPT_LISTED]:
            typer.echo(f"  {label}: {name}")
        if len(names) > ADOPT_LISTED:
            typer.echo(f"  {label}: ... and {len(names) - ADOPT_LISTED} more")
    typer.echo("answers:")
    for key, value in made.answers.items():
        typer.echo(f"  {key}: {value}")
    typer.echo("Next: `mlpath update` merges newer template versions into your changes.")
    if len(made.identical) < len(made.differing) + len(made.missing):
        typer.secho(
            "mlpath: most of the template's files differ from the project's or are missing: "
            "check --vcs-ref and --data (project_name, package_name); `git revert HEAD` undoes "
            "the adoption",
            err=True,
            fg="yellow",
        )
    if made.interrupted:
        typer.secho(
            "mlpath: interrupted while the answers file was committed; it was completed first",
            err=True,
            fg="red",
        )
        raise typer.Exit(130)


LETTER_NAMES = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "conflicts"}


def summary_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts.get(letter, 0)} {name}" for letter, name in LETTER_NAMES.items())


@app.command()
@reports_errors
def status(
    dest: Annotated[Path, typer.Argument(help="The project (default: here).")] = Path(),
) -> None:
    """Show a project's template, its version, the newest version and the recorded answers."""
    st = project_status(dest.absolute())
    typer.echo(f"project:   {st.project}")
    if st.repository is not None and st.repository != st.project.resolve():
        typer.echo(f"repository: {st.repository} (the project is a folder inside it)")
    typer.echo(f"template:  {st.template}")
    typer.echo(f"source:    {st.source}")
    typer.echo(f"version:   {st.version}")
    behind = "" if st.version == st.newest else "  (run `mlpath update`)"
    typer.echo(f"newest:    {st.newest}{behind}")
    typer.echo("answers:")
    for key, value in st.answers.items():
        typer.echo(f"  {key}: {value}")


# Defined apart: __main__ runs them without importing the rest of the CLI.
app.command("check")(check)
app.command("diff")(diff)


@app.command()
@reports_errors
def changelog(
    dest: Annotated[Path, typer.Argument(help="The project (default: here).")] = Path(),
    source: Annotated[
        str | None,
        typer.Option(help="Read the template from this copy of it (path or git URL)."),
    ] = None,
) -> None:
    """The CHANGELOG.md entries an update would bring (newer than the project's version)."""
    from .changelog import project_entries

    typer.echo(project_entries(dest, source), nl=False)
