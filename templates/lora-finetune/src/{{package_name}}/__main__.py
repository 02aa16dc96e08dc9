"""`python -m <package>` runs the CLI; `accelerate launch -m <package> train ...` relies on it."""

from .cli import app

app()
