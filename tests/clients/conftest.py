"""Fixtures for the backend-client tests.

Everything runs offline: a real :class:`aiohttp.ClientSession` whose requests are answered
by :mod:`aioresponses`. A URL nobody registered raises ``ClientConnectionError`` inside
aioresponses, which the transport turns into ``ConnectError``; tests therefore also count
the requests that were actually sent (:meth:`BruinMock.calls`).

Helpers are handed out as fixtures (not imported), so this directory needs no package
imports from elsewhere in ``tests/``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import aioresponses.core as aioresponses_core
import pytest
import stamina
from aioresponses import aioresponses
from pydantic import SecretStr
from stamina.instrumentation import RetryDetails, get_on_retry_hooks, set_on_retry_hooks
from yarl import URL

from bot.clients.bruin.client import BruinClient, BruinConfig
from bot.clients.retry import RetryPolicy

SAMPLES = Path(__file__).parent / "samples"

API_URL = "https://api.bruin.test"
IDENTITY_URL = "https://id.bruin.test"
TOKEN_URL = IDENTITY_URL + "/identity/connect/token"
CUSTOMER_ID = 40123
CLIENT_ID = "chatops-test-client"
# A unique marker: if it shows up in any repr/str, the secret leaked.
SECRET_MARKER = "zq-MARKER-SECRET-8d41c7e2"


def load_sample(name: str) -> Any:
    """Parsed JSON of ``samples/<name>.json``."""
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def sample_bytes(name: str) -> bytes:
    return (SAMPLES / f"{name}.json").read_bytes()


@dataclass
class Call:
    """One request aioresponses saw."""

    method: str
    url: URL
    kwargs: dict[str, Any]

    @property
    def path(self) -> str:
        return self.url.path

    @property
    def query(self) -> list[tuple[str, str]]:
        """Query pairs, repeated keys kept (aioresponses records them sorted by key)."""
        return list(self.url.query.items())

    def param(self, key: str) -> str | None:
        return self.url.query.get(key)

    def params_all(self, key: str) -> list[str]:
        return list(self.url.query.getall(key, []))

    @property
    def json(self) -> Any:
        return self.kwargs.get("json")

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.kwargs.get("headers") or {})

    @property
    def form(self) -> dict[str, str]:
        data = self.kwargs.get("data")
        if data is None:
            return {}
        if isinstance(data, bytes | str):
            text = data.decode() if isinstance(data, bytes) else data
            return dict(parse_qsl(text))
        return dict(data)


def _sleeper(delay: float) -> Callable[..., Any]:
    """An aioresponses callback that only waits; the registered answer is then used."""

    async def callback(url: URL, **kwargs: Any) -> None:
        await asyncio.sleep(delay)

    return callback


class BruinMock:
    """Registers fake Bruin answers on aioresponses and reads back what was sent."""

    api_url = API_URL
    identity_url = IDENTITY_URL
    token_url = TOKEN_URL
    customer_id = CUSTOMER_ID
    client_id = CLIENT_ID
    secret = SECRET_MARKER

    def __init__(self, mocked: aioresponses) -> None:
        self.m = mocked

    @staticmethod
    def pattern(base: str, path: str) -> re.Pattern[str]:
        """Match ``base + path`` exactly, with any (or no) query string."""
        return re.compile("^" + re.escape(base + path) + r"(\?.*)?$")

    def register(self, method: str, path: str, *, delay: float = 0.0, **kwargs: Any) -> None:
        """Answer ``method path`` (any query) once, or ``repeat=True`` for every call.

        aioresponses answers without ever yielding to the event loop, so "concurrent"
        calls would really run one after another; ``delay`` makes the answer take that
        long, so that concurrent callers genuinely overlap.
        """
        if delay:
            kwargs["callback"] = _sleeper(delay)
        self.m.add(self.pattern(API_URL, path), method=method, **kwargs)

    def get(self, path: str, **kwargs: Any) -> None:
        self.register("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> None:
        self.register("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> None:
        self.register("PUT", path, **kwargs)

    def token(
        self,
        access_token: str = "tok-1",
        *,
        expires_in: int = 3600,
        repeat: bool = False,
        delay: float = 0.0,
    ) -> None:
        payload = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "scope": "public_api",
        }
        callback = _sleeper(delay) if delay else None
        self.m.post(TOKEN_URL, payload=payload, repeat=repeat, callback=callback)

    def token_status(self, status: int, payload: Any = None) -> None:
        self.m.post(TOKEN_URL, status=status, payload=payload)

    def calls(self, method: str | None = None, path: str | None = None) -> list[Call]:
        """Requests sent (to the API host, or the token URL when ``path`` is one)."""
        out: list[Call] = []
        for (meth, url), recorded in self.m.requests.items():
            if method is not None and meth.upper() != method.upper():
                continue
            if path is not None and url.path != path:
                continue
            out.extend(Call(meth.upper(), url, dict(rc.kwargs)) for rc in recorded)
        return out

    def token_calls(self) -> list[Call]:
        return [c for c in self.calls("POST") if str(c.url.with_query(None)) == TOKEN_URL]

    def api_calls(self, method: str | None = None, path: str | None = None) -> list[Call]:
        return [c for c in self.calls(method, path) if c.url.host == URL(API_URL).host]


@pytest.fixture
def fast_policy() -> RetryPolicy:
    """Real retries, tiny backoff: keeps the suite fast but the behaviour observable."""
    return RetryPolicy(
        attempts=3,
        total_timeout=5.0,
        wait_initial=0.01,
        wait_max=0.01,
        wait_jitter=0.0,
        max_retry_after=10.0,
    )


@pytest.fixture
def make_config(fast_policy: RetryPolicy) -> Callable[..., BruinConfig]:
    base = BruinConfig(
        api_url=API_URL,
        identity_url=IDENTITY_URL,
        client_id=CLIENT_ID,
        client_secret=SecretStr(SECRET_MARKER),
        customer_id=CUSTOMER_ID,
        timeout=5.0,
        retry=fast_policy,
    )

    def make(**overrides: Any) -> BruinConfig:
        return replace(base, **overrides)

    return make


class _MockedResponse(aiohttp.ClientResponse):
    """aioresponses 0.7.9 builds responses without aiohttp 3.14's ``stream_writer``."""

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        if _NEEDS_STREAM_WRITER:
            kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


