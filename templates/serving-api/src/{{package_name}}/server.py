"""Run the API under uvicorn, configured from `Settings` (also `python -m <package>.server`)."""

from __future__ import annotations

import uvicorn

from .api.app import create_app
from .api.logs import configure_logging
from .settings import Settings


def run_server(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT; then stop accepting, let in-flight requests finish (bounded
    by graceful_shutdown_s), flush the micro-batcher and exit 0."""
    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep our JSON handler
        access_log=False,  # RequestContextMiddleware writes the access log, with request ids
        server_header=False,
        timeout_graceful_shutdown=int(settings.graceful_shutdown_s),
    )


if __name__ == "__main__":
    run_server(Settings())
