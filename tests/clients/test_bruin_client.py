"""Every BruinClient method against aioresponses: request shape in, typed result out."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aioresponses import CallbackResult

from bot.clients.bruin.client import OPEN, RESOLVED, BruinClient
from bot.clients.bruin.models import (
    Contact,
    NewNote,
    OutageOutcome,
    TicketStatus,
)
from bot.clients.errors import (
    BadResponse,
    Conflict,
    Forbidden,
    NotFound,
    UpstreamUnavailable,
    ValidationFailed,
)


def ticket(ticket_id: int, created: str, status: str = "InProgress") -> dict[str, Any]:
    return {
        "clientID": 40123,
        "ticketID": ticket_id,
        "ticketStatus": status,
        "category": "VOO",
        "createDate": created,
    }


def page(*tickets: dict[str, Any], rows: int = 10000, start: int = 0) -> dict[str, Any]:
    return {"responses": list(tickets), "row": rows, "start": start}


# -- GET /api/Ticket ----------------------------------------------------------------------


async def test_list_tickets_request_shape_and_result(bm, bruin, sample):
    bm.get("/api/Ticket", payload=sample("ticket_list_ok"))
    tickets = await bruin.list_tickets()
    [call] = bm.api_calls("GET", "/api/Ticket")
    assert dict(call.query) == {"ClientId": "40123", "Start": "0", "Rows": "10000"}
    assert call.headers["Authorization"] == "Bearer tok-1"
    assert call.headers["Accept"] == "application/json"
    assert "no-cache" in call.headers["Cache-Control"]
    [only] = tickets
    assert only.ticket_id == 6120455
    assert only.status is TicketStatus.IN_PROGRESS


async def test_list_tickets_filters_use_bruin_param_names(bm, bruin, sample):
    bm.get("/api/Ticket", payload=sample("ticket_list_empty"))
    await bruin.list_tickets(
        client_id=777,
        ticket_id=6120455,
        service_number="VC07700012345",
        category="VOO",
        product_category="SD-WAN",
        site_id=812,
        rows=50,
    )
    [call] = bm.api_calls("GET", "/api/Ticket")
    assert dict(call.query) == {
        "ClientId": "777",
        "TicketId": "6120455",
        "ServiceNumber": "VC07700012345",
        "TicketTopic": "VOO",
        "ProductCategory": "SD-WAN",
        "SiteID": "812",
        "Start": "0",
        "Rows": "50",
    }


async def test_list_tickets_pages_until_a_short_page(bm, bruin):
    bm.get("/api/Ticket", payload=page(ticket(1, "3/1/2024 1:00:00 AM"), ticket(2, "3/2/2024")))
    bm.get("/api/Ticket", payload=page(ticket(3, "3/3/2024 1:00:00 AM"), ticket(4, "x")))
    bm.get("/api/Ticket", payload=page(ticket(5, "3/5/2024 1:00:00 AM")))
    tickets = await bruin.list_tickets(rows=2)
    calls = bm.api_calls("GET", "/api/Ticket")
    assert [(c.param("Start"), c.param("Rows")) for c in calls] == [
        ("0", "2"),
        ("2", "2"),
        ("4", "2"),
    ]
    assert sorted(t.ticket_id for t in tickets) == [1, 2, 3, 4, 5]


async def test_list_tickets_row_echo_is_not_a_total(bm, bruin):
    # "row"/"start" echo the request; a full page means "ask again" even if row says 2.
    bm.get("/api/Ticket", payload=page(ticket(1, ""), ticket(2, ""), rows=2))
    bm.get("/api/Ticket", payload=page(rows=2, start=2))
    tickets = await bruin.list_tickets(rows=2)
    assert len(bm.api_calls("GET", "/api/Ticket")) == 2
    assert {t.ticket_id for t in tickets} == {1, 2}


async def test_list_tickets_one_call_per_status_merged_newest_first(bm, bruin):
    by_status = {
        "New": page(ticket(10, "3/1/2024 8:00:00 AM", "New")),
        "InProgress": page(
            ticket(11, "3/3/2024 8:00:00 AM", "In-Progress"),
            ticket(12, "2024-03-02T08:00:00Z", "InProgress"),
        ),
        "InReview": page(ticket(12, "2024-03-02T08:00:00Z", "InProgress")),  # duplicate
        "Draft": page(),
    }

    def answer(url, **kwargs):
        return CallbackResult(payload=by_status[url.query["TicketStatus"]])

    bm.get("/api/Ticket", callback=answer, repeat=True)
    tickets = await bruin.list_tickets(statuses=OPEN)
    calls = bm.api_calls("GET", "/api/Ticket")
    assert sorted(c.param("TicketStatus") for c in calls) == sorted(by_status)
    assert all(len(c.params_all("TicketStatus")) == 1 for c in calls)
    assert [t.ticket_id for t in tickets] == [11, 12, 10]
    assert tickets[0].status is TicketStatus.IN_PROGRESS  # "In-Progress" normalised


async def test_list_tickets_accepts_plain_string_statuses_and_max(bm, bruin):
    bm.get(
        "/api/Ticket",
        payload=page(ticket(1, "3/1/2024 8:00:00 AM"), ticket(2, "3/2/2024 8:00:00 AM")),
    )
    tickets = await bruin.list_tickets(statuses=["Resolved"], max_tickets=1)
    [call] = bm.api_calls("GET", "/api/Ticket")
    assert call.param("TicketStatus") == "Resolved"
    assert [t.ticket_id for t in tickets] == [2]


def test_status_sets():
    assert set(OPEN) == {
        TicketStatus.NEW,
        TicketStatus.IN_PROGRESS,
        TicketStatus.IN_REVIEW,
        TicketStatus.DRAFT,
    }
    assert RESOLVED == (TicketStatus.RESOLVED,)


async def test_list_tickets_rejects_a_non_object_answer(bm, bruin):
    bm.get("/api/Ticket", payload=[ticket(1, "")])
    with pytest.raises(BadResponse) as caught:
        await bruin.list_tickets()
    assert caught.value.path == "/api/Ticket"


async def test_list_tickets_rejects_a_ticket_without_id(bm, bruin):
    bm.get("/api/Ticket", payload=page({"clientID": 40123, "ticketStatus": "New"}))
    with pytest.raises(BadResponse, match="unexpected shape"):
        await bruin.list_tickets()


async def test_list_tickets_validation_error_carries_fields(bm, bruin, sample):
    bm.get("/api/Ticket", status=400, payload=sample("ticket_list_error400"))
    with pytest.raises(ValidationFailed) as caught:
        await bruin.list_tickets()
    assert caught.value.fields["ClientId"] == ["The ClientId field is required."]
    assert caught.value.trace_id == "0HMVD8K2Q5T1A:00000002"


# -- GET /api/Ticket/basic ------------------------------------------------------------------


async def test_list_tickets_page_request_shape(bm, bruin, sample):
    bm.get("/api/Ticket/basic", payload=sample("ticket_basic_ok"))
    result = await bruin.list_tickets_page(
        statuses=[TicketStatus.NEW, TicketStatus.IN_PROGRESS],
        service_number="VC07700012345",
        category="VOO",
        page=3,
        page_size=25,
    )
    [call] = bm.api_calls("GET", "/api/Ticket/basic")
    assert sorted(call.params_all("TicketStatus")) == ["InProgress", "New"]  # repeated keys
    assert call.param("ClientId") == "40123"
    assert call.param("ServiceNumber") == "VC07700012345"
    assert call.param("TicketTopic") == "VOO"
    assert call.param("PageSize") == "25"
    assert call.param("PageNumber") == "3"
    assert result.total == 2
    assert [t.ticket_id for t in result.tickets] == [6120455, 6120456]
    assert result.tickets[0].call_type == "REP"


async def test_list_tickets_page_without_total(bm, bruin):
    bm.get("/api/Ticket/basic", payload={"responses": [ticket(1, "")]})
    result = await bruin.list_tickets_page()
    assert result.total is None
    assert len(result.tickets) == 1


async def test_list_all_basic_stops_when_total_reached(bm, bruin):
    def basic(*ids: int) -> dict[str, Any]:
        return {"total": 5, "currentPageSize": 2, "responses": [ticket(i, "") for i in ids]}

    bm.get("/api/Ticket/basic", payload=basic(1, 2))
    bm.get("/api/Ticket/basic", payload=basic(3, 4))
    bm.get("/api/Ticket/basic", payload=basic(5))
    tickets = await bruin.list_all_tickets_basic(statuses=OPEN, page_size=2, client_id=9994)
    calls = bm.api_calls("GET", "/api/Ticket/basic")
    assert [c.param("PageNumber") for c in calls] == ["1", "2", "3"]
    assert {c.param("PageSize") for c in calls} == {"2"}
    assert {c.param("ClientId") for c in calls} == {"9994"}
    assert all(len(c.params_all("TicketStatus")) == len(OPEN) for c in calls)
    assert [t.ticket_id for t in tickets] == [1, 2, 3, 4, 5]


async def test_list_all_basic_stops_at_an_empty_page(bm, bruin):
    # total claims more than there is: the empty page ends the loop anyway
    bm.get("/api/Ticket/basic", payload={"total": 50, "responses": [ticket(1, ""), ticket(2, "")]})
    bm.get("/api/Ticket/basic", payload={"total": 50, "responses": []})
    tickets = await bruin.list_all_tickets_basic(page_size=2)
    assert [c.param("PageNumber") for c in bm.api_calls("GET", "/api/Ticket/basic")] == ["1", "2"]
    assert len(tickets) == 2


# -- single ticket --------------------------------------------------------------------------


async def test_get_ticket_found(bm, bruin, sample):
    bm.get("/api/Ticket", payload=sample("ticket_list_ok"))
    found = await bruin.get_ticket(6120455)
    assert found.ticket_id == 6120455
    [call] = bm.api_calls("GET", "/api/Ticket")
    assert call.param("TicketId") == "6120455"
    assert call.param("ClientId") == "40123"
    assert call.param("TicketStatus") is None


@pytest.mark.parametrize("answer", ["ticket_list_empty", "ticket_list_ok"])
async def test_get_ticket_not_found_names_the_ticket(bm, bruin, sample, answer):
    bm.get("/api/Ticket", payload=sample(answer))  # empty, or only another ticket
    with pytest.raises(NotFound) as caught:
        await bruin.get_ticket(6120999)
    assert "6120999" in str(caught.value)
    assert caught.value.user_message() == "Ticket 6120999 was not found."


async def test_get_ticket_404_names_the_ticket(bm, bruin, sample):
    bm.get("/api/Ticket", status=404, payload=sample("ticket_details_error404"))
    with pytest.raises(NotFound) as caught:
        await bruin.get_ticket(6120999)
    assert "Ticket 6120999" in caught.value.user_message()


async def test_get_ticket_details(bm, bruin, sample):
    path = "/api/Ticket/6120455/details"
    bm.get(path, payload=sample("ticket_details_ok"))
    details = await bruin.get_ticket_details(6120455)
    [call] = bm.api_calls("GET", path)
    assert call.query == []
    assert details.details[0].service_number == "VC07700012345"
    assert details.notes[0].text == "Edge offline since 09:05 ET"


async def test_get_ticket_details_not_found_names_the_ticket(bm, bruin, sample):
    bm.get("/api/Ticket/6120999/details", status=404, payload=sample("ticket_details_error404"))
    with pytest.raises(NotFound) as caught:
        await bruin.get_ticket_details(6120999)
    err = caught.value
    assert err.message == "Ticket 6120999 was not found"
    assert err.trace_id == "0HMVD8K2Q5T1A:00000005"
    assert (
        err.user_message() == "Ticket 6120999 was not found (Bruin traceId 0HMVD8K2Q5T1A:00000005)."
    )


# -- topics ---------------------------------------------------------------------------------


async def test_get_topics(bm, bruin, sample):
    bm.get("/api/Ticket/topics", payload=sample("ticket_topics_ok"))
    topics = await bruin.get_topics(service_number="VC07700012345")
    [call] = bm.api_calls("GET", "/api/Ticket/topics")
    assert dict(call.query) == {"ClientId": "40123", "ServiceNumber": "VC07700012345"}
    assert [t.category for t in topics] == ["VOO", "053"]


async def test_get_topics_error_in_a_200(bm, bruin, sample):
    bm.get("/api/Ticket/topics", payload=sample("ticket_topics_error200"))
    with pytest.raises(ValidationFailed) as caught:
        await bruin.get_topics(service_number="VC07700099999", client_id=40123)
    assert "No source access" in caught.value.message
    assert "Bruin traceId 0HMVD8K2Q5T1A:00000001" in caught.value.user_message()
    assert len(bm.api_calls()) == 1  # a refusal is not retried


# -- notes ----------------------------------------------------------------------------------


async def test_add_note_body_and_result(bm, bruin, sample):
    path = "/api/Ticket/6120455/notes"
    bm.post(path, payload=sample("note_add_ok"))
    note = await bruin.add_note(
        6120455, "TESTING – DO NOT ACT: carrier dispatched", service_numbers=["VC07700012345"]
    )
    [call] = bm.api_calls("POST", path)
    assert call.json == {
        "note": "TESTING – DO NOT ACT: carrier dispatched",
        "serviceNumbers": ["VC07700012345"],
    }
    assert call.headers["Authorization"] == "Bearer tok-1"
    assert note is not None
    assert note.note_id == 90112240
    assert note.creator == "svc_chatops@example.com"


async def test_add_note_without_service_numbers_and_without_echo(bm, bruin):
    path = "/api/Ticket/6120455/notes"
    bm.post(path, body=b"")
    assert await bruin.add_note(6120455, "hello") is None
    assert bm.api_calls("POST", path)[0].json == {"note": "hello"}


async def test_add_note_forbidden_names_the_operation(bm, bruin, sample):
    bm.post("/api/Ticket/6120455/notes", status=403, payload=sample("note_add_error403"))
    with pytest.raises(Forbidden) as caught:
        await bruin.add_note(6120455, "x")
    text = caught.value.user_message()
    assert "adding a note" in text
    assert "Bruin traceId 0HMVD8K2Q5T1A:00000003" in text


async def test_add_note_on_a_missing_ticket(bm, bruin):
    bm.post("/api/Ticket/6120999/notes", status=404)
    with pytest.raises(NotFound) as caught:
        await bruin.add_note(6120999, "x")
    assert caught.value.user_message() == "Ticket 6120999 was not found."


async def test_add_notes_advanced_body(bm, bruin, sample):
    path = "/api/Ticket/6120455/notes/advanced"
    bm.post(path, payload=sample("note_advanced_ok"))
    notes = await bruin.add_notes(
        6120455,
        [
            NewNote(text="Public update", service_number="VC07700012345"),
            NewNote(text="Private detail", note_type="CON", detail_id=7390012),
        ],
    )
    [call] = bm.api_calls("POST", path)
    assert call.json == {
        "notes": [
            {"noteValue": "Public update", "noteType": "ADN", "serviceNumber": "VC07700012345"},
            {"noteValue": "Private detail", "noteType": "CON", "detailId": 7390012},
        ]
    }
    assert [(n.note_id, n.note_type) for n in notes] == [(90112241, "ADN"), (90112242, "CON")]


# -- create ticket --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "ticket_id"), [("ticket_create_ids", 6120500), ("ticket_create_single", 6120501)]
)
async def test_create_ticket_body_and_both_answer_shapes(bm, bruin, sample, answer, ticket_id):
    bm.post("/api/Ticket", payload=sample(answer))
    new_id = await bruin.create_ticket(
        category="VAS",
        service_numbers=["VC07700012345", "VC07700012346"],
        contacts=[
            Contact(email="store112@example.com"),
            Contact(kind="ticket", name="Store Manager", phone="555-0100"),
        ],
        notes=[NewNote(text="TESTING – DO NOT ACT", note_type="MTK")],
    )
    assert new_id == ticket_id
    [call] = bm.api_calls("POST", "/api/Ticket")
    assert call.json == {
        "clientId": 40123,
        "category": "VAS",
        "services": [{"serviceNumber": "VC07700012345"}, {"serviceNumber": "VC07700012346"}],
        "contacts": [
            {"type": "site", "email": "store112@example.com"},
            {"type": "ticket", "name": "Store Manager", "phone": "555-0100"},
        ],
        "notes": [{"noteType": "MTK", "noteValue": "TESTING – DO NOT ACT"}],
    }


@pytest.mark.parametrize(
    "payload", [{"ticketIDs": [42]}, {"TicketId": 42}, {"ticketIds": [], "ticketId": 42}]
)
async def test_create_ticket_answer_casing(bm, bruin, payload):
    bm.post("/api/Ticket", payload=payload)
    assert (
        await bruin.create_ticket(category="VOO", service_numbers=[], contacts=[], notes=[]) == 42
    )


@pytest.mark.parametrize("payload", [{"ticketIds": []}, {"ticketId": 0}, {}, ["x"]])
async def test_create_ticket_without_id_is_bad_response(bm, bruin, payload):
    bm.post("/api/Ticket", payload=payload)
    with pytest.raises(BadResponse):
        await bruin.create_ticket(category="VOO", service_numbers=[], contacts=[], notes=[])
    assert len(bm.api_calls("POST", "/api/Ticket")) == 1


# -- outage tickets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "outcome", "ticket_id"),
    [
        ("ticket_repair_created", OutageOutcome.CREATED, 6120502),
        ("ticket_repair_exists_in_progress", OutageOutcome.EXISTS_IN_PROGRESS, 6120455),
        ("ticket_repair_exists_resolved", OutageOutcome.EXISTS_RESOLVED, 6120455),
        ("ticket_repair_reopened", OutageOutcome.REOPENED, 6120455),
        ("ticket_repair_detail_added", OutageOutcome.DETAIL_ADDED, 6120455),
        ("ticket_repair_unavailable", OutageOutcome.UNAVAILABLE, 0),
    ],
)
async def test_create_outage_ticket_outcomes(bm, bruin, sample, answer, outcome, ticket_id):
    bm.post("/api/Ticket/repair", payload=sample(answer))
    result = await bruin.create_outage_ticket(
        service_number="VC07700012345", description="Edge offline since 09:05 ET"
    )
    assert result.outcome is outcome
    assert result.ticket_id == ticket_id
    [call] = bm.api_calls("POST", "/api/Ticket/repair")
    assert call.json == {
        "ClientID": 40123,
        "WTNs": ["VC07700012345"],
        "RequestDescription": "Edge offline since 09:05 ET",
    }


async def test_create_outage_ticket_with_contact_and_several_items(bm, bruin, sample):
    body = sample("ticket_repair_created")
    other = copy.deepcopy(body["assets"][0]) | {"wtn": "VC0OTHER", "ticketId": 1}
    body["assets"].insert(0, other)
    bm.post("/api/Ticket/repair", payload=body)
    result = await bruin.create_outage_ticket(
        service_number="vc07700012345",
        description="down",
        contact_email="noc@example.com",
        client_id=9994,
    )
    assert result.ticket_id == 6120502  # the item for our service number, not the first
    [call] = bm.api_calls("POST", "/api/Ticket/repair")
    assert call.json["ticketContact"] == {"email": "noc@example.com"}
    assert call.json["ClientID"] == 9994


@pytest.mark.parametrize("payload", [{"assets": []}, {}, {"items": "nope"}])
async def test_create_outage_ticket_without_outcome_is_bad_response(bm, bruin, payload):
    bm.post("/api/Ticket/repair", payload=payload)
    with pytest.raises(BadResponse):
        await bruin.create_outage_ticket(service_number="VC07700012345", description="x")


# -- an unreadable answer names the request that got it ------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "answer", "call"),
    [
        ("GET", "/api/Site", {"body": b"[]"}, lambda b: b.list_sites()),
        (
            "POST",
            "/api/Ticket",
            {"payload": {}},
            lambda b: b.create_ticket(category="VOO", service_numbers=[], contacts=[], notes=[]),
        ),
        (
            "POST",
            "/api/Ticket/6120455/notes/advanced",
            {"payload": {"ticketNotes": "nope"}},
            lambda b: b.add_notes(6120455, [NewNote(text="x")]),
        ),
        (
            "POST",
            "/api/Ticket/repair",
            {"payload": {"assets": []}},
            lambda b: b.create_outage_ticket(service_number="VC07700012345", description="x"),
        ),
        (
            "PUT",
            "/api/Ticket/6120455/close",
            {"body": b"{not json", "content_type": "application/json"},
            lambda b: b.close_ticket(6120455, "done"),
        ),
    ],
)
async def test_a_bad_answer_names_the_real_method(bm, bruin, method, path, answer, call):
    bm.register(method, path, **answer)
    with pytest.raises(BadResponse) as caught:
        await call(bruin)
    assert (caught.value.method, caught.value.path) == (method, path)
    assert f"({method} {path})" in str(caught.value)


# -- detail status and close ----------------------------------------------------------------


@pytest.mark.parametrize(("status", "operation"), [("R", "resolving"), ("O", "reopening")])
async def test_set_detail_status(bm, bruin, status, operation):
    path = "/api/Ticket/6120455/details/7390012/status"
    bm.put(path, payload={})
    assert await bruin.set_detail_status(6120455, 7390012, status) is None
    [call] = bm.api_calls("PUT", path)
    assert call.json == {"Status": status}

    bm.put(path, status=403)
    with pytest.raises(Forbidden) as caught:
        await bruin.set_detail_status(6120455, 7390012, status)
    assert f"{operation} a ticket" in caught.value.user_message()


async def test_set_detail_status_is_retried_as_idempotent(bm, bruin):
    path = "/api/Ticket/6120455/details/7390012/status"
    bm.put(path, status=503)
    bm.put(path, body=b"")
    await bruin.set_detail_status(6120455, 7390012, "R")
    assert len(bm.api_calls("PUT", path)) == 2


async def test_close_ticket(bm, bruin):
    path = "/api/Ticket/6120455/close"
    bm.put(path, body=b"")
    await bruin.close_ticket(6120455, "Resolved by carrier")
    [call] = bm.api_calls("PUT", path)
    assert call.json == {"CloseNote": "Resolved by carrier"}


async def test_close_ticket_conflict_and_no_blind_retry(bm, bruin, sample):
    path = "/api/Ticket/6120455/close"
    bm.put(path, status=409, payload=sample("ticket_close_error409"))
    with pytest.raises(Conflict) as caught:
        await bruin.close_ticket(6120455, "again")
    assert "already closed" in caught.value.user_message()
    bm.put(path, status=503)
    with pytest.raises(UpstreamUnavailable):
        await bruin.close_ticket(6120455, "again")
    assert len(bm.api_calls("PUT", path)) == 2  # one each: a close is not repeated


# -- inventory ------------------------------------------------------------------------------


async def test_list_inventory_defaults_to_active(bm, bruin, sample):
    bm.get("/api/Inventory", payload=sample("inventory_ok"))
    items = await bruin.list_inventory(
        service_number="VC07700012345", site_id=812, product_category="SD-WAN"
    )
    [call] = bm.api_calls("GET", "/api/Inventory")
    assert dict(call.query) == {
        "ClientId": "40123",
        "Status": "A",
        "ServiceNumber": "VC07700012345",
        "SiteID": "812",
        "ProductCategory": "SD-WAN",
    }
    assert [i.service_number for i in items] == ["VC07700012345"]


async def test_list_inventory_any_status(bm, bruin):
    bm.get("/api/Inventory", payload={"documents": []})
    assert await bruin.list_inventory(status=None, client_id=9994) == []
    [call] = bm.api_calls("GET", "/api/Inventory")
    assert dict(call.query) == {"ClientId": "9994"}


async def test_inventory_attributes_by_service_number(bm, bruin, sample):
    bm.get("/api/Inventory/Attribute", payload=sample("inventory_attribute_ok"))
    attrs = await bruin.get_inventory_attributes(service_number="VC07700012345")
    [call] = bm.api_calls("GET", "/api/Inventory/Attribute")
    assert dict(call.query) == {
        "ClientId": "40123",
        "Status": "A",
        "ServiceNumber": "VC07700012345",
    }
    assert attrs.management_status == "Active – Gold Monitoring"


async def test_inventory_attributes_by_inventory_id(bm, bruin, sample):
    bm.get("/api/Inventory/Attribute", payload=sample("inventory_attribute_ok"))
    attrs = await bruin.get_inventory_attributes(inventory_id="15500321")
    [call] = bm.api_calls("GET", "/api/Inventory/Attribute")
    assert dict(call.query) == {"InventoryId": "15500321"}
    assert attrs.serial_number == "VC07700012345"


async def test_inventory_attributes_needs_a_key(bm, bruin):
    with pytest.raises(ValueError, match="inventory_id or service_number"):
        await bruin.get_inventory_attributes()
    assert bm.calls() == []


# -- sites ----------------------------------------------------------------------------------


async def test_list_sites(bm, bruin, sample):
    bm.get("/api/Site", payload=sample("site_ok"))
    sites = await bruin.list_sites(address="Harbor", site_name="Store 112")
    [call] = bm.api_calls("GET", "/api/Site")
    assert dict(call.query) == {
        "ClientId": "40123",
        "Address": "Harbor",
        "SiteName": "Store 112",
    }
    assert [s.site_id for s in sites] == [812]


@pytest.mark.parametrize("answer", ["site_ok", "site_address1"])
async def test_get_site_both_shapes(bm, bruin, sample, answer):
    bm.get("/api/Site", payload=sample(answer))
    site = await bruin.get_site(812)
    assert site.site_id == 812
    assert site.address is not None
    assert site.address.line1 == "500 Harbor Blvd"
    [call] = bm.api_calls("GET", "/api/Site")
    assert call.param("SiteId") == "812"


async def test_get_site_not_found(bm, bruin):
    bm.get("/api/Site", payload={"documents": []})
    with pytest.raises(NotFound) as caught:
        await bruin.get_site(999)
    assert caught.value.user_message() == "Site 999 was not found."


# -- wiring ---------------------------------------------------------------------------------


async def test_observer_sees_every_exchange(bm, session, make_config, sample):
    seen: list[tuple[str, str, int | None]] = []
    bm.token("tok-1")
    path = "/api/Ticket/6120455/details"
    bm.get(path, status=503)
    bm.get(path, payload=sample("ticket_details_ok"))
    bruin = BruinClient.create(
        session,
        make_config(),
        observe=lambda info, status, seconds: seen.append((info.path, info.operation, status)),
    )
    await bruin.get_ticket_details(6120455)
    assert seen == [(path, "reading a ticket", 503), (path, "reading a ticket", 200)]


def test_client_repr_names_api_and_customer(make_client):
    text = repr(make_client())
    assert "https://api.bruin.test" in text
    assert "40123" in text
