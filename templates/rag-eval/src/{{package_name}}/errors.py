"""The project's one error family: the CLI and the API turn these into one clear line."""

from __future__ import annotations


class RagEvalError(Exception):
    """Root of every error this project raises on purpose."""


class InputError(RagEvalError):
    """Bad input from the user: a file, a line in it, or an argument, and what was expected."""


def located(path: object, line: int | None, message: str) -> InputError:
    """An InputError that names the file (and line) it is about."""
    where = f"{path}:{line}" if line is not None else f"{path}"
    return InputError(f"{where}: {message}")


class MissingExtraError(RagEvalError):
    """An optional feature was asked for but its extra is not installed."""
