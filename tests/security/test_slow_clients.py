"""Issue 19 item 7: slow clients cannot hold the server. Headers must arrive within
CHATOPS_HTTP_HEADER_TIMEOUT_SECONDS, a body within CHATOPS_HTTP_BODY_TIMEOUT_SECONDS, and
at most CHATOPS_HTTP_MAX_CONNECTIONS are open at once — driven with raw loopback sockets.

The header timeout and the connection bound live in ``BotServer.listen`` (what ``chatops-bot
run`` serves through); the body timeout in the handlers. Waits are bounded (``BOUND``) so a
regression fails instead of hanging; nothing asserts how fast the server was."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.slack.server import BotServer, ConnectionGuard
from tests.slack.conftest import Harness, wait_for

BOUND = 15.0
"""Upper bound on any wait here (the configured timeouts are a fraction of a second)."""
SLOW = {"chatops_http_header_timeout_seconds": 0.5, "chatops_http_body_timeout_seconds": 0.5}
REQUEST_HEAD = (
    b"POST /slack/events HTTP/1.1\r\n"
    b"Host: 127.0.0.1\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 1000\r\n\r\n"
)


async def trickle(writer: asyncio.StreamWriter, data: bytes, every: float = 0.05) -> None:
    """Send ``data`` one byte at a time until it is sent or the server hangs up."""
    with contextlib.suppress(ConnectionError, OSError):
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every)


async def read_until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (bounded)."""
    chunks = []
    with contextlib.suppress(ConnectionError):
        async with asyncio.timeout(BOUND):
            while chunk := await reader.read(4096):
                chunks.append(chunk)
    return b"".join(chunks)


@contextlib.asynccontextmanager
async def connection(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


async def healthz(port: int) -> int:
    connector = aiohttp.TCPConnector(force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector) as http,
        http.get(f"http://127.0.0.1:{port}/healthz") as resp,
    ):
        return resp.status


@contextlib.asynccontextmanager
async def guarded(h: Harness) -> AsyncIterator[tuple[int, ConnectionGuard]]:
    """The bot's app served through ``BotServer.listen`` (as ``chatops-bot run`` serves it)."""
    server: BotServer = h.bot.server
    runner, port = await server.listen("127.0.0.1", 0)
    try:
        assert server.connections is not None
        yield port, server.connections
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("overrides", [SLOW])
async def test_fifty_clients_sending_headers_a_byte_at_a_time_are_disconnected(
    harness: Harness,
) -> None:
    async def slow_client(port: int) -> bytes:
        async with connection(port) as (reader, writer):
            sending = asyncio.create_task(trickle(writer, REQUEST_HEAD * 4))
            try:
                return await read_until_closed(reader)
            finally:
                sending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sending

    async with guarded(harness) as (port, guard):
        answers = await asyncio.gather(*(slow_client(port) for _ in range(50)))
        assert answers == [b""] * 50  # closed without an answer: no request ever started
        assert guard.slow_headers == 50
        await wait_for(lambda: guard.open == 0)
        assert await healthz(port) == 200


@pytest.mark.parametrize("overrides", [{"chatops_http_header_timeout_seconds": 0.3}])
async def test_an_idle_keep_alive_connection_outlives_the_header_timeout(
    harness: Harness,
) -> None:
    """Idle is not slow: a load balancer reusing a pooled connection must find it open."""
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    async with guarded(harness) as (port, guard), connection(port) as (reader, writer):
        for _ in range(2):
            writer.write(request)
            await writer.drain()
            async with asyncio.timeout(BOUND):
                head = await reader.readuntil(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200 ")
                length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
            await asyncio.sleep(3 * guard.header_timeout)  # idle well past the header timeout
        assert guard.slow_headers == 0


@pytest.mark.parametrize("overrides", [SLOW])
async def test_a_body_sent_a_byte_at_a_time_gets_408_and_the_connection_closes(
    harness: Harness,
) -> None:
    async with connection(harness.bot.port) as (reader, writer):
        writer.write(REQUEST_HEAD)
        await writer.drain()
        sending = asyncio.create_task(trickle(writer, b"x" * 1000))
        try:
            answer = await read_until_closed(reader)
        finally:
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answer.endswith(b"request body too slow")


@pytest.mark.parametrize("overrides", [SLOW])
async def test_a_prompt_client_is_served_under_short_timeouts(harness: Harness) -> None:
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as http:
        harness.http = http
        answer, key = await harness.command("/ticket", "show 4503")
        assert answer.status == 200
        await harness.reply(key)


@pytest.mark.parametrize(
    "overrides",
    [{"chatops_http_max_connections": 5, "chatops_http_header_timeout_seconds": 60.0}],
)
async def test_connections_beyond_the_maximum_are_refused_until_one_closes(
    harness: Harness,
) -> None:
    async with guarded(harness) as (port, guard), contextlib.AsyncExitStack() as stack:
        held = [await stack.enter_async_context(connection(port)) for _ in range(5)]
        await wait_for(lambda: guard.open == 5)
        async with connection(port) as (reader, _):
            refused = await read_until_closed(reader)
        assert refused.startswith(b"HTTP/1.1 503 ")
        assert refused.endswith(b"too many connections")
        assert (guard.open, guard.refused) == (5, 1)
        _, writer = held.pop()
        writer.close()
        await wait_for(lambda: guard.open == 4)
        assert await healthz(port) == 200
        await stack.aclose()
        await wait_for(lambda: guard.open == 0)
        assert guard.refused == 1
