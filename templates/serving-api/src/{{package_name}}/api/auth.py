"""Optional API-key authentication: the X-API-Key header, compared in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Security
from fastapi.security import APIKeyHeader

API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="A service API key")


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
                detail="missing or invalid API key (send it in the X-API-Key header)",
                headers={"WWW-Authenticate": "ApiKey"},
            )

    return require_api_key
