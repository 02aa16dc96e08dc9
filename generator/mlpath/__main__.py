"""The `mlpath` console script. Importing the CLI (Copier, typer, pydantic) and parsing the
command line take a moment; an interrupt before the command itself starts has nothing to undo,
and gets the same one line as an interrupt anywhere else.

Until a command starts, SIGINT goes to `interrupted_before_the_command`; the command's wrapper
(reporting.reports_errors) gives it back to Python, whose KeyboardInterrupt each command turns
into its own message. Without this, an interrupt while typer parses would end in typer's own
silent exit 130.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

BEFORE_THE_COMMAND = "mlpath: interrupted; nothing was written\n"


def interrupted_before_the_command(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write(BEFORE_THE_COMMAND)
    sys.stderr.flush()
    os._exit(130)  # nothing to clean up: no command has started


def main() -> None:
    signal.signal(signal.SIGINT, interrupted_before_the_command)
    try:
        if sys.argv[1:2] in (["check"], ["diff"]):  # the light path (see cli_readonly.py)
            from .cli_readonly import readonly_app

            readonly_app(args=sys.argv[1:], prog_name="mlpath")
            return
        from .cli import app

        app()
    except KeyboardInterrupt:  # after the command returned (its wrapper handles its own)
        sys.stderr.write("mlpath: interrupted\n")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
