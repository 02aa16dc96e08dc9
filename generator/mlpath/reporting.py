"""How every mlpath command reports a failure: one line `mlpath: ...` and an exit code."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Mapping
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError

from .errors import MlpathError

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int) -> typer.Exit:
    typer.secho(f"mlpath: {message}", err=True, fg="red")
    return typer.Exit(code)


def hand_interrupts_to_python() -> None:
    """From here on a Ctrl-C is a KeyboardInterrupt, which the command cleans up after (see
    __main__: before the command, it ends the process with one line)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def reports_errors(
    interrupted: Mapping[str, str],
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A decorator for a command: mlpath's errors, invalid options and OS errors become one
    line; an interrupt says what it left, from `interrupted` (command name -> message)."""

    def decorate(command: Callable[P, R]) -> Callable[P, R]:
        @wraps(command)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            hand_interrupts_to_python()
            try:
                return command(*args, **kwargs)
            except MlpathError as err:
                raise fail(str(err), err.exit_code) from None
            except ValidationError as err:
                raise fail(err.errors()[0]["msg"], 2) from None
            except OSError as err:  # a folder that is not writable, a name too long, a full disk
                where = f"{err.filename}: " if err.filename else ""
                raise fail(f"{where}{err.strerror or err}", 1) from None
            except KeyboardInterrupt:
                raise fail(interrupted.get(command.__name__, "interrupted"), 130) from None

        return wrapper

    return decorate
