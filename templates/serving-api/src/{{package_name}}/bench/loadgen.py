"""A closed-loop HTTP load generator: `concurrency` workers, each on its own keep-alive
connection, sending its next request as soon as the previous one answers, for a fixed time.

The client is a minimal HTTP/1.1 writer/reader on asyncio streams rather than httpx: on a
2-core machine the load generator shares the CPU budget with the server, and httpx spends
several times more CPU per request than the server's own overhead, which would make the
generator, not the server, the thing measured. tests/bench/test_loadgen.py checks it against
httpx on a real server. It handles what this server sends (Content-Length bodies), no more.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np


class HttpError(Exception):
    """The connection failed or the server's answer was not a response this client reads."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class KeepAliveConnection:
    """One HTTP/1.1 connection that sends POSTs and reads their responses, reconnecting when
    the server closes it."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"only http://host:port/path URLs are supported, got {url!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.path = parts.path or "/"
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\n{extra}"
        ).encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(self._head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        try:
            head = await self._reader.readuntil(b"\r\n\r\n")
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in header_lines:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            if "content-length" not in headers:
                raise HttpError(f"response without Content-Length: {status_line}")
            response_body = await self._reader.readexactly(int(headers["content-length"]))
        except (asyncio.IncompleteReadError, ConnectionError) as err:
            await self.close()
            raise HttpError(f"connection lost: {err!r}") from err
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(int(status_line.split(" ", 2)[1]), headers, response_body)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


@dataclass(frozen=True)
class LoadResult:
    concurrency: int
    seconds: float
    latencies_ms: np.ndarray  # of successful requests
    errors: int

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    def summary(self) -> dict[str, float | int]:
        ok = self.latencies_ms
        p50, p95, p99 = np.percentile(ok, [50, 95, 99]) if len(ok) else (np.nan,) * 3
        return {
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "errors": self.errors,
            "error_rate": self.errors / self.requests if self.requests else 0.0,
            "rps": len(ok) / self.seconds,
            "p50_ms": float(p50),
            "p95_ms": float(p95),
            "p99_ms": float(p99),
        }


async def _worker(
    connection: KeepAliveConnection,
    bodies: list[bytes],
    offset: int,
    stride: int,
    warmup_until: float,
    stop_at: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    i = offset
    while (now := time.perf_counter()) < stop_at:
        body = bodies[i % len(bodies)]
        i += stride
        try:
            failed = (await connection.post(body)).status != 200
        except (HttpError, OSError):
            failed = True
        if now < warmup_until:
            continue
        if failed:
            errors.append(1)
        else:
            latencies.append((time.perf_counter() - now) * 1000)
    await connection.close()


async def run_load(
    url: str,
    bodies: list[bytes],
    concurrency: int,
    seconds: float,
    warmup_s: float = 0.5,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Drive `url` with POSTs of `bodies` (round robin); requests started during the warm-up are
    not counted."""
    connections = [KeepAliveConnection(url, headers) for _ in range(concurrency)]
    latencies: list[float] = []
    errors: list[int] = []
    start = time.perf_counter()
    warmup_until = start + warmup_s
    stop_at = warmup_until + seconds
    await asyncio.gather(
        *(
            _worker(conn, bodies, k, concurrency, warmup_until, stop_at, latencies, errors)
            for k, conn in enumerate(connections)
        )
    )
    measured = time.perf_counter() - warmup_until
    return LoadResult(concurrency, measured, np.asarray(latencies), len(errors))
