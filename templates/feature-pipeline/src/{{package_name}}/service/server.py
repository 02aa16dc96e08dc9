"""Run the scoring service under uvicorn (`serve`, or `python -m <package>.service.server`)."""

import uvicorn

from ..settings import Settings
from .app import create_app


def run_server(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT; in-flight requests finish and the served log is flushed."""
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        server_header=False,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    run_server(Settings())
