"""The only module of the client side that imports aiohttp.

A transport sends one request and returns ``(status, headers, body)``; it maps aiohttp's
exceptions onto our :mod:`bot.clients.errors` tree and bounds the calls in flight. The
``ClientSession`` is created by the application (one per backend per process) and passed
in; the transport never creates or closes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from bot.clients.errors import BackendTimeout, BusyError, ConnectError, TransportError

__all__ = ["AiohttpTransport", "InFlightLimiter", "RawResponse", "Transport", "path_only"]


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport(Protocol):
    backend: str

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, Any] | list[tuple[str, str]] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        timeout: float,
    ) -> RawResponse: ...


@dataclass
class InFlightLimiter:
    """At most ``limit`` calls in flight; up to ``queue`` more wait ``queue_timeout`` s.

    Beyond that a call fails at once with :class:`BusyError` instead of piling up.
    """

    limit: int
    queue: int
    queue_timeout: float
    _sem: asyncio.Semaphore = field(init=False)
    _waiting: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._sem = asyncio.Semaphore(self.limit)

    @property
    def in_flight(self) -> int:
        return self.limit - self._sem._value

    async def acquire(self, backend: str) -> None:
        if not self._sem.locked():
            await self._sem.acquire()
            return
        if self._waiting >= self.queue:
            raise BusyError("too many calls waiting", backend=backend)
        self._waiting += 1
        try:
            await asyncio.wait_for(self._sem.acquire(), self.queue_timeout)
        except TimeoutError:
            raise BusyError("waited too long for a free slot", backend=backend) from None
        finally:
            self._waiting -= 1

    def release(self) -> None:
        self._sem.release()


class AiohttpTransport:
    """Sends requests through a caller-owned :class:`aiohttp.ClientSession`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        backend: str,
        limiter: InFlightLimiter | None = None,
    ) -> None:
        self.backend = backend
        self._session = session
        self._limiter = limiter

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, Any] | list[tuple[str, str]] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        timeout: float,
    ) -> RawResponse:
        path = url.split("?", 1)[0]
        if self._limiter is not None:
            await self._limiter.acquire(self.backend)
        try:
            async with self._session.request(
                method,
                url,
                headers=dict(headers),
                params=params,
                json=json,
                data=data,
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as resp:
                body = await resp.read()
                return RawResponse(
                    resp.status, {k.lower(): v for k, v in resp.headers.items()}, body
                )
        except TimeoutError:
            where = {"backend": self.backend, "method": method, "path": path_only(path)}
            raise BackendTimeout(
                f"no answer within {timeout:g} s", timeout=timeout, **where
            ) from None
        except aiohttp.ClientError as exc:
            kind = (
                ConnectError if isinstance(exc, aiohttp.ClientConnectionError) else TransportError
            )
            verb = "connection" if kind is ConnectError else "request"
            raise kind(
                f"{verb} failed: {type(exc).__name__}",
                backend=self.backend,
                method=method,
                path=path_only(path),
            ) from None
        finally:
            if self._limiter is not None:
                self._limiter.release()


def path_only(url: str) -> str:
    """Drop scheme and host so errors name the endpoint, not the deployment."""
    rest = url.split("://", 1)[-1]
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else "/"
