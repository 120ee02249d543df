"""OAuth client-credentials against Bruin's identity server, as the client uses it."""

from __future__ import annotations

import asyncio
import base64

import pytest
from pydantic import SecretStr

from bot.clients.auth import OAuthClientCredentials
from bot.clients.bruin.client import BruinClient
from bot.clients.errors import (
    AuthError,
    BackendError,
    BadResponse,
    ConnectError,
    RateLimited,
    UpstreamUnavailable,
)
from bot.clients.transport import AiohttpTransport

DETAILS = "/api/Ticket/6120455/details"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_auth(session, bm, clock, **kw) -> OAuthClientCredentials:
    return OAuthClientCredentials(
        transport=AiohttpTransport(session, backend="bruin"),
        token_url=bm.token_url,
        client_id=bm.client_id,
        client_secret=SecretStr(bm.secret),
        clock=clock,
        **kw,
    )


# -- how credentials are sent ---------------------------------------------------------------


async def test_form_body_credentials_by_default(bm, bruin, sample):
    bm.get(DETAILS, payload=sample("ticket_details_ok"))
    await bruin.get_ticket_details(6120455)
    [token_call] = bm.token_calls()
    assert token_call.form == {
        "grant_type": "client_credentials",
        "scope": "public_api",
        "client_id": bm.client_id,
        "client_secret": bm.secret,
    }
    assert "Authorization" not in token_call.headers
    [api_call] = bm.api_calls("GET", DETAILS)
    assert api_call.headers["Authorization"] == "Bearer tok-1"


async def test_http_basic_when_configured(bm, make_client, sample):
    bm.token("tok-basic")
    bm.get(DETAILS, payload=sample("ticket_details_ok"))
    bruin = make_client(token_auth="basic")
    await bruin.get_ticket_details(6120455)
    [token_call] = bm.token_calls()
    expected = base64.b64encode(f"{bm.client_id}:{bm.secret}".encode()).decode()
    assert token_call.headers["Authorization"] == f"Basic {expected}"
    assert token_call.form == {"grant_type": "client_credentials", "scope": "public_api"}
    assert bm.api_calls("GET", DETAILS)[0].headers["Authorization"] == "Bearer tok-basic"


# -- caching and refresh ------------------------------------------------------------------


async def test_token_is_cached_and_reused(bm, bruin, sample):
    bm.get(DETAILS, payload=sample("ticket_details_ok"), repeat=True)
    bm.get("/api/Ticket/topics", payload=sample("ticket_topics_ok"))
    await bruin.get_ticket_details(6120455)
    await bruin.get_ticket_details(6120455)
    await bruin.get_topics(service_number="VC07700012345")
    assert len(bm.token_calls()) == 1
    assert {c.headers["Authorization"] for c in bm.api_calls()} == {"Bearer tok-1"}


async def test_token_refreshed_about_five_minutes_before_expiry(bm, session):
    clock = FakeClock()
    bm.token("tok-1", expires_in=3600)
    bm.token("tok-2", expires_in=3600)
    auth = make_auth(session, bm, clock)
    assert await auth.headers() == {"Authorization": "Bearer tok-1"}
    clock.now += 54 * 60  # 54 min: still good
    assert await auth.token() == "tok-1"
    assert len(bm.token_calls()) == 1
    clock.now += 2 * 60  # 56 min: inside the 5-minute margin -> refreshed early
    assert await auth.token() == "tok-2"
    assert len(bm.token_calls()) == 2
    assert auth.fetch_count == 2


async def test_short_lived_token_uses_a_proportional_margin(bm, session):
    clock = FakeClock()
    bm.token("tok-1", expires_in=60)
    bm.token("tok-2", expires_in=60)
    auth = make_auth(session, bm, clock)
    assert await auth.token() == "tok-1"
    clock.now += 50  # the margin is 6 s (a tenth), not 300 s
    assert await auth.token() == "tok-1"
    clock.now += 5
    assert await auth.token() == "tok-2"


async def test_100_concurrent_calls_on_a_cold_cache_fetch_one_token(
    bm, session, make_config, sample
):
    fetches: list[int] = []
    # Answers once only (a second fetch would fail loudly) and slowly, so that all 100
    # calls are waiting for it at the same time.
    bm.token("tok-1", delay=0.05)
    for n in range(100):  # 100 different paths: request coalescing cannot hide anything
        bm.get(f"/api/Ticket/{n}/details", payload=sample("ticket_details_ok"))
    bruin = BruinClient.create(session, make_config(), on_token_fetch=lambda: fetches.append(1))
    results = await asyncio.gather(*(bruin.get_ticket_details(n) for n in range(100)))
    assert len(results) == 100
    assert len(bm.token_calls()) == 1
    assert bruin.auth.fetch_count == 1
    assert fetches == [1]
    api = bm.api_calls("GET")
    assert len(api) == 100
    assert {c.path for c in api} == {f"/api/Ticket/{n}/details" for n in range(100)}
    assert {c.headers["Authorization"] for c in api} == {"Bearer tok-1"}


# -- 401 handling ---------------------------------------------------------------------------


async def test_401_refreshes_once_and_retries_once(bm, make_client, sample):
    bm.token("tok-1")
    bm.token("tok-2")
    bm.get(DETAILS, status=401)
    bm.get(DETAILS, payload=sample("ticket_details_ok"))
    bruin = make_client()
    details = await bruin.get_ticket_details(6120455)
    assert details.details[0].detail_id == 7390012
    assert len(bm.token_calls()) == 2
    sent = bm.api_calls("GET", DETAILS)
    assert [c.headers["Authorization"] for c in sent] == ["Bearer tok-1", "Bearer tok-2"]


