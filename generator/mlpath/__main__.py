"""The `mlpath` console script. Importing the CLI (Copier, typer, pydantic) takes a moment; an
interrupt during it gets the same one line as an interrupt anywhere else."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        if sys.argv[1:2] in (["check"], ["diff"]):  # the light path (see cli_readonly.py)
            from .cli_readonly import readonly_app

            readonly_app(args=sys.argv[1:], prog_name="mlpath")
            return
        from .cli import app

        app()
    except KeyboardInterrupt:
        print("mlpath: interrupted; nothing was written", file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
