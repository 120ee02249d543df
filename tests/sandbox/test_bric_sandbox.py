"""The Bric sandbox over real loopback TCP, checked against the reference's conventions.

Key names below are copied from docs/BRIC_API.md, not from any client model.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox import (
    BRIC_COMPANY,
    BRIC_EMAIL,
    BRIC_PASSWORD,
    BRIC_ROUTES,
    BRIC_TOKEN_SECRET,
    BricSandbox,
    Fault,
    RunningSandbox,
    env_lines,
    start_sandbox,
)

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONEY = re.compile(r"^\d+\.\d+$")
COMPACT = {"id", "link", "name"}
PERSON = {"id", "link", "first_name", "last_name", "email"}
TOKEN_KEYS = {"id", "link", "secret", "user", "created_at", "updated_at"}
DENIED_BODY = "HTTP Basic: Access denied.\n"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass
class Bric:
    http: aiohttp.ClientSession
    sandbox: RunningSandbox
    auth: str = basic(BRIC_EMAIL, BRIC_TOKEN_SECRET)

    @property
    def api(self) -> str:
        return self.sandbox.url + "/bric/v1"

    @property
    def fake(self) -> BricSandbox:
        return self.sandbox.bric

    async def call(
        self, method: str, path: str, *, auth: str | None = None, **kw: Any
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        headers = dict(kw.pop("headers", {}))
        headers.setdefault("Authorization", auth or self.auth)
        async with self.http.request(method, self.api + path, headers=headers, **kw) as resp:
            if resp.content_type == "application/json":
                body: Any = await resp.json()
            else:
                body = await resp.text()
            return resp.status, body, resp

    async def ok(self, path: str, **kw: Any) -> Any:
        status, body, _ = await self.call("GET", path, **kw)
        assert status == 200, body
        return body

    async def create_token(self, **headers: str) -> tuple[int, Any, aiohttp.ClientResponse]:
        all_headers = {"Authorization": basic(BRIC_EMAIL, BRIC_PASSWORD), "Company": BRIC_COMPANY}
        all_headers.update(headers)
        return await self.call("POST", "/tokens", headers=all_headers)

    def assert_object(self, obj: dict[str, Any], kind: str) -> None:
        assert isinstance(obj["id"], int)
        assert 9 <= len(str(obj["id"])) <= 10
        assert obj["link"] == f"{self.api}/{kind}/{obj['id']}"


@pytest.fixture
async def running() -> AsyncIterator[RunningSandbox]:
    sandbox = await start_sandbox(port=0)
    try:
        yield sandbox
    finally:
        await sandbox.stop()


@pytest.fixture
async def bric(running: RunningSandbox) -> AsyncIterator[Bric]:
    async with aiohttp.ClientSession() as http:
        yield Bric(http, running)


# --------------------------------------------------------------------------- wiring


def test_env_lines_with_bric_name_the_service_account() -> None:
    lines = env_lines("http://127.0.0.1:8400", bric=True)
    assert lines[:2] == [
        "BRUIN_IDENTITY_URL=http://127.0.0.1:8400",
        "BRUIN_API_URL=http://127.0.0.1:8400",
    ]
    assert lines[-4:] == [
        "BRIC_API_URL=http://127.0.0.1:8400/bric/v1",
        "BRIC_EMAIL=chatops@acme.example",
        "BRIC_PASSWORD=sandbox-password",
        "BRIC_COMPANY=acme",
    ]


async def test_bric_and_bruin_share_one_port(bric: Bric) -> None:
    assert bric.sandbox.bric_url == bric.api
    await bric.ok("/clients")
    async with bric.http.post(
        bric.sandbox.url + "/identity/connect/token",
        data={"grant_type": "client_credentials", "client_id": "sandbox-client",
              "client_secret": "sandbox-secret"},
    ) as resp:  # fmt: skip
        assert resp.status == 200
    assert bric.fake.call_count("clients") == 1
    assert not any(c.route == "clients" for c in bric.sandbox.bruin.calls)


# --------------------------------------------------------------------------- conventions


async def test_projects_follow_the_conventions(bric: Bric) -> None:
    body = await bric.ok("/projects")
    assert set(body) == {"projects"}
    projects = body["projects"]
    assert len(projects) >= 6
    assert len({p["project_type"]["id"] for p in projects}) in (2, 3)
    for p in projects:
        bric.assert_object(p, "projects")
        assert ISO_MS.match(p["created_at"])
        assert ISO_MS.match(p["updated_at"])
        assert p["client"] is None or set(p["client"]) == COMPACT
        assert set(p["project_type"]) == COMPACT | {"billable"}
        for plan in p["plans"]:
            assert DAY.match(plan["start_date"])
            assert MONEY.match(plan["projected_revenue"])
            assert MONEY.match(plan["actual_revenue"])
        for t in p["project_times"]:
            assert set(t) == {"id", "link", "person_id", "person_role_id", "minutes", "day"}
            bric.assert_object(t, "project_times")


async def test_one_object_keeps_the_plural_root_key_and_its_link_resolves(bric: Bric) -> None:
    first = (await bric.ok("/projects"))["projects"][0]
    one = await bric.ok(first["link"].removeprefix(bric.api))
    assert set(one) == {"projects"}
    assert one["projects"]["id"] == first["id"]
    status, body, _ = await bric.call("GET", "/projects/123456789")
    assert status == 404
    assert body == {"error": "Couldn't find Project with 'id'=123456789"}


async def test_project_filters(bric: Bric) -> None:
    northwind = await bric.ok("/projects", params={"client_id": "512000101"})
    assert {p["client"]["name"] for p in northwind["projects"]} == {"Northwind Traders"}
    internal = await bric.ok("/projects", params={"project_type_id": "540000003"})
    assert [p["name"] for p in internal["projects"]] == ["Internal tooling"]
    status, body, _ = await bric.call("GET", "/projects", params={"client_id": "abc"})
    assert (status, body) == (422, {"errors": {"client_id": ["is not a number"]}})


async def test_clients_nest_their_projects(bric: Bric) -> None:
    clients = (await bric.ok("/clients"))["clients"]
    assert len(clients) >= 3
    for c in clients:
        bric.assert_object(c, "clients")
        assert {"address", "city", "state", "zip", "country", "phone"} <= set(c)
        for p in c["projects"]:
            assert set(p) == {"id", "link", "name", "code", "description", "color", "project_type"}
            assert set(p["project_type"]) == COMPACT | {"billable"}
    assert "Harbor & Vine" in {c["name"] for c in clients}


async def test_project_types(bric: Bric) -> None:
    types = (await bric.ok("/project_types"))["project_types"]
    assert {t["name"] for t in types} == {"Fixed fee", "Retainer", "Internal"}
    for t in types:
        bric.assert_object(t, "project_types")
        assert isinstance(t["billable"], bool)
        assert all(set(p) == COMPACT for p in t["projects"])


async def test_clocked_times_have_running_and_stopped_timers(bric: Bric) -> None:
    timers = (await bric.ok("/clocked_times"))["clocked_times"]
    running = [t for t in timers if t["running?"] is True]
    stopped = [t for t in timers if t["running?"] is False]
    assert len(running) >= 3
    assert len(stopped) >= 2
    assert len({t["person"]["id"] for t in timers}) >= 5
    for t in timers:
        bric.assert_object(t, "project_times")
        assert set(t["person"]) == PERSON
        assert set(t["project"]) == COMPACT
        assert set(t["person_role"]) == COMPACT
        assert DAY.match(t["day"])
        assert t["minutes"] == sum(s["minutes"] for s in t["stopwatch_times"])
        for s in t["stopwatch_times"]:
            assert set(s) == {"start_time", "end_time", "minutes", "running?"}
            assert ISO_MS.match(s["start_time"])
            assert (s["end_time"] is None) is s["running?"]
    for t in running:
        assert any(s["running?"] for s in t["stopwatch_times"])
    one = await bric.ok(running[0]["link"].removeprefix(bric.api))
    assert one["project_times"]["running?"] is True


async def test_clocked_time_filters(bric: Bric) -> None:
    mine = await bric.ok("/clocked_times", params={"person_id": "720000103"})
    assert {t["person"]["first_name"] for t in mine["clocked_times"]} == {"Lena"}
    on = await bric.ok("/clocked_times", params={"project_id": "731000201"})
    assert {t["project"]["name"] for t in on["clocked_times"]} == {"Website redesign"}


async def test_time_blocks_hold_holidays_and_personal_time_off(bric: Bric) -> None:
    blocks = (await bric.ok("/time_blocks"))["time_blocks"]
    company = [b for b in blocks if b["person"] is None]
    personal = [b for b in blocks if b["person"] is not None]
    assert len(company) >= 3
    assert personal
    for b in blocks:
        bric.assert_object(b, "time_blocks")
        assert set(b["data"]) == {"event_name", "start_date", "end_date", "day_config"}
        assert DAY.match(b["start_date"])
        assert b["end_date"] is None or DAY.match(b["end_date"])
        assert b["person"] is None or set(b["person"]) == PERSON
        assert all(set(d) == {"date", "all_day", "hours"} for d in b["data"]["day_config"])
    assert {"Thanksgiving", "New Year's Day"} <= {b["data"]["event_name"] for b in company}


async def test_company_by_subdomain(bric: Bric) -> None:
    company = (await bric.ok("/companies/acme"))["companies"]
    assert company["web_subdomain"] == "acme"
    assert MONEY.match(company["billing_rate"])
    assert all(set(p) == PERSON for p in company["people"])
    assert all(set(c) == COMPACT for c in company["clients"])
    assert company["link"] == f"{bric.api}/companies/acme"
    status, _, _ = await bric.call("GET", "/companies/globex")
    assert status == 404


# --------------------------------------------------------------------------- auth


async def test_token_created_with_email_password_and_company(bric: Bric) -> None:
    status, body, _ = await bric.create_token()
    assert status == 201
    token = body["tokens"]
    assert set(token) == TOKEN_KEYS
    assert token["user"] == {"email": BRIC_EMAIL}
    bric.assert_object(token, "tokens")
    assert ISO_MS.match(token["created_at"])
    # both Basic forms of the new secret work; no Company header needed
    for auth in (basic(BRIC_EMAIL, token["secret"]), basic(token["secret"], "")):
        await bric.ok("/clients", auth=auth)


@pytest.mark.parametrize(
    "headers",
    [
        {"Company": ""},
        {"Company": "globex"},
        {"Authorization": basic(BRIC_EMAIL, "wrong")},
        {"Authorization": basic("someone@acme.example", BRIC_PASSWORD)},
        {"Authorization": basic(BRIC_EMAIL, BRIC_TOKEN_SECRET)},  # a secret is not a password
    ],
)
async def test_token_creation_refusals_are_plain_text_401s(
    bric: Bric, headers: dict[str, str]
) -> None:
    status, body, resp = await bric.create_token(**headers)
    assert status == 401
    assert body == DENIED_BODY
    assert resp.content_type == "text/plain"
    assert resp.headers["WWW-Authenticate"] == 'Basic realm="Application"'


@pytest.mark.parametrize(
    "auth",
    [
        basic(BRIC_EMAIL, BRIC_PASSWORD),  # the password only opens POST /tokens
        basic("other@acme.example", BRIC_TOKEN_SECRET),
        basic(BRIC_EMAIL, ""),
        f"Bearer {BRIC_TOKEN_SECRET}",
        "Basic !!!not-base64",
        "",
    ],
)
async def test_anything_but_a_live_secret_is_refused(bric: Bric, auth: str) -> None:
    status, body, resp = await bric.call("GET", "/projects", auth=auth or " ")
    assert (status, body) == (401, DENIED_BODY)
    assert resp.headers["WWW-Authenticate"] == 'Basic realm="Application"'


async def test_tokens_list_and_revoke(bric: Bric) -> None:
    _, created, _ = await bric.create_token()
    token = created["tokens"]
    listed = (await bric.ok("/tokens"))["tokens"]
    assert {t["id"] for t in listed} == set(bric.fake.token_ids())
    assert all(set(t) == TOKEN_KEYS for t in listed)
    status, body, _ = await bric.call("DELETE", f"/tokens/{token['id']}")
    assert status == 200
    assert body["tokens"]["id"] == token["id"]
    status, text, _ = await bric.call("GET", "/clients", auth=basic(token["secret"], ""))
    assert (status, text) == (401, DENIED_BODY)
    status, body, _ = await bric.call("DELETE", f"/tokens/{token['id']}")
    assert status == 404
    assert "error" in body


# --------------------------------------------------------------------------- writes


async def test_time_block_create_and_read_back(bric: Bric) -> None:
    payload = {"start_date": "2031-02-03", "end_date": "2031-02-04", "event_name": "Move day"}
    status, body, _ = await bric.call("POST", "/time_blocks", json=payload)
    assert status == 201
    block = body["time_blocks"]
    bric.assert_object(block, "time_blocks")
    assert block["person"] is None
    assert block["data"]["event_name"] == "Move day"
    assert [d["date"] for d in block["data"]["day_config"]] == ["2031-02-03", "2031-02-04"]
    assert bric.fake.payloads("time_blocks.create") == [payload]
    listed = (await bric.ok("/time_blocks"))["time_blocks"]
    assert block["id"] in {b["id"] for b in listed}
    wrapped = {"time_block": {"start_date": "2031-03-01", "event_name": "Wrapped"}}
    status, body, _ = await bric.call("POST", "/time_blocks", json=wrapped)
    assert (status, body["time_blocks"]["end_date"]) == (201, None)


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"start_date": "2031-02-03"}, {"event_name": ["can't be blank"]}),
        ({"event_name": "x"}, {"start_date": ["can't be blank"]}),
        ({"event_name": "x", "start_date": "2031-13-01"}, {"start_date": ["is not a valid date"]}),
        (
            {"event_name": "x", "start_date": "2031-02-03", "end_date": "2031-02-01"},
            {"end_date": ["must be on or after the start date"]},
        ),
    ],
)
async def test_time_block_validation_is_422_with_fields(
    bric: Bric, payload: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    before = len(bric.fake.state.time_blocks)
    status, body, _ = await bric.call("POST", "/time_blocks", json=payload)
    assert (status, body) == (422, {"errors": errors})
    assert len(bric.fake.state.time_blocks) == before


async def test_time_blocks_survive_in_a_state_file(tmp_path: Path) -> None:
    state = tmp_path / "bric.json"
    async with await start_sandbox(bric_state_file=state) as first, aiohttp.ClientSession() as http:
        api = Bric(http, first)
        status, body, _ = await api.call(
            "POST", "/time_blocks", json={"start_date": "2031-05-01", "event_name": "Kept"}
        )
        assert status == 201
    again = BricSandbox(state_file=state)
    assert again.time_block(body["time_blocks"]["id"])["event_name"] == "Kept"


# --------------------------------------------------------------------------- faults


async def test_fault_routes_and_star_spares_token_creation(bric: Bric) -> None:
    assert set(bric.fake.faults.routes) == set(BRIC_ROUTES)
    bric.fake.faults.set("*", Fault(status=500))
    status, _, _ = await bric.create_token()
    assert status == 201
    status, _, resp = await bric.call("GET", "/clients")
    assert status == 500
    assert resp.content_type == "text/plain"


async def test_429_with_retry_after_then_normal(bric: Bric) -> None:
    bric.fake.faults.set("projects", Fault(status=429, retry_after=7, times=1))
    status, text, resp = await bric.call("GET", "/projects")
    assert (status, resp.headers["Retry-After"]) == (429, "7")
    assert isinstance(text, str)
    await bric.ok("/projects")


async def test_malformed_and_401_faults(bric: Bric) -> None:
    bric.fake.faults.set("projects", Fault(malformed=True, times=1))
    async with bric.http.get(bric.api + "/projects", headers={"Authorization": bric.auth}) as r:
        assert r.status == 200
        with pytest.raises(ValueError):  # noqa: PT011 - any JSON decode error
            await r.json()
    bric.fake.faults.set("time_blocks.list", Fault(status=401, times=1))
    status, text, _ = await bric.call("GET", "/time_blocks")
    assert (status, text) == (401, DENIED_BODY)


async def test_control_endpoints_live_under_sandbox_bric(bric: Bric) -> None:
    control = bric.sandbox.url + "/_sandbox/bric"
    async with bric.http.post(control + "/faults", json={"route": "clients", "status": 503}) as r:
        assert r.status == 200
    status, _, _ = await bric.call("GET", "/clients")
    assert status == 503
    async with bric.http.get(control + "/calls") as r:
        calls = await r.json()
    assert calls[-1] == {
        "route": "clients",
        "method": "GET",
        "path": "/bric/v1/clients",
        "status": 503,
    }
    async with bric.http.post(control + "/faults", json={"route": "tickets", "status": 500}) as r:
        assert r.status == 400  # a Bruin route name is not a Bric route
    async with bric.http.post(control + "/tokens/expire") as r:
        assert (await r.json())["expired"] >= 1
    status, _, _ = await bric.call("GET", "/projects")
    assert status == 401
    async with bric.http.post(control + "/reset") as r:
        assert r.status == 200
    await bric.ok("/projects")
    async with bric.http.get(bric.sandbox.url + "/_sandbox/calls") as r:
        assert all(c["route"] not in BRIC_ROUTES for c in await r.json())