async def test_401_on_a_write_also_refreshes_and_resends(bm, make_client, sample):
    bm.token("tok-1")
    bm.token("tok-2")
    path = "/api/Ticket/6120455/notes"
    bm.post(path, status=401)
    bm.post(path, payload=sample("note_add_ok"))
    bruin = make_client()
    note = await bruin.add_note(6120455, "TESTING – DO NOT ACT")
    assert note is not None
    assert [c.headers["Authorization"] for c in bm.api_calls("POST", path)] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]


async def test_second_401_after_refresh_is_auth_error_without_looping(bm, make_client):
    bm.token("tok-1")
    bm.token("tok-2")
    bm.get(DETAILS, status=401, repeat=True)
    bruin = make_client()
    with pytest.raises(AuthError) as caught:
        await bruin.get_ticket_details(6120455)
    assert len(bm.api_calls("GET", DETAILS)) == 2
    assert len(bm.token_calls()) == 2
    err = caught.value
    assert err.status == 401
    assert "credentials" in err.user_message()
    for text in (str(err), repr(err), err.user_message()):
        assert "tok-1" not in text
        assert "tok-2" not in text


async def test_concurrent_401s_with_the_same_token_refresh_once(bm, make_client, sample):
    bm.token("tok-1", delay=0.02)
    bm.token("tok-2", delay=0.03)
    paths = [f"/api/Ticket/{n}/details" for n in range(5)]
    for n, path in enumerate(paths):
        # All five are sent with tok-1; their 401s arrive staggered: before, during and
        # after the one refresh. A late 401 for the old token must not discard the new one.
        bm.get(path, status=401, delay=0.01 + 0.015 * n)
        bm.get(path, payload=sample("ticket_details_ok"))
    bruin = make_client()
    await asyncio.gather(*(bruin.get_ticket_details(n) for n in range(5)))
    assert len(bm.token_calls()) == 2
    for path in paths:
        assert [c.headers["Authorization"] for c in bm.api_calls("GET", path)] == [
            "Bearer tok-1",
            "Bearer tok-2",
        ]


# -- identity server failures -------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_refused_credentials_are_auth_error(bm, make_client, sample, status):
    bm.token_status(status, sample("token_invalid_client"))
    bruin = make_client()
    with pytest.raises(AuthError) as caught:
        await bruin.get_ticket_details(6120455)
    assert bm.api_calls() == []  # nothing was sent to the API
    assert len(bm.token_calls()) == 1  # refused credentials are not retried
    err = caught.value
    assert err.status == status
    assert err.operation == "fetching an access token"
    assert err.path == "/identity/connect/token"


async def test_check_token_reports_bad_credentials(bm, make_client, sample):
    bm.token_status(400, sample("token_invalid_client"))
    with pytest.raises(AuthError):
        await make_client().check_token()


@pytest.mark.parametrize(
    ("status", "payload", "cls"),
    [
        (503, None, UpstreamUnavailable),
        (429, None, RateLimited),
        (200, {"token_type": "Bearer"}, BadResponse),
        (200, {"access_token": ""}, BadResponse),
        (200, ["not", "an", "object"], BadResponse),
    ],
)
async def test_identity_server_failures(bm, session, status, payload, cls):
    bm.token_status(status, payload)
    auth = make_auth(session, bm, FakeClock())
    with pytest.raises(cls):
        await auth.token()


# -- the secret never leaks ---------------------------------------------------------------


def _assert_no_secret(bm, *objects: object) -> None:
    b64 = base64.b64encode(f"{bm.client_id}:{bm.secret}".encode()).decode()
    for obj in objects:
        texts = [repr(obj), str(obj)]
        if isinstance(obj, BackendError):
            texts += [obj.user_message(), repr(obj.args)]
        for text in texts:
            assert bm.secret not in text, text
            assert b64 not in text, text


def test_repr_of_config_client_and_auth_hide_the_secret(bm, make_config, make_client):
    config = make_config()
    client = make_client()
    _assert_no_secret(bm, config, client, client.auth, client._core, config.client_secret)


@pytest.mark.parametrize("mode", ["form", "basic"])
async def test_errors_never_contain_the_secret(bm, make_client, mode):
    errors: list[BaseException] = []
    bruin = make_client(token_auth=mode)
    # refused credentials, then a broken answer, then an outage, then no route at all
    bm.token_status(400, {"error": "invalid_client", "client_secret": bm.secret})
    bm.token_status(200, {"echo": bm.secret})
    bm.token_status(503, {"message": f"bad secret {bm.secret}"})
    for _ in range(4):
        try:
            await bruin.check_token()
        except BackendError as exc:
            errors.append(exc)
    assert [type(e) for e in errors] == [AuthError, BadResponse, UpstreamUnavailable, ConnectError]
    _assert_no_secret(bm, *errors)
    assert len(bm.token_calls()) == 4


async def test_recorded_token_answer_is_used(bm, session, sample):
    bm.token_status(200, sample("token_ok"))
    auth = make_auth(session, bm, FakeClock())
    assert await auth.headers() == {"Authorization": "Bearer tok-sample-1"}