_NEEDS_STREAM_WRITER = (
    "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters
)


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[aioresponses]:
    monkeypatch.setattr(aioresponses_core, "ClientResponse", _MockedResponse)
    with aioresponses() as m:
        yield m


@pytest.fixture
def bm(mocked: aioresponses) -> BruinMock:
    return BruinMock(mocked)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def make_client(
    session: aiohttp.ClientSession, make_config: Callable[..., BruinConfig]
) -> Callable[..., BruinClient]:
    def make(**overrides: Any) -> BruinClient:
        return BruinClient.create(session, make_config(**overrides))

    return make


@pytest.fixture
def bruin(bm: BruinMock, make_client: Callable[..., BruinClient]) -> BruinClient:
    """A client whose token endpoint always answers (token ``tok-1``)."""
    bm.token("tok-1", repeat=True)
    return make_client()


@pytest.fixture
def sample() -> Callable[[str], Any]:
    return load_sample


@pytest.fixture
def raw_sample() -> Callable[[str], bytes]:
    return sample_bytes


@pytest.fixture(autouse=True)
def _real_stamina() -> Iterator[None]:
    """Retries must really happen here, whatever a wider conftest configured."""
    was_active, was_testing = stamina.is_active(), stamina.is_testing()
    stamina.set_active(True)
    if was_testing:
        stamina.set_testing(False)
    yield
    stamina.set_active(was_active)
    if was_testing:
        stamina.set_testing(True)


@pytest.fixture
def retries() -> Iterator[list[RetryDetails]]:
    """Every retry stamina schedules (with its ``wait_for``) during the test."""
    seen: list[RetryDetails] = []
    saved = get_on_retry_hooks()
    set_on_retry_hooks([seen.append])
    yield seen
    set_on_retry_hooks(saved)
