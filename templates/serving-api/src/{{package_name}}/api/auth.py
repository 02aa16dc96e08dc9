"""Optional API-key authentication: the X-API-Key header, compared in constant time.

The check runs twice on purpose. `ApiKeyMiddleware` runs before FastAPI reads the body, so an
unauthenticated client gets 401 whatever it sent (FastAPI parses the body before it runs any
dependency: a malformed body would otherwise answer 422 to a caller without a key). The route
dependency documents the scheme in the OpenAPI and still protects the routes if the middleware
is ever left out.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Security
from fastapi.security import APIKeyHeader
from starlette.types import ASGIApp, Receive, Scope, Send

API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="A service API key")
UNAUTHORIZED_DETAIL = "missing or invalid API key (send it in the X-API-Key header)"
# Every route under this prefix needs the key when auth is on; probes and /metrics never do.
PROTECTED_PREFIX = "/v1/"


def key_matches(candidate: str, keys: tuple[bytes, ...]) -> bool:
    """Compare against every key without stopping early, so timing reveals nothing about which
    key (or how much of one) matched."""
    encoded = candidate.encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(encoded, key)
    return matched


def api_key_dependency(keys: tuple[str, ...]) -> Callable[[str | None], Awaitable[None]]:
    encoded_keys = tuple(k.encode() for k in keys)

    async def require_api_key(api_key: str | None = Security(API_KEY_HEADER)) -> None:
        if api_key is None or not key_matches(api_key, encoded_keys):
            raise HTTPException(
                status_code=401,
                detail=UNAUTHORIZED_DETAIL,
                headers={"WWW-Authenticate": "ApiKey"},
            )

    return require_api_key


class ApiKeyMiddleware:
    """401 for a protected route without a valid key, before anything reads the body."""

    def __init__(self, app: ASGIApp, keys: tuple[str, ...]) -> None:
        self.app = app
        self.keys = tuple(k.encode() for k in keys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED_PREFIX):
            await self.app(scope, receive, send)
            return
        candidate = next((v for k, v in scope["headers"] if k == b"x-api-key"), None)
        if candidate is not None and key_matches(candidate.decode("latin-1"), self.keys):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"detail": UNAUTHORIZED_DETAIL}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b"ApiKey"),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})
