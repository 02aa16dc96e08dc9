"""Run the API under uvicorn, configured from `Settings` (also `python -m <package>.server`).

Shutdown loses no accepted request. uvicorn's own, on SIGTERM, closes the listening socket and
every connection that has no request in progress at once; a connection the kernel has accepted
but whose request the event loop has not read yet (a busy loop reads late) is closed with the
request unanswered, and its client gets a connection reset, not a response. Here instead:

1. SIGTERM (or SIGINT): readiness turns 503 and responses carry `Connection: close`, while the
   server keeps serving for `drain_delay_s`, so that load balancers stop sending it traffic;
2. it accepts what waits in the accept queue and stops accepting (a client that connects later
   is refused: connection refused);
3. it waits for the first request of every connection it accepted (a client may have connected
   but not sent yet), closes idle keep-alive connections, and lets every started request finish,
   all within `graceful_shutdown_s`; then it runs the lifespan shutdown (the micro-batcher
   flushes) and exits 0.

A second signal skips the rest of the delay.
"""

from __future__ import annotations

import asyncio
import math
import os
import socket
import time
from collections.abc import Callable
from types import FrameType

import uvicorn

from .api.app import create_app
from .api.logs import configure_logging
from .settings import Settings

# Time for the event loop to read requests that had reached the socket when it stopped accepting.
SETTLE_S = 0.1


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
        # Closing a listening socket resets every connection the kernel has completed but the
        # event loop has not accepted yet (a busy loop accepts late): their clients have sent a
        # request and get a reset. So accept them all first, then close with no await in
        # between; a client that connects after that is refused, cleanly.
        pending = [conn for server in self.servers for conn in accept_pending(server)]
        for server in self.servers:
            server.close()  # uvicorn's shutdown closes it again (a no-op)
        for sock in sockets or []:
            sock.close()
        loop = asyncio.get_running_loop()
        for conn in pending:
            await loop.connect_accepted_socket(self._new_protocol, conn)
        # uvicorn closes every connection without a request in progress, including one it has
        # accepted whose client has not sent its request yet (or whose bytes the loop has not
        # read): that client sees a reset. Wait for those first requests, within the bound.
        budget = self.config.timeout_graceful_shutdown or 0
        deadline = time.monotonic() + budget
        await asyncio.sleep(SETTLE_S)
        while time.monotonic() < deadline and any(
            awaits_first_request(c) for c in self.server_state.connections
        ):
            await asyncio.sleep(0.05)
        # What is left of the bound goes to the requests in flight.
        self.config.timeout_graceful_shutdown = max(1, math.ceil(deadline - time.monotonic()))
        await super().shutdown()

    def _new_protocol(self) -> asyncio.Protocol:
        """An HTTP protocol instance as uvicorn's startup makes them for its listeners."""
        protocol: asyncio.Protocol = self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state
        )
        return protocol


def accept_pending(server: asyncio.AbstractServer) -> list[socket.socket]:
    """Every connection waiting in the listening sockets' accept queues, without blocking."""
    accepted = []
    for listener in getattr(server, "sockets", ()) or ():
        with socket.socket(fileno=os.dup(listener.fileno())) as sock:  # closes only the dup
            sock.setblocking(False)
            while True:
                try:
                    conn, _ = sock.accept()
                except (BlockingIOError, InterruptedError):
                    break
                conn.setblocking(False)
                accepted.append(conn)
    return accepted


def awaits_first_request(connection: object) -> bool:
    """An HTTP connection that has not started a request yet (uvicorn's h11 and httptools
    protocols keep the current request cycle in `cycle`; it is None until the first one)."""
    return hasattr(connection, "cycle") and connection.cycle is None


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
