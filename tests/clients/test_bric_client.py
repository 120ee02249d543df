"""The Bric client against aioresponses: every route, every error shape, the token lifecycle.

Payloads are written here from docs/BRIC_API.md (plural root keys, ``link``s,
decimal strings, ``running?``), not from the client's models.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses
from pydantic import SecretStr

from bot.clients.bric import BricClient, BricConfig
from bot.clients.bric.models import ClockedTime, StopwatchTime, TimeBlock
from bot.clients.errors import (
    AuthError,
    BadResponse,
    NotFound,
    RateLimited,
    UpstreamUnavailable,
    ValidationFailed,
)
from bot.clients.retry import RetryPolicy

API = "https://api.bric.test/v1"
EMAIL = "chatops@acme.example"
PASSWORD = "pw-MARKER-5e1d0a"
COMPANY = "acme"
CONFIGURED = "cfg-MARKER-SECRET-77aa10"
CREATED = ["new-MARKER-SECRET-0001", "new-MARKER-SECRET-0002", "new-MARKER-SECRET-0003"]
DENIED = {
    "status": 401,
    "body": "HTTP Basic: Access denied.\n",
    "content_type": "text/plain",
    "headers": {"WWW-Authenticate": 'Basic realm="Application"'},
}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def link(kind: str, ident: int) -> str:
    return f"{API}/{kind}/{ident}"


def ref(kind: str, ident: int, name: str) -> dict[str, Any]:
    return {"id": ident, "link": link(kind, ident), "name": name}


def person(ident: int, first: str, last: str) -> dict[str, Any]:
    return {
        "id": ident,
        "link": link("people", ident),
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}@acme.example",
    }


STAMP = "2016-04-14T17:47:09.522-04:00"
PROJECT = {
    "id": 731000201,
    "link": link("projects", 731000201),
    "name": "Website redesign",
    "code": "NW-WEB",
    "description": "Rebuild of the public site",
    "client": ref("clients", 512000101, "Northwind Traders"),
    "project_type": ref("project_types", 540000001, "Fixed fee") | {"billable": True},
    "plans": [
        {
            "status": "active",
            "start_date": "2024-01-08",
            "billing_mode": "fixed_fee",
            "projected_revenue": "48000.00",
            "actual_revenue": "31250.50",
        }
    ],
    "project_times": [
        {
            "id": 910000401,
            "link": link("project_times", 910000401),
            "person_id": 720000101,
            "person_role_id": 611000101,
            "minutes": 240,
            "day": "2024-03-01",
        }
    ],
    "created_at": STAMP,
    "updated_at": STAMP,
}
CLIENT = {
    "id": 512000101,
    "link": link("clients", 512000101),
    "name": "Northwind Traders",
    "address": "1200 Western Ave",
    "city": "Seattle",
    "state": "WA",
    "zip": "98101",
    "country": "US",
    "phone": "206-555-0142",
    "projects": [
        {
            "id": 731000201,
            "link": link("projects", 731000201),
            "name": "Website redesign",
            "code": "NW-WEB",
            "description": "",
            "color": "#1d4f91",
            "project_type": ref("project_types", 540000001, "Fixed fee") | {"billable": True},
        }
    ],
}
PROJECT_TYPE = {
    "id": 540000003,
    "link": link("project_types", 540000003),
    "name": "Internal",
    "billable": False,
    "projects": [ref("projects", 731000207, "Internal tooling")],
}
RUNNING = {
    "id": 900000301,
    "link": link("project_times", 900000301),
    "person": person(720000101, "Priya", "Raman"),
    "project": ref("projects", 731000201, "Website redesign"),
    "person_role": ref("person_roles", 611000101, "Project Manager"),
    "day": "2024-03-04",
    "minutes": 95,
    "running?": True,
    "stopwatch_times": [
        {
            "start_time": "2024-03-04T09:00:00.000-05:00",
            "end_time": "2024-03-04T10:30:00.000-05:00",
            "minutes": 90,
            "running?": False,
        },
        {
            "start_time": "2024-03-04T11:00:00.000-05:00",
            "end_time": None,
            "minutes": 5,
            "running?": True,
        },
    ],
}
STOPPED = RUNNING | {
    "id": 900000304,
    "running?": False,
    "minutes": 60,
    "stopwatch_times": [
        {
            "start_time": "2024-03-04T08:00:00.000-05:00",
            "end_time": "2024-03-04T09:00:00.000-05:00",
            "minutes": 60,
            "running?": False,
        }
    ],
}
HOLIDAY = {
    "id": 950000501,
    "link": link("time_blocks", 950000501),
    "person": None,
    "data": {
        "event_name": "Thanksgiving",
        "start_date": "2024-11-28",
        "end_date": "2024-11-29",
        "day_config": [
            {"date": "2024-11-28", "all_day": True, "hours": "8.0"},
            {"date": "2024-11-29", "all_day": True, "hours": "8.0"},
        ],
    },
    "start_date": "2024-11-28",
    "end_date": "2024-11-29",
    "created_at": STAMP,
    "updated_at": STAMP,
}
PTO = HOLIDAY | {"id": 950000502, "person": person(720000102, "Marcus", "Bell")}
COMPANY_BODY = {
    "id": 480213377,
    "name": "Acme Creative Co.",
    "web_subdomain": "acme",
    "timezone": "America/New_York",
    "address": "200 Park Ave S",
    "city": "New York",
    "state": "NY",
    "zip": "10003",
    "country": "US",
    "billable_hours": "1560.0",
    "billing_rate": "150.00",
    "work_days": ["monday", "tuesday"],
    "week_start_day": "monday",
    "clients": [ref("clients", 512000101, "Northwind Traders")],
    "people": [person(720000101, "Priya", "Raman")],
    "person_roles": [ref("person_roles", 611000101, "Project Manager")],
    "projects": [ref("projects", 731000201, "Website redesign")],
}


def token_body(ident: int, secret: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": ident,
        "link": link("tokens", ident),
        "user": {"email": EMAIL},
        "created_at": STAMP,
        "updated_at": STAMP,
    }
    if secret is not None:
        body["secret"] = secret
    return body


class BricMock:
    """Registers Bric answers on aioresponses and reads back what was sent."""

    def __init__(self, mocked: aioresponses) -> None:
        self.m = mocked
        self.created = 0

    @staticmethod
    def pattern(path: str) -> re.Pattern[str]:
        return re.compile("^" + re.escape(API + path) + r"(\?.*)?$")

    def add(self, method: str, path: str, *, delay: float = 0.0, **kwargs: Any) -> None:
        if delay:

            async def wait(url: Any, **kw: Any) -> None:
                await asyncio.sleep(delay)

            kwargs["callback"] = wait
        self.m.add(self.pattern(path), method=method, **kwargs)

    def tokens(self, *, delay: float = 0.0) -> None:
        """``POST /tokens`` answers a fresh token each time (CREATED[0], [1], ...)."""

        async def create(url: Any, **kw: Any) -> CallbackResult:
            if delay:
                await asyncio.sleep(delay)
            secret = CREATED[self.created]
            self.created += 1
            body = {"tokens": token_body(990000000 + self.created, secret)}
            return CallbackResult(status=201, payload=body)

        self.m.post(API + "/tokens", callback=create, repeat=True)

    def calls(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        out = []
        for (meth, url), recorded in self.m.requests.items():
            if method is not None and meth.upper() != method:
                continue
            if path is not None and url.path != "/v1" + path:
                continue
            out.extend({"url": url, **rc.kwargs} for rc in recorded)
        return out

    def auth_headers(self, path: str, method: str = "GET") -> list[str]:
        return [c["headers"]["Authorization"] for c in self.calls(method, path)]


@pytest.fixture
def bric_mock(mocked: aioresponses) -> BricMock:
    return BricMock(mocked)


@pytest.fixture
def make_bric(
    session: aiohttp.ClientSession, fast_policy: RetryPolicy
) -> Callable[..., BricClient]:
    base = BricConfig(
        api_url=API,
        email=EMAIL,
        password=SecretStr(PASSWORD),
        company=COMPANY,
        timeout=5.0,
        retry=fast_policy,
    )

    def make(**overrides: Any) -> BricClient:
        return BricClient.create(session, replace(base, **overrides))

    return make


@pytest.fixture
def bric(bric_mock: BricMock, make_bric: Callable[..., BricClient]) -> BricClient:
    """A client on a configured secret (no token creation unless a test asks for it)."""
    return make_bric(token_secret=SecretStr(CONFIGURED), password=None, company=None)


# -- every route: request shape in, typed result out -----------------------------------------


async def test_list_projects_sends_filters_and_the_secret_as_basic(bric_mock, bric):
    bric_mock.add("GET", "/projects", payload={"projects": [PROJECT]})
    [project] = await bric.list_projects(client_id=512000101, project_type_id=540000001)
    [call] = bric_mock.calls("GET", "/projects")
    assert dict(call["url"].query) == {"client_id": "512000101", "project_type_id": "540000001"}
    assert call["headers"]["Authorization"] == basic(EMAIL, CONFIGURED)
    assert call["headers"]["Accept"] == "application/json"
    assert "Company" not in call["headers"]
    assert project.client is not None
    assert project.client.name == "Northwind Traders"
    assert project.project_type is not None
    assert project.project_type.billable is True
    assert project.plans[0].actual_revenue == Decimal("31250.50")
    assert project.status == "active"
    assert project.logged_minutes == 240
    assert project.created_at == dt.datetime(
        2016, 4, 14, 17, 47, 9, 522000, tzinfo=dt.timezone(dt.timedelta(hours=-4))
    )


async def test_list_projects_without_filters_sends_no_query(bric_mock, bric):
    bric_mock.add("GET", "/projects", payload={"projects": []})
    assert await bric.list_projects() == []
    [call] = bric_mock.calls("GET", "/projects")
    assert not call["url"].query


async def test_list_clients_parses_nested_projects(bric_mock, bric):
    bric_mock.add("GET", "/clients", payload={"clients": [CLIENT]})
    [client] = await bric.list_clients()
    assert client.place() == "Seattle, WA"
    assert client.projects[0].project_type is not None
    assert client.projects[0].project_type.name == "Fixed fee"


async def test_list_project_types(bric_mock, bric):
    bric_mock.add("GET", "/project_types", payload={"project_types": [PROJECT_TYPE]})
    [ptype] = await bric.list_project_types()
    assert ptype.billable is False
    assert [p.name for p in ptype.projects] == ["Internal tooling"]


async def test_list_clocked_times_reads_running_question_mark(bric_mock, bric):
    bric_mock.add("GET", "/clocked_times", payload={"clocked_times": [RUNNING, STOPPED]})
    running, stopped = await bric.list_clocked_times(person_id=720000101, project_id=731000201)
    [call] = bric_mock.calls("GET", "/clocked_times")
    assert dict(call["url"].query) == {"person_id": "720000101", "project_id": "731000201"}
    assert running.running is True
    assert stopped.running is False
    assert [s.running for s in running.stopwatch_times] == [False, True]
    assert running.person is not None
    assert running.person.full_name == "Priya Raman"
    now = dt.datetime(2024, 3, 4, 11, 42, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert running.elapsed_minutes(now) == 90 + 42
    assert running.started_at == dt.datetime(
        2024, 3, 4, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))
    )
    assert stopped.elapsed_minutes(now) == 60
    assert stopped.started_at is None


async def test_list_time_blocks_company_wide_and_personal(bric_mock, bric):
    bric_mock.add("GET", "/time_blocks", payload={"time_blocks": [HOLIDAY, PTO]})
    holiday, pto = await bric.list_time_blocks()
    assert holiday.company_wide
    assert not pto.company_wide
    assert holiday.event_name == "Thanksgiving"
    assert (holiday.first_day, holiday.last_day) == (dt.date(2024, 11, 28), dt.date(2024, 11, 29))
    assert holiday.data is not None
    assert holiday.data.day_config[0].hours == Decimal("8.0")


async def test_create_time_block_posts_flat_fields_and_reads_the_envelope(bric_mock, bric):
    bric_mock.add("POST", "/time_blocks", status=201, payload={"time_blocks": HOLIDAY})
    block = await bric.create_time_block(
        start_date=dt.date(2024, 11, 28), end_date=dt.date(2024, 11, 29), event_name="Thanksgiving"
    )
    [call] = bric_mock.calls("POST", "/time_blocks")
    assert call["json"] == {
        "start_date": "2024-11-28",
        "end_date": "2024-11-29",
        "event_name": "Thanksgiving",
    }
    assert block.id == 950000501


async def test_create_time_block_without_end_date_omits_it(bric_mock, bric):
    bric_mock.add("POST", "/time_blocks", status=201, payload={"time_blocks": [HOLIDAY]})
    await bric.create_time_block(start_date=dt.date(2024, 12, 24), event_name="Eve")
    [call] = bric_mock.calls("POST", "/time_blocks")
    assert call["json"] == {"start_date": "2024-12-24", "event_name": "Eve"}


async def test_get_company_by_subdomain(bric_mock, make_bric):
    bric_mock.add("GET", "/companies/acme", payload={"companies": COMPANY_BODY})
    bric = make_bric(token_secret=SecretStr(CONFIGURED))
    company = await bric.get_company()
    assert company.web_subdomain == "acme"
    assert company.billing_rate == Decimal("150.00")
    assert company.people[0].full_name == "Priya Raman"
    assert company.work_days == ["monday", "tuesday"]


async def test_create_token_uses_password_and_company_and_hides_the_secret(bric_mock, session):
    seen: list[str] = []
    bric_mock.tokens()
    bric = BricClient.create(
        session,
        BricConfig(api_url=API, email=EMAIL, password=SecretStr(PASSWORD), company=COMPANY),
        on_secret=seen.append,
    )
    token = await bric.create_token()
    [call] = bric_mock.calls("POST", "/tokens")
    assert call["headers"]["Authorization"] == basic(EMAIL, PASSWORD)
    assert call["headers"]["Company"] == COMPANY
    assert token.secret is not None
    assert token.secret.get_secret_value() == CREATED[0]
    assert seen == [CREATED[0]]
    assert CREATED[0] not in repr(token) + str(token) + repr(bric) + repr(bric.auth)
    # An operator's token is not the client's own: closing revokes nothing.
    await bric.aclose()
    assert bric_mock.calls("DELETE") == []


async def test_list_and_revoke_tokens(bric_mock, bric):
    bric_mock.add("GET", "/tokens", payload={"tokens": [token_body(880000001, None)]})
    bric_mock.add("DELETE", "/tokens/880000001", payload={"tokens": token_body(880000001, None)})
    [listed] = await bric.list_tokens()
    assert listed.id == 880000001
    assert listed.secret is None
    revoked = await bric.revoke_token(token_id=880000001)
    assert revoked is not None
    assert revoked.id == 880000001


# -- errors -----------------------------------------------------------------------------------


async def test_plain_text_401_is_an_auth_error_after_one_resend(bric_mock, bric):
    bric_mock.add("GET", "/clients", repeat=True, **DENIED)
    with pytest.raises(AuthError) as caught:
        await bric.list_clients()
    assert len(bric_mock.calls("GET", "/clients")) == 2  # the one resend, then give up
    assert bric_mock.calls("POST", "/tokens") == []  # a secret alone cannot make a token
    assert caught.value.status == 401
    assert "credentials" in caught.value.user_message()
    assert CONFIGURED not in str(caught.value) + repr(caught.value)


async def test_422_errors_become_field_messages_and_are_not_retried(bric_mock, bric, retries):
    errors = {"errors": {"start_date": ["can't be blank"], "event_name": ["is too long"]}}
    bric_mock.add("POST", "/time_blocks", status=422, payload=errors)
    with pytest.raises(ValidationFailed) as caught:
        await bric.create_time_block(start_date=dt.date(2024, 1, 1), event_name="x")
    assert caught.value.fields == {
        "start_date": ["can't be blank"],
        "event_name": ["is too long"],
    }
    assert "start_date: can't be blank" in caught.value.user_message()
    assert len(bric_mock.calls("POST", "/time_blocks")) == 1
    assert retries == []


async def test_404_is_not_found_with_a_clear_message(bric_mock, bric):
    body = {"error": "Couldn't find Token with 'id'=5"}
    bric_mock.add("DELETE", "/tokens/5", status=404, payload=body)
    with pytest.raises(NotFound) as caught:
        await bric.revoke_token(token_id=5)
    assert caught.value.user_message() == "Bric token 5 was not found."


async def test_404_on_a_list_points_at_the_api_url(bric_mock, bric):
    bric_mock.add("GET", "/project_types", status=404, body="Not Found", content_type="text/plain")
    with pytest.raises(NotFound, match="BRIC_API_URL"):
        await bric.list_project_types()


async def test_429_retry_after_is_honoured_then_succeeds(bric_mock, bric, retries):
    bric_mock.add(
        "GET", "/clients", status=429, body="Retry later\n", headers={"Retry-After": "0.05"}
    )
    bric_mock.add("GET", "/clients", payload={"clients": [CLIENT]})
    assert len(await bric.list_clients()) == 1
    [retry] = retries
    assert isinstance(retry.caused_by, RateLimited)
    assert retry.wait_for == pytest.approx(0.05)


async def test_429_on_a_write_is_retried_because_nothing_was_written(bric_mock, bric, retries):
    bric_mock.add("POST", "/time_blocks", status=429, headers={"Retry-After": "0"})
    bric_mock.add("POST", "/time_blocks", status=201, payload={"time_blocks": HOLIDAY})
    await bric.create_time_block(start_date=dt.date(2024, 11, 28), event_name="Thanksgiving")
    assert len(bric_mock.calls("POST", "/time_blocks")) == 2
    assert len(retries) == 1


async def test_500_is_upstream_unavailable_without_json(bric_mock, bric):
    bric_mock.add(
        "GET", "/projects", status=500, body="<html><h1>We're sorry</h1></html>",
        content_type="text/html",
    )  # fmt: skip
    with pytest.raises(UpstreamUnavailable) as caught:
        await bric.list_projects()
    assert caught.value.status == 500
    assert "html" not in caught.value.user_message()


async def test_503_on_a_write_is_not_retried(bric_mock, bric, retries):
    bric_mock.add("POST", "/time_blocks", status=503)
    with pytest.raises(UpstreamUnavailable):
        await bric.create_time_block(start_date=dt.date(2024, 11, 28), event_name="x")
    assert len(bric_mock.calls("POST", "/time_blocks")) == 1
    assert retries == []


async def test_malformed_json_is_a_bad_response(bric_mock, bric):
    bric_mock.add("GET", "/clocked_times", body='{"clocked_times": [{"id": 9', status=200)
    with pytest.raises(BadResponse):
        await bric.list_clocked_times()


async def test_a_missing_root_key_is_a_bad_response(bric_mock, bric):
    bric_mock.add("GET", "/clients", payload={"client": []})
    with pytest.raises(BadResponse):
        await bric.list_clients()


async def test_a_record_of_the_wrong_shape_is_a_bad_response(bric_mock, bric):
    bric_mock.add("GET", "/time_blocks", payload={"time_blocks": [{"name": "no id"}]})
    with pytest.raises(BadResponse):
        await bric.list_time_blocks()


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("GET", "/time_blocks", lambda b: b.list_time_blocks()),
        (
            "POST",
            "/time_blocks",
            lambda b: b.create_time_block(start_date=dt.date(2024, 1, 1), event_name="x"),
        ),
        ("DELETE", "/tokens/5", lambda b: b.revoke_token(token_id=5)),
    ],
)
async def test_a_bad_answer_names_the_real_method(bric_mock, bric, method, path, call):
    key = path.split("/")[1]
    bric_mock.add(method, path, payload={key: [{"name": "no id"}]})
    with pytest.raises(BadResponse) as caught:
        await call(bric)
    assert (caught.value.method, caught.value.path) == (method, path)


# -- the token lifecycle --------------------------------------------------------------------


async def test_cold_start_creates_exactly_one_token_and_reuses_it(bric_mock, make_bric):
    bric_mock.tokens()
    bric_mock.add("GET", "/clients", payload={"clients": []}, repeat=True)
    bric = make_bric()
    await bric.list_clients()
    await bric.list_clients()
    assert len(bric_mock.calls("POST", "/tokens")) == 1
    assert bric_mock.auth_headers("/clients") == [basic(EMAIL, CREATED[0])] * 2


async def test_fifty_concurrent_calls_share_one_created_token(bric_mock, make_bric):
    bric_mock.tokens(delay=0.05)
    bric_mock.add("GET", "/clocked_times", payload={"clocked_times": []}, repeat=True)
    bric = make_bric()
    await asyncio.gather(*(bric.list_clocked_times(person_id=i) for i in range(50)))
    assert len(bric_mock.calls("POST", "/tokens")) == 1
    headers = bric_mock.auth_headers("/clocked_times")
    assert len(headers) == 50
    assert set(headers) == {basic(EMAIL, CREATED[0])}


def _refuse(secret: str, payload: dict[str, Any]) -> Callable[..., CallbackResult]:
    """401 for calls made with ``secret``, ``payload`` for any other token."""

    async def answer(url: Any, **kw: Any) -> CallbackResult:
        await asyncio.sleep(0.02)
        if kw["headers"]["Authorization"] == basic(EMAIL, secret):
            return CallbackResult(**DENIED)
        return CallbackResult(payload=payload)

    return answer


async def test_401_creates_exactly_one_new_token_however_many_calls_saw_it(bric_mock, make_bric):
    bric_mock.tokens(delay=0.02)
    bric_mock.add("GET", "/clients", payload={"clients": []})  # the first token works once
    bric_mock.add(
        "GET", "/clocked_times", callback=_refuse(CREATED[0], {"clocked_times": []}), repeat=True
    )
    bric = make_bric()
    await bric.list_clients()
    await asyncio.gather(*(bric.list_clocked_times(person_id=i) for i in range(20)))
    assert len(bric_mock.calls("POST", "/tokens")) == 2
    sent = bric_mock.auth_headers("/clocked_times")
    # each call: once with the refused token, once more with the single replacement
    assert sent.count(basic(EMAIL, CREATED[0])) == 20
    assert sent.count(basic(EMAIL, CREATED[1])) == 20
    assert bric.auth.owned_token_id == 990000002


async def test_a_late_401_for_an_old_token_keeps_its_working_replacement(bric_mock, make_bric):
    async def answer(url: Any, **kw: Any) -> CallbackResult:
        # person 2's answer comes long after person 1's call was refused and resent
        await asyncio.sleep(0.3 if url.query["person_id"] == "2" else 0.01)
        if kw["headers"]["Authorization"] == basic(EMAIL, CREATED[0]):
            return CallbackResult(**DENIED)
        return CallbackResult(payload={"clocked_times": []})

    bric_mock.tokens()
    bric_mock.add("GET", "/clients", payload={"clients": []})
    bric_mock.add("GET", "/clocked_times", callback=answer, repeat=True)
    bric = make_bric()
    await bric.list_clients()
    await asyncio.gather(bric.list_clocked_times(person_id=1), bric.list_clocked_times(person_id=2))
    assert len(bric_mock.calls("POST", "/tokens")) == 2  # not a third for the late 401


async def test_a_new_token_refused_at_once_is_not_replaced(bric_mock, make_bric):
    # Wrong BRIC_TOKEN_AUTH or a broken account: every new token would be refused too.
    bric_mock.tokens()
    bric_mock.add("GET", "/clients", repeat=True, **DENIED)
    bric = make_bric()
    with pytest.raises(AuthError):
        await bric.list_clients()
    with pytest.raises(AuthError):
        await bric.list_clients()
    assert len(bric_mock.calls("POST", "/tokens")) == 1


async def test_configured_secret_is_used_first_and_never_revoked(bric_mock, make_bric):
    bric_mock.add("GET", "/clients", payload={"clients": []})
    bric = make_bric(token_secret=SecretStr(CONFIGURED))
    await bric.list_clients()
    await bric.aclose()
    assert bric_mock.calls("POST", "/tokens") == []
    assert bric_mock.calls("DELETE") == []


async def test_refused_configured_secret_falls_back_to_one_created_token(bric_mock, make_bric):
    bric_mock.tokens()
    bric_mock.add("GET", "/clients", callback=_refuse(CONFIGURED, {"clients": []}), repeat=True)
    bric_mock.add("DELETE", "/tokens/990000001", payload={"tokens": token_body(990000001, None)})
    bric = make_bric(token_secret=SecretStr(CONFIGURED))
    await bric.list_clients()
    assert bric_mock.auth_headers("/clients") == [
        basic(EMAIL, CONFIGURED),
        basic(EMAIL, CREATED[0]),
    ]
    await bric.aclose()
    [revoke] = bric_mock.calls("DELETE")
    assert revoke["url"].path == "/v1/tokens/990000001"  # the created one, not the configured


async def test_created_token_is_revoked_on_shutdown_with_itself(bric_mock, make_bric):
    bric_mock.tokens()
    bric_mock.add("GET", "/clients", payload={"clients": []})
    bric_mock.add("DELETE", "/tokens/990000001", payload={"tokens": token_body(990000001, None)})
    bric = make_bric()
    await bric.aclose()  # nothing created yet: nothing to revoke
    assert bric_mock.calls("DELETE") == []
    await bric.list_clients()
    await bric.aclose()
    [revoke] = bric_mock.calls("DELETE", "/tokens/990000001")
    assert revoke["headers"]["Authorization"] == basic(EMAIL, CREATED[0])
    await bric.aclose()  # idempotent
    assert len(bric_mock.calls("DELETE")) == 1


async def test_a_refused_revoke_on_shutdown_creates_nothing_and_does_not_raise(
    bric_mock, make_bric
):
    bric_mock.tokens()
    bric_mock.add("GET", "/clients", payload={"clients": []})
    bric_mock.add("DELETE", "/tokens/990000001", **DENIED)
    bric = make_bric()
    await bric.list_clients()
    await bric.aclose()
    assert len(bric_mock.calls("POST", "/tokens")) == 1


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("email", basic(EMAIL, CONFIGURED)), ("secret", basic(CONFIGURED, ""))],
)
async def test_both_token_auth_forms(bric_mock, make_bric, mode, expected):
    bric_mock.add("GET", "/clients", payload={"clients": []})
    bric = make_bric(token_secret=SecretStr(CONFIGURED), token_auth=mode)
    await bric.list_clients()
    assert bric_mock.auth_headers("/clients") == [expected]


async def test_token_creation_refused_is_an_auth_error_naming_the_operation(bric_mock, make_bric):
    bric_mock.m.post(API + "/tokens", **DENIED)
    bric = make_bric()
    with pytest.raises(AuthError) as caught:
        await bric.list_clients()
    assert caught.value.operation == "creating a Bric token"
    assert bric_mock.calls("GET") == []
    assert PASSWORD not in str(caught.value) + repr(caught.value)


async def test_config_without_a_way_to_authenticate_is_refused(session) -> None:
    with pytest.raises(ValueError, match="token secret"):
        BricClient.create(session, BricConfig(api_url=API, email=EMAIL, password=SecretStr("x")))
    with pytest.raises(ValueError, match="email"):
        BricClient.create(session, BricConfig(api_url=API, email=None, token_secret=SecretStr("s")))


# -- models -----------------------------------------------------------------------------------


def test_running_alias_and_population_by_name() -> None:
    by_alias = ClockedTime.model_validate({"id": 1, "running?": True})
    by_name = ClockedTime(id=1, running=True)
    assert by_alias.running is by_name.running is True
    assert ClockedTime.model_validate({"id": 1}).running is False
    assert json.loads(by_name.model_dump_json(by_alias=True))["running?"] is True
    span = StopwatchTime.model_validate({"running?": True, "start_time": None})
    assert span.running


def test_unknown_keys_are_ignored_and_blank_dates_are_none() -> None:
    block = TimeBlock.model_validate(
        {"id": 7, "start_date": "2024-01-02", "end_date": "", "surprise": {"x": 1}}
    )
    assert block.end_date is None
    assert block.last_day == dt.date(2024, 1, 2)


@pytest.mark.parametrize("status", [502, 503])
async def test_a_failed_token_creation_is_not_retried_so_no_extra_tokens_appear(
    bric_mock, make_bric, status
):
    bric_mock.add("POST", "/tokens", status=status)
    bric_mock.add("GET", "/clients", payload={"clients": []}, repeat=True)
    bric = make_bric()
    with pytest.raises(UpstreamUnavailable) as caught:
        await bric.list_clients()
    assert len(bric_mock.calls("POST", "/tokens")) == 1  # not retried by the read's policy
    assert bric_mock.calls("GET", "/clients") == []
    assert "Bric is unavailable" in caught.value.user_message()
