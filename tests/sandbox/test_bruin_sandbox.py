"""The Bruin sandbox over real loopback TCP, checked against the reference's shapes.

Key names below are copied from docs/BRUIN_API.md, not from any client model.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox import (
    BRUIN_ROUTES,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_CUSTOMER_ID,
    BruinSandbox,
    Fault,
    FaultBoard,
    RunningSandbox,
    env_lines,
    start_sandbox,
)

OTHER = 40777

LIST_KEYS = {
    "clientID", "clientName", "ticketID", "category", "topic", "referenceTicketNumber",
    "ticketStatus", "address", "createDate", "createdBy", "creationNote", "resolveDate",
    "mostRecentNote", "nextScheduledDate", "flags", "severity", "specialties",
}  # fmt: skip
TICKET_ADDRESS_KEYS = {"addressID", "address", "city", "state", "zip", "country"}
BASIC_KEYS = {
    "clientID", "ticketID", "ticketStatus", "callType", "category", "createDate", "createdBy",
    "address",
}  # fmt: skip
DETAIL_KEYS = {
    "detailID", "detailType", "detailStatus", "detailValue", "assignedToName", "currentTaskID",
    "currentTaskName", "currentTaskStatus", "lastUpdatedBy", "lastUpdatedAt", "subcategoryName",
}  # fmt: skip
NOTE_KEYS = {"noteId", "noteType", "noteValue", "serviceNumber", "createdDate", "creator"}
ERROR_KEYS = {"message", "messageDetail", "data", "type", "code", "traceId"}
SITE_KEYS = {
    "clientID", "clientName", "siteID", "siteLabel", "siteAddDate", "address", "longitude",
    "latitude", "businessHours", "timeZone", "primaryContactName", "primaryContactPhone",
    "primaryContactEmail",
}  # fmt: skip
INVENTORY_KEYS = {
    "clientID", "clientName", "vendor", "accountNumber", "subAccountNumber", "inventoryID",
    "serviceNumber", "siteId", "siteLabel", "address", "hierarchy", "costCenter", "assignee",
    "description", "installDate", "disconnectDate", "status", "verified", "productCategory",
    "productType", "items", "longitude", "latitude",
}  # fmt: skip
TOPIC_KEYS = {"callType", "callTypeDescription", "category", "categoryDescription"}
REPAIR_ITEM_KEYS = {"ticketId", "inventoryId", "wtn", "errorMessage", "errorCode"}

US_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M$")
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")


def parse_us(value: str) -> datetime:
    return datetime.strptime(value, "%m/%d/%Y %I:%M:%S %p")


def assert_error_body(body: Any, code: int) -> None:
    assert set(body) == ERROR_KEYS
    assert body["code"] == code
    uuid.UUID(body["traceId"])


@dataclass
class Api:
    http: aiohttp.ClientSession
    running: RunningSandbox
    token: str = ""

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def sandbox(self) -> BruinSandbox:
        return self.running.bruin

    async def fetch_token(self) -> str:
        async with self.http.post(
            f"{self.url}/identity/connect/token",
            data={
                "grant_type": "client_credentials",
                "scope": "public_api",
                "client_id": SANDBOX_CLIENT_ID,
                "client_secret": SANDBOX_CLIENT_SECRET,
            },
        ) as resp:
            assert resp.status == 200
            body = await resp.json()
        self.token = body["access_token"]
        return self.token

    async def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | list[tuple[str, str]] | None = None,
        body: Any = None,
        token: str | None = None,
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        async with self.http.request(
            method, f"{self.url}{path}", params=params, json=body, headers=headers
        ) as resp:
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, await resp.text()

    async def get(self, path: str, params: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.call("GET", path, params=params, **kw)

    async def ok(self, method: str, path: str, params: Any = None, body: Any = None) -> Any:
        status, data = await self.call(method, path, params=params, body=body)
        assert status == 200, data
        return data

    async def tickets(self, **params: Any) -> list[dict[str, Any]]:
        params.setdefault("ClientId", SANDBOX_CUSTOMER_ID)
        data = await self.ok("GET", "/api/Ticket", params)
        return list(data["responses"])

    async def details(self, ticket_id: int) -> dict[str, Any]:
        return dict(await self.ok("GET", f"/api/Ticket/{ticket_id}/details"))


@pytest.fixture
async def running() -> AsyncIterator[RunningSandbox]:
    sandbox = await start_sandbox(port=0)
    try:
        yield sandbox
    finally:
        await sandbox.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def api(http: aiohttp.ClientSession, running: RunningSandbox) -> Api:
    client = Api(http, running)
    await client.fetch_token()
    return client


# --------------------------------------------------------------------------- wiring


def test_env_lines_point_at_the_sandbox() -> None:
    assert env_lines("http://127.0.0.1:8400") == [
        "BRUIN_IDENTITY_URL=http://127.0.0.1:8400",
        "BRUIN_API_URL=http://127.0.0.1:8400",
        "BRUIN_OAUTH_CLIENT_ID=sandbox-client",
        "BRUIN_OAUTH_CLIENT_SECRET=sandbox-secret",
        "BRUIN_CUSTOMER_ID=40123",
        "BRUIN_SANDBOX=true",
        "BRUIN_PORTAL_URL=http://127.0.0.1:8400",
    ]
    # The bot reads them: a sandbox setup has no "real ticket" warning and sandbox links.
    from bot.config import load_settings

    values = dict(line.split("=", 1) for line in env_lines("http://127.0.0.1:8400"))
    settings = load_settings(**{k.lower(): v for k, v in values.items()})
    assert settings.bruin_sandbox is True
    assert settings.bruin_portal_url == "http://127.0.0.1:8400"


async def test_start_sandbox_binds_a_real_port(running: RunningSandbox) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", running.url)
    assert not running.url.endswith(":0")


# --------------------------------------------------------------------------- tokens


async def test_token_via_form_body(api: Api) -> None:
    async with api.http.post(
        f"{api.url}/identity/connect/token",
        data={
            "grant_type": "client_credentials",
            "scope": "public_api",
            "client_id": SANDBOX_CLIENT_ID,
            "client_secret": SANDBOX_CLIENT_SECRET,
        },
    ) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        body = await resp.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "public_api"
    assert api.sandbox.token_requests == 2  # the fixture's and this one
    form = api.sandbox.payloads("token")[-1]
    assert form["grant_type"] == "client_credentials"


async def test_token_via_basic_header(http: aiohttp.ClientSession, running: RunningSandbox) -> None:
    basic = base64.b64encode(f"{SANDBOX_CLIENT_ID}:{SANDBOX_CLIENT_SECRET}".encode()).decode()
    async with http.post(
        f"{running.url}/identity/connect/token",
        data={"grant_type": "client_credentials", "scope": "public_api"},
        headers={"Authorization": f"Basic {basic}"},
    ) as resp:
        assert resp.status == 200
        token = (await resp.json())["access_token"]
    api = Api(http, running, token)
    assert len(await api.tickets()) > 0


@pytest.mark.parametrize(
    ("form", "basic", "error"),
    [
        ({"client_id": SANDBOX_CLIENT_ID, "client_secret": "nope"}, None, "invalid_client"),
        ({}, f"{SANDBOX_CLIENT_ID}:wrong", "invalid_client"),
        ({}, None, "invalid_client"),
        (
            {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET},
            None,
            "unsupported_grant_type",
        ),
    ],
)
async def test_token_refused(
    http: aiohttp.ClientSession,
    running: RunningSandbox,
    form: dict[str, str],
    basic: str | None,
    error: str,
) -> None:
    data = {"grant_type": "password" if error == "unsupported_grant_type" else "client_credentials"}
    data.update(form)
    headers = {}
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    async with http.post(
        f"{running.url}/identity/connect/token", data=data, headers=headers
    ) as resp:
        assert resp.status == 400
        assert await resp.json() == {"error": error}
    assert running.bruin.token_requests == 1


async def test_api_needs_a_live_bearer_token(api: Api) -> None:
    params = {"ClientId": SANDBOX_CUSTOMER_ID}
    async with api.http.get(f"{api.url}/api/Ticket", params=params) as resp:
        assert resp.status == 401
        assert resp.content_type != "application/json"
        assert len(await resp.read()) < 100
    assert (await api.get("/api/Ticket", params, token="made-up"))[0] == 401
    assert (await api.get("/api/Ticket", params))[0] == 200

    api.sandbox.expire_tokens()
    assert (await api.get("/api/Ticket", params))[0] == 401
    await api.fetch_token()
    assert (await api.get("/api/Ticket", params))[0] == 200
    api.sandbox.revoke_tokens()
    assert (await api.get("/api/Site", params))[0] == 401


async def test_token_expires_after_ttl(http: aiohttp.ClientSession) -> None:
    async with await start_sandbox(token_ttl=0.3) as running:
        api = Api(http, running)
        await api.fetch_token()
        assert (await api.get("/api/Site", {"ClientId": SANDBOX_CUSTOMER_ID}))[0] == 200
        await asyncio.sleep(0.4)
        assert (await api.get("/api/Site", {"ClientId": SANDBOX_CUSTOMER_ID}))[0] == 401


# --------------------------------------------------------------------------- ticket list


async def test_ticket_list_envelope_and_keys(api: Api) -> None:
    data = await api.ok("GET", "/api/Ticket", {"ClientId": SANDBOX_CUSTOMER_ID})
    assert set(data) == {"responses", "row", "start"}
    assert data["row"] == 10000
    assert data["start"] == 0
    records = data["responses"]
    assert len(records) >= 25
    for record in records:
        assert set(record) == LIST_KEYS
        assert set(record["address"]) == TICKET_ADDRESS_KEYS
        assert record["clientID"] == SANDBOX_CUSTOMER_ID
        assert US_DATE.match(record["createDate"]), record["createDate"]
    created = [parse_us(r["createDate"]) for r in records]
    assert created == sorted(created, reverse=True), "newest first"
    by_id = {r["ticketID"]: r for r in records}
    outage = by_id[4503]
    assert outage["category"] == "VOO"
    assert outage["topic"] == "Service Outage Trouble"
    assert outage["ticketStatus"] == "InProgress"
    statuses = {r["ticketStatus"] for r in records}
    assert {"New", "InProgress", "In-Progress", "Resolved", "Closed", "Draft"} <= statuses
    notes = " ".join(str(r["mostRecentNote"]) for r in records)
    assert "<!channel>" in notes


async def test_query_names_are_case_insensitive(api: Api) -> None:
    expected = [r["ticketID"] for r in await api.tickets()]
    for name in ("ClientId", "ClientID", "clientId", "clientid", "CLIENTID"):
        data = await api.ok("GET", "/api/Ticket", {name: SANDBOX_CUSTOMER_ID})
        assert [r["ticketID"] for r in data["responses"]] == expected
    one = await api.ok("GET", "/api/Ticket", {"clientid": 40123, "ticketid": 4503})
    assert [r["ticketID"] for r in one["responses"]] == [4503]
    sites = await api.ok("GET", "/api/Site", {"ClientID": 40123, "siteid": 812})
    assert [d["siteID"] for d in sites["documents"]] == [812]


async def test_client_id_is_required(api: Api) -> None:
    for path in ("/api/Ticket", "/api/Inventory", "/api/Site", "/api/Ticket/topics"):
        status, body = await api.get(path, {"TicketId": 4503})
        assert status == 400, path
        assert_error_body(body, 400)
        assert body["type"] == "ValidationError"
        assert body["data"] == {"ClientId": ["The ClientId field is required."]}


async def test_customers_never_leak(api: Api) -> None:
    ours = await api.tickets()
    theirs = await api.tickets(ClientId=OTHER)
    assert theirs
    assert {r["clientID"] for r in theirs} == {OTHER}
    assert not {r["ticketID"] for r in ours} & {r["ticketID"] for r in theirs}
    leaked = await api.tickets(ServiceNumber="VC07709990001")
    assert leaked == []
    inv = await api.ok("GET", "/api/Inventory", {"ClientId": SANDBOX_CUSTOMER_ID})
    assert {d["clientID"] for d in inv["documents"]} == {SANDBOX_CUSTOMER_ID}
    assert "VC07709990001" not in {d["serviceNumber"] for d in inv["documents"]}
    sites = await api.ok("GET", "/api/Site", {"ClientId": SANDBOX_CUSTOMER_ID})
    assert {d["clientID"] for d in sites["documents"]} == {SANDBOX_CUSTOMER_ID}
    basic = await api.ok("GET", "/api/Ticket/basic", {"ClientId": SANDBOX_CUSTOMER_ID})
    assert {r["clientID"] for r in basic["responses"]} == {SANDBOX_CUSTOMER_ID}


async def test_start_rows_paging_ends_on_a_short_page(api: Api) -> None:
    everything = [r["ticketID"] for r in await api.tickets()]
    seen: list[int] = []
    start, rows, pages = 0, 10, 0
    while True:
        data = await api.ok(
            "GET", "/api/Ticket", {"ClientId": SANDBOX_CUSTOMER_ID, "Start": start, "Rows": rows}
        )
        assert (data["row"], data["start"]) == (rows, start)  # echoes, not totals
        seen += [r["ticketID"] for r in data["responses"]]
        pages += 1
        if len(data["responses"]) < rows:
            break
        start += rows
    assert seen == everything
    assert pages == len(everything) // rows + 1
    status, _ = await api.get("/api/Ticket", {"ClientId": SANDBOX_CUSTOMER_ID, "Rows": 0})
    assert status == 400


async def test_basic_paging_with_total(api: Api) -> None:
    first = await api.ok("GET", "/api/Ticket/basic", {"ClientId": SANDBOX_CUSTOMER_ID})
    assert set(first) == {"total", "start", "currentPageSize", "responses"}
    total = first["total"]
    assert first["currentPageSize"] == len(first["responses"]) == total  # default 100
    for record in first["responses"]:
        assert set(record) == BASIC_KEYS
        assert US_DATE.match(record["createDate"])
    seen: list[int] = []
    page = 1
    while len(seen) < total:
        data = await api.ok(
            "GET",
            "/api/Ticket/basic",
            {"ClientId": SANDBOX_CUSTOMER_ID, "PageSize": 7, "PageNumber": page},
        )
        assert data["total"] == total
        assert data["start"] == (page - 1) * 7
        assert data["currentPageSize"] == len(data["responses"])
        seen += [r["ticketID"] for r in data["responses"]]
        page += 1
    assert seen == [r["ticketID"] for r in first["responses"]]
    assert data["currentPageSize"] == (total % 7 or 7)
    beyond = await api.ok(
        "GET", "/api/Ticket/basic", {"ClientId": 40123, "PageSize": 7, "PageNumber": page + 3}
    )
    assert beyond["currentPageSize"] == 0
    one = await api.ok("GET", "/api/Ticket/basic", {"TicketID": 4503})
    assert [(r["ticketID"], r["callType"]) for r in one["responses"]] == [(4503, "REP")]


async def test_status_filter_normalises_hyphens(api: Api) -> None:
    in_progress = await api.tickets(TicketStatus="InProgress")
    spellings = {r["ticketStatus"] for r in in_progress}
    assert spellings == {"InProgress", "In-Progress"}
    hyphen = await api.tickets(TicketStatus="in-progress")
    assert [r["ticketID"] for r in hyphen] == [r["ticketID"] for r in in_progress]
    several = await api.tickets(TicketStatus=["New", "Draft"])
    assert {r["ticketStatus"] for r in several} == {"New", "Draft"}
    comma = await api.tickets(TicketStatus="New,Draft")
    assert [r["ticketID"] for r in comma] == [r["ticketID"] for r in several]


async def test_other_list_filters(api: Api) -> None:
    voo = await api.tickets(TicketTopic="VOO")
    assert voo
    assert {r["category"] for r in voo} == {"VOO"}
    by_service = await api.tickets(ServiceNumber="VC07700012345")
    assert 4503 in {r["ticketID"] for r in by_service}
    tampa = await api.tickets(SiteID=812)
    assert {r["address"]["city"] for r in tampa} == {"Tampa"}
    sdwan = await api.tickets(ProductCategory="SD-WAN")
    assert sdwan
    assert 4505 not in {r["ticketID"] for r in sdwan}  # a POTS ticket
    since = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = await api.tickets(StartDate=since)
    everything = await api.tickets()
    assert 0 < len(recent) < len(everything)
    assert 4490 not in {r["ticketID"] for r in recent}
    assert await api.tickets(TicketId=999999) == []


# --------------------------------------------------------------------------- details


async def test_details_shape(api: Api) -> None:
    data = await api.details(4503)
    assert set(data) == {"ticketDetails", "ticketNotes"}
    assert len(data["ticketDetails"]) >= 2
    for detail in data["ticketDetails"]:
        assert set(detail) == DETAIL_KEYS
        assert detail["detailStatus"] in {"O", "R", "I", "C"}
        assert ISO_MS.match(detail["lastUpdatedAt"])
    assert data["ticketDetails"][0]["detailValue"] == "VC07700012345"
    assert data["ticketDetails"][0]["detailType"] == "Repair_WTN"
    assert len(data["ticketNotes"]) >= 3
    for note in data["ticketNotes"]:
        assert set(note) == NOTE_KEYS
        assert isinstance(note["serviceNumber"], list)
        assert ISO_MS.match(note["createdDate"])
        assert "@" in note["creator"]
    texts = " ".join(n["noteValue"] for n in data["ticketNotes"])
    assert "&" in texts
    assert "<" in texts
    assert "<!channel>" in texts


async def test_details_unknown_ticket_is_404(api: Api) -> None:
    status, body = await api.get("/api/Ticket/999999/details")
    assert status == 404
    assert_error_body(body, 404)
    assert body["message"] == "Resource not found"


# --------------------------------------------------------------------------- topics


async def test_topics(api: Api) -> None:
    data = await api.ok(
        "GET", "/api/Ticket/topics", {"ClientId": 40123, "ServiceNumber": "VC07700012345"}
    )
    assert set(data) == {"callTypes"}
    for topic in data["callTypes"]:
        assert set(topic) == TOPIC_KEYS
    pairs = {(t["callType"], t["category"], t["categoryDescription"]) for t in data["callTypes"]}
    assert ("REP", "VOO", "Service Outage Trouble") in pairs
    assert ("REP", "VAS", "Service Affecting Trouble") in pairs
    pots = await api.ok(
        "GET", "/api/Ticket/topics", {"ClientId": 40123, "ServiceNumber": "8135550142"}
    )
    assert ("CHG", "053", "Add Additional Lines") in {
        (t["callType"], t["category"], t["categoryDescription"]) for t in pots["callTypes"]
    }


@pytest.mark.parametrize("service_number", ["NOPE-1", "6025550133", "VC07709990001"])
async def test_topics_error_inside_200(api: Api, service_number: str) -> None:
    status, body = await api.get(
        "/api/Ticket/topics", {"ClientId": 40123, "ServiceNumber": service_number}
    )
    assert status == 200
    assert_error_body(body, 400)
    assert body["type"] == "ValidationException"
    assert body["message"] == (
        f"No source access under ClientId[40123] or No active inventory found by "
        f"serviceNumber[{service_number}]"
    )


# --------------------------------------------------------------------------- notes


async def test_note_shows_up_in_later_details(api: Api) -> None:
    text = 'Called Lumen & got ETR <2h>; "<!channel>" not pinged'
    data = await api.ok("POST", "/api/Ticket/4503/notes", body={"note": text})
    assert set(data) == {"ticketNotes"}
    (new,) = data["ticketNotes"]
    assert set(new) == NOTE_KEYS
    assert new["creator"] == "svc_chatops@example.com"
    assert new["noteType"] == "ADN"
    details = await api.details(4503)
    assert details["ticketNotes"][-1]["noteValue"] == text
    assert details["ticketNotes"][-1]["noteId"] == new["noteId"]
    (record,) = await api.tickets(TicketId=4503)
    assert record["mostRecentNote"] == text
    assert api.sandbox.payloads("note.add") == [{"note": text}]

    scoped = await api.ok(
        "POST",
        "/api/Ticket/4503/notes",
        body={"Note": "edge only", "ServiceNumbers": ["VC07700012345"]},
    )
    assert scoped["ticketNotes"][0]["serviceNumber"] == ["VC07700012345"]


async def test_note_validation(api: Api) -> None:
    status, body = await api.call("POST", "/api/Ticket/4503/notes", body={"note": "  "})
    assert status == 400
    assert_error_body(body, 400)
    assert body["data"] == {"Note": ["The Note field is required."]}
    status, body = await api.call("POST", "/api/Ticket/999999/notes", body={"note": "x"})
    assert status == 404
    status, body = await api.call(
        "POST", "/api/Ticket/4503/notes", body={"note": "x", "serviceNumbers": ["NOT-ON-IT"]}
    )
    assert status == 400
    assert "ServiceNumbers" in body["data"]


async def test_advanced_notes(api: Api) -> None:
    details = (await api.details(4503))["ticketDetails"]
    detail_id = details[1]["detailID"]
    data = await api.ok(
        "POST",
        "/api/Ticket/4503/notes/advanced",
        body={
            "notes": [
                {"noteValue": "public", "noteType": "ADN", "serviceNumber": "VC07700012345"},
                {"noteValue": "private", "noteType": "CON", "detailId": detail_id},
            ]
        },
    )
    notes = data["ticketNotes"]
    assert [n["noteValue"] for n in notes] == ["public", "private"]
    for note in notes:
        assert {"noteID", "noteType", "noteValue", "detailID", "enteredBy", "enteredDate"} <= set(
            note
        )
    assert notes[1]["detailID"] == detail_id
    assert notes[1]["noteType"] == "CON"
    texts = [n["noteValue"] for n in (await api.details(4503))["ticketNotes"]]
    assert texts[-2:] == ["public", "private"]

    status, body = await api.call(
        "POST", "/api/Ticket/4503/notes/advanced", body={"notes": [{"noteValue": "lost"}]}
    )
    assert status == 400
    assert_error_body(body, 400)
    assert "lost" not in [n["noteValue"] for n in (await api.details(4503))["ticketNotes"]]


# --------------------------------------------------------------------------- create and repair


def _create_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "clientId": SANDBOX_CUSTOMER_ID,
        "category": "VAS",
        "services": [{"serviceNumber": "VC07700012349"}],
        "contacts": [
            {"type": "site", "email": "store309@example.com", "name": "Dana", "phone": "555"},
            {"type": "ticket", "email": "noc@example.com"},
        ],
        "notes": [{"noteType": "MTK", "noteValue": "Phoenix edge slow\n— via Slack by Ann (U1)"}],
    }
    body.update(overrides)
    return body


async def test_create_ticket(api: Api) -> None:
    before = max(r["ticketID"] for r in await api.tickets())
    data = await api.ok("POST", "/api/Ticket", body=_create_body())
    assert set(data) == {"ticketIds"}
    (new_id,) = data["ticketIds"]
    assert new_id > 4521
    assert new_id > before
    newest = (await api.tickets())[0]
    assert newest["ticketID"] == new_id
    assert newest["ticketStatus"] == "New"
    assert newest["createdBy"] == "Chatops Bot"
    assert newest["creationNote"].startswith("Phoenix edge slow")
    assert newest["category"] == "VAS"
    assert newest["address"]["city"] == "Phoenix"
    details = await api.details(new_id)
    assert [d["detailValue"] for d in details["ticketDetails"]] == ["VC07700012349"]
    assert details["ticketNotes"][0]["noteType"] == "MTK"

    # any key casing; IGZ posts to /api/Ticket/ with PascalCase keys
    pascal = {k[0].upper() + k[1:]: v for k, v in _create_body(category="053").items()}
    pascal["Services"] = [{"ServiceNumber": "8135550142"}, {"ServiceNumber": "8135550143"}]
    second = await api.ok("POST", "/api/Ticket/", body=pascal)
    assert second["ticketIds"] == [new_id + 1]
    assert len((await api.details(new_id + 1))["ticketDetails"]) == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "XYZ"}, "Category"),
        ({"services": [{"serviceNumber": "NOPE"}]}, "Services"),
        ({"services": [{"serviceNumber": "VC07709990001"}]}, "Services"),  # other customer
        ({"services": []}, "Services"),
        ({"contacts": [{"type": "ticket", "email": "a@example.com"}]}, "Contacts"),
        ({"clientId": None}, "ClientId"),
    ],
)
async def test_create_ticket_validation(api: Api, overrides: dict[str, Any], field: str) -> None:
    count = len(await api.tickets())
    status, body = await api.call("POST", "/api/Ticket", body=_create_body(**overrides))
    assert status == 400
    assert_error_body(body, 400)
    assert body["type"] == "ValidationError"
    assert field in body["data"]
    assert len(await api.tickets()) == count


def _repair(*wtns: str) -> dict[str, Any]:
    return {
        "ClientID": SANDBOX_CUSTOMER_ID,
        "WTNs": list(wtns),
        "RequestDescription": "Edge offline",
        "ticketContact": {"email": "noc@example.com"},
    }


async def test_repair_outcomes(api: Api) -> None:
    data = await api.ok(
        "POST",
        "/api/Ticket/repair",
        body=_repair("VC07700012345", "VC07700012347", "VC07700012349"),
    )
    assert set(data) == {"assets"}
    items = {a["wtn"]: a for a in data["assets"]}
    for item in items.values():
        assert set(item) == REPAIR_ITEM_KEYS
        assert isinstance(item["inventoryId"], str)
    assert (items["VC07700012345"]["errorCode"], items["VC07700012345"]["ticketId"]) == (409, 4503)
    assert (items["VC07700012347"]["errorCode"], items["VC07700012347"]["ticketId"]) == (471, 4498)
    created = items["VC07700012349"]
    assert created["errorCode"] is None
    assert created["errorMessage"] is None
    assert created["ticketId"] > 4521
    (record,) = await api.tickets(TicketId=created["ticketId"])
    assert (record["category"], record["ticketStatus"]) == ("VOO", "New")
    assert record["creationNote"] == "Edge offline"

    again = await api.ok("POST", "/api/Ticket/repair", body=_repair("VC07700012349"))
    assert again["assets"][0]["errorCode"] == 409
    assert again["assets"][0]["ticketId"] == created["ticketId"]

    api.sandbox.repair_unavailable = True
    down = await api.ok("POST", "/api/Ticket/repair", body=_repair("VC07700012349"))
    assert down["assets"][0]["ticketId"] == 0


async def test_repair_unresolve_472(api: Api) -> None:
    api.sandbox.repair_unresolve = True
    data = await api.ok("POST", "/api/Ticket/repair", body=_repair("VC07700012347"))
    assert (data["assets"][0]["errorCode"], data["assets"][0]["ticketId"]) == (472, 4498)
    (record,) = await api.tickets(TicketId=4498)
    assert record["ticketStatus"] == "InProgress"
    assert record["resolveDate"] is None


async def test_repair_unknown_service_number_error_in_200(api: Api) -> None:
    status, body = await api.call("POST", "/api/Ticket/repair", body=_repair("NOPE-404"))
    assert status == 200
    assert_error_body(body, 400)
    assert body["type"] == "ValidationException"
    assert "NOPE-404" in body["message"]


# --------------------------------------------------------------------------- status and close


async def test_resolving_every_detail_resolves_the_ticket(api: Api) -> None:
    details = (await api.details(4503))["ticketDetails"]
    for detail in details:
        path = f"/api/Ticket/4503/details/{detail['detailID']}/status"
        await api.ok("PUT", path, body={"Status": "R"})
    (record,) = await api.tickets(TicketId=4503)
    assert record["ticketStatus"] == "Resolved"
    assert US_DATE.match(record["resolveDate"])
    statuses = {d["detailStatus"] for d in (await api.details(4503))["ticketDetails"]}
    assert statuses == {"R"}

    path = f"/api/Ticket/4503/details/{details[0]['detailID']}/status"
    reopened = await api.ok("PUT", path, body={"status": "O", "Interfaces": ["GE1"]})
    assert reopened["ticketStatus"] == "InProgress"
    (record,) = await api.tickets(TicketId=4503)
    assert record["ticketStatus"] == "InProgress"

    assert (await api.call("PUT", path, body={"Status": "X"}))[0] == 400
    assert (await api.call("PUT", "/api/Ticket/4503/details/1/status", body={"Status": "R"}))[
        0
    ] == 404


async def test_close_ticket(api: Api) -> None:
    await api.ok("PUT", "/api/Ticket/4504/close", body={"CloseNote": "Jitter cleared"})
    (record,) = await api.tickets(TicketId=4504)
    assert record["ticketStatus"] == "Closed"
    assert record["mostRecentNote"] == "Jitter cleared"
    notes = (await api.details(4504))["ticketNotes"]
    assert notes[-1]["noteValue"] == "Jitter cleared"
    status, body = await api.call("PUT", "/api/Ticket/4504/close", body={"CloseNote": "again"})
    assert status == 400
    assert_error_body(body, 400)
    assert "already closed" in body["message"]


# --------------------------------------------------------------------------- inventory and sites


async def test_inventory(api: Api) -> None:
    data = await api.ok("GET", "/api/Inventory", {"ClientId": SANDBOX_CUSTOMER_ID})
    assert set(data) == {"documents"}
    docs = data["documents"]
    assert len(docs) >= 14
    for doc in docs:
        assert set(doc) >= INVENTORY_KEYS
        assert isinstance(doc["inventoryID"], str)
    assert {d["status"] for d in docs} == {"A", "S", "D"}
    active = await api.ok("GET", "/api/Inventory", {"ClientId": 40123, "Status": "A"})
    assert {d["status"] for d in active["documents"]} == {"A"}
    found = await api.ok(
        "GET", "/api/Inventory", {"clientid": 40123, "servicenumber": "vc077000123"}
    )
    assert {d["productCategory"] for d in found["documents"]} == {"SD-WAN"}
    assert len(found["documents"]) == 5
    site = await api.ok("GET", "/api/Inventory", {"ClientId": 40123, "SiteID": 812})
    assert {d["siteId"] for d in site["documents"]} == {812}


async def test_inventory_attribute(api: Api) -> None:
    by_triple = await api.ok(
        "GET",
        "/api/Inventory/Attribute",
        {"ClientId": 40123, "Status": "A", "ServiceNumber": "VC07700012345"},
    )
    assert set(by_triple) == {"inventoryId", "serviceNumber", "attributes"}
    keys = {a["key"]: a["value"] for a in by_triple["attributes"]}
    assert keys["Serial Number"] == "VC07700012345"
    assert keys["Management Status"].startswith("Active")
    by_id = await api.ok(
        "GET", "/api/Inventory/Attribute", {"InventoryId": by_triple["inventoryId"]}
    )
    assert by_id == by_triple
    status, body = await api.get(
        "/api/Inventory/Attribute", {"ClientId": 40123, "Status": "A", "ServiceNumber": "NOPE"}
    )
    assert status == 404
    assert_error_body(body, 404)


async def test_sites(api: Api) -> None:
    data = await api.ok("GET", "/api/Site", {"ClientId": SANDBOX_CUSTOMER_ID})
    assert set(data) == {"documents"}
    docs = {d["siteID"]: d for d in data["documents"]}
    assert len(docs) >= 4
    for doc in docs.values():
        assert set(doc) >= SITE_KEYS
    assert set(docs[812]["address"]) == TICKET_ADDRESS_KEYS
    assert {"address1", "address2", "city", "state", "zip", "country"} == set(docs[830]["address"])
    assert docs[830]["siteName"]
    assert docs[830]["siteIdentifier"]
    harbor = await api.ok("GET", "/api/Site", {"ClientId": 40123, "Address": "harbor"})
    assert [d["siteID"] for d in harbor["documents"]] == [812]
    named = await api.ok("GET", "/api/Site", {"ClientId": 40123, "SiteName": "tampa"})
    assert [d["siteID"] for d in named["documents"]] == [812]
    none = await api.ok("GET", "/api/Site", {"ClientId": 40123, "SiteName": "Atlantis"})
    assert none == {"documents": []}


# --------------------------------------------------------------------------- faults


async def test_latency_fault_delays_then_answers(api: Api) -> None:
    api.sandbox.faults.set("ticket.details", Fault(latency=0.25))
    started = time.monotonic()
    data = await api.details(4503)
    assert time.monotonic() - started >= 0.25
    assert "ticketDetails" in data


async def test_429_with_retry_after(api: Api) -> None:
    api.sandbox.faults.set("ticket.list", Fault(status=429, retry_after=7))
    async with api.http.get(
        f"{api.url}/api/Ticket",
        params={"ClientId": 40123},
        headers={"Authorization": f"Bearer {api.token}"},
    ) as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "7"
        assert_error_body(await resp.json(), 429)


@pytest.mark.parametrize("status", [500, 503])
async def test_server_error_faults(api: Api, status: int) -> None:
    api.sandbox.faults.set("*", Fault(status=status))
    got, body = await api.get("/api/Site", {"ClientId": 40123})
    assert got == status
    assert_error_body(body, status)
    await api.fetch_token()  # "*" leaves the token route alone


async def test_403_names_the_scope(api: Api) -> None:
    api.sandbox.faults.set("ticket.details", Fault(status=403))
    status, body = await api.get("/api/Ticket/4503/details")
    assert status == 403
    assert_error_body(body, 403)
    assert "FunctionPermissionTicketGet" in body["message"]


async def test_timeout_fault(api: Api) -> None:
    api.sandbox.faults.set("ticket.list", Fault(timeout=True))
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        async with api.http.get(
            f"{api.url}/api/Ticket",
            params={"ClientId": 40123},
            headers={"Authorization": f"Bearer {api.token}"},
            timeout=aiohttp.ClientTimeout(total=0.3),
        ):
            pass
    assert time.monotonic() - started < 2


async def test_malformed_json_fault(api: Api) -> None:
    api.sandbox.faults.set("site", Fault(malformed=True))
    async with api.http.get(
        f"{api.url}/api/Site",
        params={"ClientId": 40123},
        headers={"Authorization": f"Bearer {api.token}"},
    ) as resp:
        assert resp.status == 200
        text = await resp.text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


async def test_error_in_200_fault(api: Api) -> None:
    api.sandbox.faults.set("inventory", Fault(error_in_200=True))
    status, body = await api.get("/api/Inventory", {"ClientId": 40123})
    assert status == 200
    assert_error_body(body, 400)
    assert body["type"] == "ValidationException"


async def test_fault_times_applies_n_times(api: Api) -> None:
    api.sandbox.faults.set("ticket.list", Fault(status=500, times=2))
    statuses = [(await api.get("/api/Ticket", {"ClientId": 40123}))[0] for _ in range(4)]
    assert statuses == [500, 500, 200, 200]
    assert api.sandbox.call_count("ticket.list") == 4


async def test_latency_combines_with_status_and_token_faults(api: Api) -> None:
    api.sandbox.faults.set("token", Fault(latency=0.1, status=503, retry_after=1, times=1))
    started = time.monotonic()
    async with api.http.post(
        f"{api.url}/identity/connect/token",
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
    ) as resp:
        assert resp.status == 503
        assert resp.headers["Retry-After"] == "1"
    assert time.monotonic() - started >= 0.1
    await api.fetch_token()


def test_fault_board_rules() -> None:
    board = FaultBoard()
    assert set(BRUIN_ROUTES) >= {"token", "ticket.list", "site", "note.add", "ticket.repair"}
    with pytest.raises(ValueError, match="unknown route"):
        board.set("ticket.nope", Fault())
    board.set("*", Fault(status=500))
    board.set("site", Fault(status=404, times=1))
    taken = board.take("site")
    assert taken is not None
    assert taken.status == 404
    fallback = board.take("site")
    assert fallback is not None
    assert fallback.status == 500
    assert board.take("token") is None
    board.clear()
    assert board.take("site") is None


# --------------------------------------------------------------------------- control endpoints


async def test_control_endpoints(api: Api) -> None:
    control = f"{api.url}/_sandbox"
    async with api.http.post(
        f"{control}/faults", json={"route": "site", "status": 500, "times": 1}
    ) as resp:
        assert resp.status == 200
    assert (await api.get("/api/Site", {"ClientId": 40123}))[0] == 500
    async with api.http.post(f"{control}/faults", json={"route": "bogus"}) as resp:
        assert resp.status == 400
    async with api.http.post(f"{control}/faults", json={"route": "*", "status": 502}) as resp:
        assert resp.status == 200
    async with api.http.delete(f"{control}/faults") as resp:
        assert resp.status == 200
    assert (await api.get("/api/Site", {"ClientId": 40123}))[0] == 200

    async with api.http.get(f"{control}/calls") as resp:
        calls = await resp.json()
    assert {"route": "site", "method": "GET", "path": "/api/Site"} in [
        {k: c[k] for k in ("route", "method", "path")} for c in calls
    ]
    assert calls[0]["route"] == "token"

    await api.ok("POST", "/api/Ticket/4503/notes", body={"note": "before reset"})
    async with api.http.post(f"{control}/tokens/expire") as resp:
        assert resp.status == 200
    assert (await api.get("/api/Site", {"ClientId": 40123}))[0] == 401
    await api.fetch_token()
    async with api.http.post(f"{control}/reset") as resp:
        assert resp.status == 200
    assert api.sandbox.calls == []
    notes = (await api.details(4503))["ticketNotes"]
    assert "before reset" not in [n["noteValue"] for n in notes]
    async with api.http.post(f"{control}/flags", json={"repair_unavailable": True}) as resp:
        assert (await resp.json())["repair_unavailable"] is True
    assert api.sandbox.repair_unavailable


# --------------------------------------------------------------------------- persistence


def _leftover_temp_files(directory: Path) -> list[Path]:
    return list(directory.glob("*.tmp"))


async def test_state_file_is_shared_between_instances(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    state_file = tmp_path / "bruin-state.json"
    async with await start_sandbox(state_file=state_file) as first:
        api = Api(http, first)
        await api.fetch_token()
        await api.ok("POST", "/api/Ticket/4503/notes", body={"note": "written by one"})
        seeded = (await api.tickets(TicketId=4490))[0]["createDate"]
    assert state_file.exists()
    assert not _leftover_temp_files(tmp_path)

    second_sb = BruinSandbox(state_file=state_file)
    texts = [n["noteValue"] for n in second_sb.ticket_notes(4503)]
    assert texts[-1] == "written by one"
    assert second_sb.ticket(4490)["createDate"] == seeded

    # two live processes: a write by one is seen by the other's next request
    async with (
        await start_sandbox(state_file=state_file) as left,
        await start_sandbox(state_file=state_file) as right,
    ):
        left_api, right_api = Api(http, left), Api(http, right)
        await left_api.fetch_token()
        await right_api.fetch_token()
        await left_api.ok("PUT", "/api/Ticket/4504/close", body={"CloseNote": "done"})
        (record,) = await right_api.tickets(TicketId=4504)
        assert record["ticketStatus"] == "Closed"


async def test_api_version_2_adds_skill_name(api: Api) -> None:
    async with api.http.get(
        f"{api.url}/api/Ticket/4503/details",
        headers={"Authorization": f"Bearer {api.token}", "api-version": "2.0"},
    ) as resp:
        data = await resp.json()
    assert all("skillName" in d for d in data["ticketDetails"])
    assert resp.headers.get("x-sandbox") == "bruin"
