"""Run the API under uvicorn, configured from `Settings` (also `python -m <package>.server`).

Shutdown loses no accepted request. uvicorn's own, on SIGTERM, closes the listening socket and
every connection that has no request in progress at once; a connection the kernel has accepted
but whose request the event loop has not read yet (a busy loop reads late) is closed with the
request unanswered, and its client gets a connection reset, not a response. Here instead:

1. SIGTERM (or SIGINT): readiness turns 503 and responses carry `Connection: close`, while the
   server keeps serving for `drain_delay_s`, so that load balancers stop sending it traffic;
2. it stops accepting (a client that connects later is refused: connection refused);
3. it gives the connections it accepted `SETTLE_S` to deliver the request already on the wire;
4. it lets every started request finish (bounded by `graceful_shutdown_s`), runs the lifespan
   shutdown (the micro-batcher flushes) and exits 0.

A second signal skips the rest of the delay.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from types import FrameType

import uvicorn

from .api.app import create_app
from .api.logs import configure_logging
from .settings import Settings

# Long enough for the event loop to read requests that had reached the socket when it stopped
# accepting; a connection still silent after this is idle (a client's keep-alive pool).
SETTLE_S = 0.25


class DrainingServer(uvicorn.Server):
    """`uvicorn.Server` with the drain-then-stop shutdown described above."""

    def __init__(
        self, config: uvicorn.Config, on_drain: Callable[[], None], drain_delay_s: float
    ) -> None:
        super().__init__(config)
        self._on_drain = on_drain
        self._drain_delay_s = drain_delay_s
        self._stop_accepting_at: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._stop_accepting_at is None:  # the first signal starts the drain
            self._stop_accepting_at = time.monotonic() + self._drain_delay_s
            self._on_drain()
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self._stop_accepting_at is not None and time.monotonic() >= self._stop_accepting_at:
            self.should_exit = True
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # stop accepting; uvicorn's shutdown closes it again (a no-op)
        for sock in sockets or []:
            sock.close()
        await asyncio.sleep(SETTLE_S)
        await super().shutdown()


def build_server(settings: Settings) -> DrainingServer:
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep our JSON handler
        access_log=False,  # RequestContextMiddleware writes the access log, with request ids
        server_header=False,
        timeout_graceful_shutdown=int(settings.graceful_shutdown_s),
    )
    return DrainingServer(config, app.state.service.begin_draining, settings.drain_delay_s)


def run_server(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT, then drain and exit 0 (see the module docstring)."""
    configure_logging(settings.log_level)
    build_server(settings).run()


if __name__ == "__main__":
    run_server(Settings())
