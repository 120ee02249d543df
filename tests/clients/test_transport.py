"""Transport, retry policy, in-flight bound and request coalescing.

Retries run for real (tiny backoff from the ``fast_policy`` fixture); where a
``Retry-After`` must be honoured the wait is observed both through stamina's
instrumentation and by timing the requests.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aioresponses import CallbackResult

from bot.clients.errors import (
    BackendTimeout,
    BusyError,
    ConnectError,
    NotFound,
    RateLimited,
    TransportError,
    UpstreamUnavailable,
)
from bot.clients.retry import RetryPolicy, retry_hook
from bot.clients.transport import AiohttpTransport, InFlightLimiter, RawResponse, path_only

DETAILS = "/api/Ticket/4503/details"
NOTES = "/api/Ticket/4503/notes"


# -- AiohttpTransport -----------------------------------------------------------------------


async def test_transport_returns_status_lowercased_headers_and_body(bm, session):
    bm.get(DETAILS, status=207, body=b'{"a":1}', headers={"X-Trace-Id": "t-1"})
    transport = AiohttpTransport(session, backend="bruin")
    resp = await transport.request(
        "GET", bm.api_url + DETAILS, headers={"Accept": "application/json"}, timeout=1.0
    )
    assert isinstance(resp, RawResponse)
    assert resp.status == 207
    assert resp.body == b'{"a":1}'
    assert resp.headers["x-trace-id"] == "t-1"
    [call] = bm.api_calls("GET", DETAILS)
    assert call.headers == {"Accept": "application/json"}
    assert call.kwargs["allow_redirects"] is False


async def test_transport_does_not_follow_redirects(bm, session):
    bm.get(DETAILS, status=302, headers={"Location": "https://elsewhere.test/login"})
    transport = AiohttpTransport(session, backend="bruin")
    resp = await transport.request("GET", bm.api_url + DETAILS, headers={}, timeout=1.0)
    assert resp.status == 302
    assert len(bm.calls()) == 1


async def test_transport_timeout_is_backend_timeout(bm, session):
    bm.get(DETAILS, timeout=True)
    transport = AiohttpTransport(session, backend="bruin")
    url = bm.api_url + DETAILS + "?ServiceNumber=VC07700012345"
    with pytest.raises(BackendTimeout) as caught:
        await transport.request("GET", url, headers={}, timeout=0.25)
    err = caught.value
    assert err.timeout == 0.25
    assert err.path == DETAILS  # no host, no query string (customer data)
    assert "VC07700012345" not in str(err) + repr(err)
    assert err.user_message() == "Bruin did not answer in 0.25 s; try again in a minute."


@pytest.mark.parametrize(
    "exc",
    [
        aiohttp.ClientConnectionError("refused"),
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientOSError(104, "reset"),
    ],
)
async def test_transport_connection_failures_are_connect_error(bm, session, exc):
    bm.get(DETAILS, exception=exc)
    transport = AiohttpTransport(session, backend="bruin")
    with pytest.raises(ConnectError) as caught:
        await transport.request("GET", bm.api_url + DETAILS, headers={}, timeout=1.0)
    assert caught.value.path == DETAILS
    assert caught.value.user_message() == "Could not reach Bruin; try again in a minute."


async def test_transport_other_client_errors_are_transport_error(bm, session):
    bm.get(DETAILS, exception=aiohttp.ClientPayloadError("truncated"))
    transport = AiohttpTransport(session, backend="bruin")
    with pytest.raises(TransportError) as caught:
        await transport.request("GET", bm.api_url + DETAILS, headers={}, timeout=1.0)
    assert not isinstance(caught.value, ConnectError)


async def test_unregistered_url_fails_as_connect_error(bm, session):
    transport = AiohttpTransport(session, backend="bruin")
    with pytest.raises(ConnectError):
        await transport.request("GET", bm.api_url + "/api/Nope", headers={}, timeout=1.0)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://api.bruin.test/api/Ticket", "/api/Ticket"),
        ("https://api.bruin.test", "/"),
        ("https://api.bruin.test/api/Site/", "/api/Site/"),
        ("/api/Ticket/1/details", "/api/Ticket/1/details"),
        ("api.bruin.test/x", "/x"),
    ],
)
def test_path_only(url, path):
    assert path_only(url) == path


# -- InFlightLimiter ------------------------------------------------------------------------


async def test_limiter_third_caller_is_refused_at_once():
    limiter = InFlightLimiter(limit=1, queue=1, queue_timeout=5.0)
    await limiter.acquire("bruin")
    second = asyncio.create_task(limiter.acquire("bruin"))
    await asyncio.sleep(0)
    started = time.monotonic()
    with pytest.raises(BusyError) as caught:
        await limiter.acquire("bruin")
    assert time.monotonic() - started < 0.1
    assert caught.value.user_message() == (
        "The bot is busy talking to Bruin; try again in a moment."
    )
    assert not second.done()
    limiter.release()
    await asyncio.wait_for(second, 1.0)
    assert limiter.in_flight == 1
    limiter.release()
    assert limiter.in_flight == 0


async def test_limiter_queue_timeout_is_busy_error():
    limiter = InFlightLimiter(limit=1, queue=5, queue_timeout=0.05)
    await limiter.acquire("bruin")
    with pytest.raises(BusyError, match="waited too long"):
        await limiter.acquire("bruin")
    limiter.release()
    await asyncio.wait_for(limiter.acquire("bruin"), 0.5)  # the slot is usable again


async def test_transport_releases_its_slot_after_a_failure(bm, session):
    limiter = InFlightLimiter(limit=1, queue=0, queue_timeout=0.1)
    transport = AiohttpTransport(session, backend="bruin", limiter=limiter)
    bm.get(DETAILS, exception=aiohttp.ServerDisconnectedError())
    with pytest.raises(ConnectError):
        await transport.request("GET", bm.api_url + DETAILS, headers={}, timeout=1.0)
    bm.get(DETAILS, timeout=True)
    with pytest.raises(BackendTimeout):
        await transport.request("GET", bm.api_url + DETAILS, headers={}, timeout=1.0)
    bm.get(DETAILS, body=b"{}")
    resp = await transport.request("GET", bm.api_url + DETAILS, headers={}, timeout=1.0)
    assert resp.status == 200
    assert limiter.in_flight == 0


async def test_client_in_flight_bound_refuses_a_third_call(bm, make_client, sample):
    gate = asyncio.Event()

    async def held(url, **kwargs):
        await gate.wait()
        return CallbackResult(payload=sample("ticket_details_ok"))

    bm.token("tok-1")
    for n in (1, 2, 3):
        bm.get(f"/api/Ticket/{n}/details", callback=held)
    bruin = make_client(max_in_flight=1, queue_limit=1, queue_timeout=5.0)
    await bruin.check_token()
    tasks = [asyncio.create_task(bruin.get_ticket_details(n)) for n in (1, 2, 3)]
    done, pending = await asyncio.wait(tasks, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
    assert not gate.is_set()
    [refused] = done
    assert isinstance(refused.exception(), BusyError)
    assert len(pending) == 2
    gate.set()
    results = await asyncio.gather(*pending)
    assert all(r.details[0].detail_id == 7390012 for r in results)
    assert len(bm.api_calls("GET")) == 2  # nothing was sent for the refused call


# -- retry policy (unit) --------------------------------------------------------------------


def test_retry_hook_decisions():
    policy = RetryPolicy(max_retry_after=10)
    reads = retry_hook(policy, idempotent=True)
    writes = retry_hook(policy, idempotent=False)
    kw = {"backend": "bruin"}
    assert reads(RateLimited("x", retry_after=3, **kw)) == 3
    assert reads(RateLimited("x", **kw)) is True
    assert reads(RateLimited("x", retry_after=11, **kw)) is False
    assert reads(UpstreamUnavailable("x", status=503, **kw)) is True
    assert reads(UpstreamUnavailable("x", status=503, retry_after=2, **kw)) == 2
    assert reads(UpstreamUnavailable("x", status=500, **kw)) is False
    assert reads(ConnectError("x", **kw)) is True
    assert reads(BackendTimeout("x", timeout=1, **kw)) is False
    assert reads(NotFound("x", **kw)) is False
    assert writes(RateLimited("x", retry_after=3, **kw)) == 3
    assert writes(UpstreamUnavailable("x", status=503, **kw)) is False
    assert writes(ConnectError("x", **kw)) is False


# -- retries through the client -------------------------------------------------------------


def _timed(times: list[float], status: int, **answer):
    async def callback(url, **kwargs):
        times.append(time.monotonic())
        return CallbackResult(status=status, **answer)

    return callback


async def test_429_retry_after_is_waited_then_succeeds(bm, bruin, sample, retries):
    times: list[float] = []
    bm.get(DETAILS, callback=_timed(times, 429, headers={"Retry-After": "1"}))
    bm.get(DETAILS, callback=_timed(times, 200, payload=sample("ticket_details_ok")))
    details = await bruin.get_ticket_details(4503)
    assert details.details[0].detail_id == 7390012
    assert len(times) == 2
    assert times[1] - times[0] >= 0.95  # the backoff (0.01 s) was replaced by Retry-After
    [retry] = retries
    assert retry.wait_for == pytest.approx(1.0)
    assert isinstance(retry.caused_by, RateLimited)
    assert retry.caused_by.retry_after == 1.0


async def test_503_on_a_get_is_retried_then_succeeds(bm, bruin, sample, retries):
    bm.get(DETAILS, status=503)
    bm.get(DETAILS, payload=sample("ticket_details_ok"))
    await bruin.get_ticket_details(4503)
    assert len(bm.api_calls("GET", DETAILS)) == 2
    assert [type(r.caused_by) for r in retries] == [UpstreamUnavailable]


async def test_503_retries_are_bounded_by_the_policy(bm, make_client, fast_policy, retries):
    bm.token("tok-1")
    bm.get(DETAILS, status=503, repeat=True)
    bruin = make_client()
    with pytest.raises(UpstreamUnavailable) as caught:
        await bruin.get_ticket_details(4503)
    assert caught.value.status == 503
    assert len(bm.api_calls("GET", DETAILS)) == fast_policy.attempts
    assert len(retries) == fast_policy.attempts - 1


async def test_500_on_a_get_is_not_retried(bm, bruin, sample):
    bm.get(DETAILS, status=500, payload=sample("ticket_list_error500"), repeat=True)
    with pytest.raises(UpstreamUnavailable) as caught:
        await bruin.get_ticket_details(4503)
    assert len(bm.api_calls("GET", DETAILS)) == 1
    assert caught.value.trace_id == "0HMVD8K2Q5T1A:00000006"


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_on_a_post_is_not_retried(bm, bruin, status, retries):
    bm.post(NOTES, status=status, repeat=True)
    with pytest.raises(UpstreamUnavailable):
        await bruin.add_note(4503, "TESTING – DO NOT ACT")
    assert len(bm.api_calls("POST", NOTES)) == 1
    assert retries == []


async def test_429_on_a_post_is_retried(bm, bruin, sample, retries):
    bm.post(NOTES, status=429)
    bm.post(NOTES, payload=sample("note_add_ok"))
    note = await bruin.add_note(4503, "TESTING – DO NOT ACT")
    assert note is not None
    calls = bm.api_calls("POST", NOTES)
    assert len(calls) == 2
    assert calls[0].json == calls[1].json == {"note": "TESTING – DO NOT ACT"}
    assert [type(r.caused_by) for r in retries] == [RateLimited]


async def test_long_retry_after_gives_up_at_once(bm, bruin, fast_policy, retries):
    bm.get(DETAILS, status=429, headers={"Retry-After": "60"}, repeat=True)
    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        await bruin.get_ticket_details(4503)
    assert time.monotonic() - started < 1.0
    assert caught.value.retry_after == 60
    assert caught.value.retry_after > fast_policy.max_retry_after
    assert len(bm.api_calls("GET", DETAILS)) == 1
    assert retries == []
    assert caught.value.user_message() == "Bruin is rate limiting the bot; try again in 60 s."


async def test_timeout_is_not_retried_and_names_the_wait(bm, make_client):
    bm.token("tok-1")
    bm.get(DETAILS, timeout=True, repeat=True)
    bruin = make_client(timeout=2.5)
    with pytest.raises(BackendTimeout) as caught:
        await bruin.get_ticket_details(4503)
    assert "did not answer in 2.5 s" in caught.value.user_message()
    assert len(bm.api_calls("GET", DETAILS)) == 1


async def test_connection_error_on_a_get_is_retried(bm, bruin, sample):
    bm.get(DETAILS, exception=aiohttp.ServerDisconnectedError())
    bm.get(DETAILS, payload=sample("ticket_details_ok"))
    await bruin.get_ticket_details(4503)
    assert len(bm.api_calls("GET", DETAILS)) == 2


async def test_connection_error_surfaces_as_connect_error(bm, bruin, fast_policy):
    bm.get(DETAILS, exception=aiohttp.ServerDisconnectedError(), repeat=True)
    with pytest.raises(ConnectError):
        await bruin.get_ticket_details(4503)
    assert len(bm.api_calls("GET", DETAILS)) == fast_policy.attempts


async def test_connection_error_on_a_post_is_not_retried(bm, bruin):
    bm.post(NOTES, exception=aiohttp.ServerDisconnectedError(), repeat=True)
    with pytest.raises(ConnectError):
        await bruin.add_note(4503, "x")
    assert len(bm.api_calls("POST", NOTES)) == 1


# -- coalescing of identical GETs ---------------------------------------------------------


async def test_identical_concurrent_gets_share_one_request(bm, bruin, sample):
    bm.get(DETAILS, payload=sample("ticket_details_ok"), delay=0.05, repeat=True)
    results = await asyncio.gather(*(bruin.get_ticket_details(4503) for _ in range(10)))
    assert len(bm.api_calls("GET", DETAILS)) == 1
    assert all(r == results[0] for r in results)
    # Once answered, nothing is cached: the next call asks again.
    await bruin.get_ticket_details(4503)
    assert len(bm.api_calls("GET", DETAILS)) == 2


async def test_different_gets_are_not_coalesced(bm, bruin, sample):
    for n in (4503, 4504):
        bm.get(f"/api/Ticket/{n}/details", payload=sample("ticket_details_ok"), delay=0.02)
    bm.get("/api/Ticket/topics", payload=sample("ticket_topics_ok"), delay=0.02, repeat=True)
    await asyncio.gather(
        bruin.get_ticket_details(4503),
        bruin.get_ticket_details(4504),
        bruin.get_topics(service_number="VC1"),
        bruin.get_topics(service_number="VC2"),
    )
    assert len(bm.api_calls("GET", DETAILS)) == 1
    assert len(bm.api_calls("GET", "/api/Ticket/4504/details")) == 1
    topics = bm.api_calls("GET", "/api/Ticket/topics")
    assert sorted(c.param("ServiceNumber") for c in topics) == ["VC1", "VC2"]


async def test_coalesced_callers_all_get_the_error(bm, bruin):
    bm.get(DETAILS, status=404, delay=0.02, repeat=True)
    results = await asyncio.gather(
        *(bruin.get_ticket_details(4503) for _ in range(5)), return_exceptions=True
    )
    assert len(bm.api_calls("GET", DETAILS)) == 1
    assert all(isinstance(r, NotFound) for r in results)
    assert all(r.user_message() == "Ticket 4503 was not found." for r in results)


async def test_concurrent_identical_writes_are_not_coalesced(bm, bruin):
    bm.post(NOTES, body=b"", delay=0.02, repeat=True)
    await asyncio.gather(bruin.add_note(4503, "same"), bruin.add_note(4503, "same"))
    assert len(bm.api_calls("POST", NOTES)) == 2


async def test_a_cancelled_caller_does_not_cancel_the_shared_request(bm, bruin, sample):
    bm.get(DETAILS, payload=sample("ticket_details_ok"), delay=0.05)
    first = asyncio.create_task(bruin.get_ticket_details(4503))
    second = asyncio.create_task(bruin.get_ticket_details(4503))
    await asyncio.sleep(0.01)
    first.cancel()
    details = await asyncio.wait_for(second, 1.0)
    assert details.details[0].detail_id == 7390012
    assert first.cancelled()
    assert len(bm.api_calls("GET", DETAILS)) == 1
