"""The request core shared by every backend client.

One straight line per call: auth headers -> transport -> (401: invalidate, refresh once,
resend once) -> decode (a pure function of the response) -> model. Idempotent calls are
retried through :mod:`stamina` under :mod:`bot.clients.retry`'s predicate; identical GETs
in flight at the same moment share one backend call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import stamina

from bot.clients.auth import AuthStrategy
from bot.clients.retry import RetryPolicy, retry_hook
from bot.clients.transport import RawResponse, Transport
from bot.core.aio import TurnBudget

__all__ = ["CallObserver", "ClientCore", "Decoder", "RequestInfo"]


@dataclass(frozen=True, slots=True)
class RequestInfo:
    backend: str
    method: str
    path: str
    operation: str


Decoder = Callable[[RawResponse, RequestInfo], Any]
CallObserver = Callable[[RequestInfo, int | None, float], None]
"""Called after every HTTP exchange with (request, status or None on failure, seconds)."""

Params = Mapping[str, Any] | list[tuple[str, str]] | None
HERD_PER_TURN = 4
"""Waiters of one shared GET resumed per event-loop turn (see :class:`bot.core.aio.TurnBudget`)."""


class ClientCore:
    def __init__(
        self,
        *,
        backend: str,
        base_url: str,
        transport: Transport,
        auth: AuthStrategy,
        decode: Decoder,
        timeout: float,
        retry: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        observe: CallObserver | None = None,
    ) -> None:
        self.backend = backend
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._transport = transport
        self._auth = auth
        self._decode = decode
        self._retry = retry or RetryPolicy()
        self._default_headers = dict(default_headers or {})
        self._observe = observe
        self._inflight: dict[tuple[Any, ...], asyncio.Future[Any]] = {}
        self._herd = TurnBudget(HERD_PER_TURN)

    def __repr__(self) -> str:
        return f"ClientCore(backend={self.backend!r}, base_url={self.base_url!r})"

    async def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Params = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one logical call; ``idempotent`` defaults to True for GET only."""
        info = RequestInfo(self.backend, method, path, operation)
        safe = method == "GET" if idempotent is None else idempotent
        if method != "GET" or json is not None:
            return await self._with_retries(info, params, json, idempotent=safe)
        key = (path, _freeze(params))
        shared = self._inflight.get(key)
        if shared is None:
            shared = asyncio.ensure_future(self._with_retries(info, params, None, idempotent=safe))
            self._inflight[key] = shared
            shared.add_done_callback(lambda fut: self._forget(key, fut))
        result = await asyncio.shield(shared)
        await self._herd.turn()  # the waiters of one read resume a few per loop turn
        return result

    def _forget(self, key: tuple[Any, ...], fut: asyncio.Future[Any]) -> None:
        self._inflight.pop(key, None)
        if not fut.cancelled():
            fut.exception()  # mark retrieved even if every waiter went away

    async def _with_retries(
        self, info: RequestInfo, params: Params, json: Any, *, idempotent: bool
    ) -> Any:
        policy = self._retry
        async for attempt in stamina.retry_context(
            on=retry_hook(policy, idempotent=idempotent),
            attempts=policy.attempts,
            timeout=policy.total_timeout,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        ):
            with attempt:
                return await self._once(info, params, json)
        raise AssertionError("stamina.retry_context ended without a result")  # pragma: no cover

    async def _once(self, info: RequestInfo, params: Params, json: Any) -> Any:
        headers = self._default_headers | await self._auth.headers()
        resp = await self._send(info, headers, params, json)
        if resp.status == 401:
            # The token went stale or was revoked: refresh once (single-flight) and resend once.
            await self._auth.invalidate(headers)
            headers = self._default_headers | await self._auth.headers()
            resp = await self._send(info, headers, params, json)
        return self._decode(resp, info)

    async def _send(
        self, info: RequestInfo, headers: Mapping[str, str], params: Params, json: Any
    ) -> RawResponse:
        started = time.perf_counter()
        status: int | None = None
        try:
            resp = await self._transport.request(
                info.method,
                self.base_url + info.path,
                headers=headers,
                params=params,
                json=json,
                timeout=self.timeout,
            )
            status = resp.status
            return resp
        finally:
            if self._observe is not None:
                self._observe(info, status, time.perf_counter() - started)


def _freeze(params: Params) -> tuple[Any, ...]:
    if params is None:
        return ()
    items = params if isinstance(params, list) else list(params.items())
    return tuple(sorted((str(k), str(v)) for k, v in items))
