"""Auth strategies: the client core asks one for headers once per request.

:class:`OAuthClientCredentials` caches the token with its expiry, refreshes it before it
runs out, and makes exactly one token request however many calls wait for it. On a 401
the core calls :meth:`invalidate` with the token that failed; only the first caller with
that token triggers a new fetch.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable, Mapping
from typing import Literal, Protocol

from pydantic import SecretStr

from bot.clients.errors import (
    AuthError,
    BackendError,
    BadResponse,
    RateLimited,
    UpstreamUnavailable,
)
from bot.clients.transport import RawResponse, Transport, path_only

__all__ = ["AuthStrategy", "OAuthClientCredentials"]


class AuthStrategy(Protocol):
    async def headers(self) -> dict[str, str]: ...

    async def invalidate(self, failed: Mapping[str, str]) -> None: ...


class OAuthClientCredentials:
    """OAuth2 client-credentials grant (Bruin's identity server)."""

    def __init__(
        self,
        *,
        transport: Transport,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        scope: str = "public_api",
        mode: Literal["form", "basic"] = "form",
        timeout: float = 10.0,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        on_fetch: Callable[[], None] | None = None,
    ) -> None:
        self._transport = transport
        self._token_url = token_url
        self._client_id = client_id
        self._secret = client_secret
        self._scope = scope
        self._mode = mode
        self._timeout = timeout
        self._margin = refresh_margin
        self._clock = clock
        self._on_fetch = on_fetch
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    def __repr__(self) -> str:
        return f"OAuthClientCredentials(token_url={self._token_url!r}, mode={self._mode!r})"

    def _valid(self) -> bool:
        return self._token is not None and self._clock() < self._expires_at

    async def token(self) -> str:
        if self._valid():
            assert self._token is not None
            return self._token
        async with self._lock:
            if not self._valid():
                await self._fetch()
            assert self._token is not None
            return self._token

    async def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}"}

    async def invalidate(self, failed: Mapping[str, str]) -> None:
        async with self._lock:
            if self._token is not None and failed.get("Authorization") == f"Bearer {self._token}":
                self._token = None
                self._expires_at = 0.0

    async def _fetch(self) -> None:
        form = {"grant_type": "client_credentials", "scope": self._scope}
        headers = {"Accept": "application/json"}
        secret = self._secret.get_secret_value()
        if self._mode == "basic":
            raw = f"{self._client_id}:{secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        else:
            form |= {"client_id": self._client_id, "client_secret": secret}
        self.fetch_count += 1
        if self._on_fetch is not None:
            self._on_fetch()
        started = self._clock()
        resp = await self._transport.request(
            "POST", self._token_url, headers=headers, data=form, timeout=self._timeout
        )
        if resp.status in (400, 401, 403):
            raise self._error(AuthError, "the identity server refused the client credentials", resp)
        if resp.status == 429:
            raise self._error(RateLimited, "the identity server is rate limiting", resp)
        if resp.status >= 500:
            raise self._error(UpstreamUnavailable, f"identity server answered {resp.status}", resp)
        try:
            payload = json.loads(resp.body)
            token = payload["access_token"]
            expires_in = float(payload.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise self._error(BadResponse, "token answer without access_token", resp) from None
        if not isinstance(token, str) or not token:
            raise self._error(BadResponse, "empty access_token", resp)
        self._token = token
        margin = min(self._margin, expires_in / 10)
        self._expires_at = started + expires_in - margin

    def _error(self, cls: type[BackendError], message: str, resp: RawResponse) -> BackendError:
        return cls(
            message,
            backend=self._transport.backend,
            method="POST",
            path=path_only(self._token_url),
            status=resp.status,
            operation="fetching an access token",
        )
