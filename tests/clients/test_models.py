"""pydantic models of Bruin payloads: real field names, casing variants, odd shapes."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.clients.bruin.models import (
    Address,
    Contact,
    InventoryAttributes,
    InventoryItem,
    NewNote,
    OutageOutcome,
    OutageResult,
    Site,
    Ticket,
    TicketDetail,
    TicketDetails,
    TicketNote,
    TicketStatus,
    Topic,
    normalise_status,
    parse_bruin_datetime,
)

EST = dt.timezone(dt.timedelta(hours=-5))


def test_ticket_from_the_list_sample(sample):
    ticket = Ticket.model_validate(sample("ticket_list_ok")["responses"][0])
    assert ticket.ticket_id == 6120455
    assert ticket.client_id == 40123
    assert ticket.client_name == "Acme Retail LLC"
    assert ticket.category == "VOO"
    assert ticket.topic == "Service Outage Trouble"
    assert ticket.status is TicketStatus.IN_PROGRESS
    assert ticket.status_label == "In progress"
    # Bruin's US list form is New York time: 9:14 EST is 14:14 UTC.
    assert ticket.created_at == dt.datetime(2024, 3, 2, 14, 14, 7, tzinfo=dt.UTC)
    assert ticket.resolved_at is None
    assert ticket.severity == "2"
    assert ticket.most_recent_note == "Carrier dispatched"
    assert ticket.address is not None
    assert ticket.address.one_line() == "500 Harbor Blvd, Tampa, FL 33602-1100"


def test_ticket_casing_variants_and_hyphenated_status(sample):
    ticket = Ticket.model_validate(sample("ticket_list_hyphen_status")["responses"][0])
    assert ticket.ticket_id == 6120456  # "ticketId", not "ticketID"
    assert ticket.status is TicketStatus.IN_PROGRESS  # "In-Progress"
    assert ticket.severity == "3"  # int severity becomes text
    assert ticket.address is not None
    assert ticket.address.line1 == "500 Harbor Blvd"  # "address1" shape
    assert ticket.address.line2 == "Suite 4"
    assert ticket.created_at == dt.datetime(2024, 3, 3, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("key", ["ticketID", "ticketId", "TicketID", "TICKETID", "ticket_id"])
def test_ticket_id_key_casing(key):
    assert Ticket.model_validate({key: 77}).ticket_id == 77


def test_ticket_without_id_is_rejected():
    with pytest.raises(ValueError, match="ticketID"):
        Ticket.model_validate({"clientID": 1})


def test_unknown_fields_are_ignored():
    ticket = Ticket.model_validate({"ticketID": 1, "brandNewField": {"x": 1}})
    assert ticket.ticket_id == 1


def test_a_none_duplicate_does_not_hide_a_value():
    ticket = Ticket.model_validate({"ticketID": None, "ticketId": 9})
    assert ticket.ticket_id == 9


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("In-Progress", TicketStatus.IN_PROGRESS),
        ("InProgress", TicketStatus.IN_PROGRESS),
        ("in progress", TicketStatus.IN_PROGRESS),
        ("inprogress", TicketStatus.IN_PROGRESS),
        ("In_Review", TicketStatus.IN_REVIEW),
        ("NEW", TicketStatus.NEW),
        ("O", TicketStatus.NEW),
        ("Resolved", TicketStatus.RESOLVED),
        ("closed", TicketStatus.CLOSED),
        ("Draft", TicketStatus.DRAFT),
        ("Pending Vendor", "Pending Vendor"),
        (None, ""),
    ],
)
def test_normalise_status(value, expected):
    assert normalise_status(value) == expected


def test_status_labels_and_openness():
    assert TicketStatus.IN_REVIEW.label == "In review"
    assert TicketStatus.NEW.label == "New"
    assert TicketStatus.NEW.is_open
    assert TicketStatus.DRAFT.is_open
    assert not TicketStatus.RESOLVED.is_open
    assert not TicketStatus.CLOSED.is_open
    assert Ticket.model_validate({"ticketID": 1, "ticketStatus": "Weird"}).status_label == "Weird"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3/2/2024 9:14:07 AM", dt.datetime(2024, 3, 2, 14, 14, 7, tzinfo=dt.UTC)),
        ("12/31/2023 11:59:59 PM", dt.datetime(2024, 1, 1, 4, 59, 59, tzinfo=dt.UTC)),
        ("7/4/2024 9:00:00 AM", dt.datetime(2024, 7, 4, 13, 0, tzinfo=dt.UTC)),  # EDT
        ("2024-03-02T10:02:11.410-05:00", dt.datetime(2024, 3, 2, 10, 2, 11, 410000, EST)),
        ("2019-05-14T13:20:00Z", dt.datetime(2019, 5, 14, 13, 20, tzinfo=dt.UTC)),
        ("2024-03-02T10:02:11", dt.datetime(2024, 3, 2, 10, 2, 11, tzinfo=dt.UTC)),
        ("", None),
        (None, None),
        ("not a date", None),
        (12345, None),
    ],
)
def test_parse_bruin_datetime(value, expected):
    assert parse_bruin_datetime(value) == expected


def test_unparseable_dates_do_not_break_a_ticket():
    ticket = Ticket.model_validate({"ticketID": 1, "createDate": "yesterday-ish"})
    assert ticket.created_at is None


def test_ticket_details_sample(sample):
    details = TicketDetails.model_validate(sample("ticket_details_ok"))
    [detail] = details.details
    assert detail.detail_id == 7390012
    assert detail.detail_type == "Repair_WTN"
    assert detail.service_number == "VC07700012345"
    assert detail.current_task_name == "Holmdel NOC Investigate "
    assert detail.status_label == "in progress"
    assert not detail.is_resolved
    [note] = details.notes
    assert note.note_id == 90112233
    assert note.note_type == "ADN"
    assert note.text == "Edge offline since 09:05 ET"
    assert note.service_numbers == ["VC07700012345"]
    assert note.creator == "svc_chatops@example.com"
    assert note.created_at == dt.datetime(2024, 3, 2, 9, 15, 40, 120000, EST)


def test_ticket_details_variants(sample):
    details = TicketDetails.model_validate(sample("ticket_details_variants"))
    [detail] = details.details
    assert detail.detail_id == 7390013  # "detailId"
    assert detail.is_resolved
    assert detail.status_label == "resolved"
    older, newer = details.notes
    assert older.note_id == 90112234  # "noteID"
    assert older.service_numbers == ["VC07700012346"]  # a string, not an array
    assert newer.text == ""  # null noteValue
    assert newer.service_numbers == []
    assert [n.note_id for n in details.notes_newest_first()] == [90112235, 90112234]


@pytest.mark.parametrize(
    ("code", "label"), [("O", "open"), ("r", "resolved"), ("C", "completed"), ("", "unknown")]
)
def test_detail_status_labels(code, label):
    assert TicketDetail.model_validate({"detailID": 1, "detailStatus": code}).status_label == label


@pytest.mark.parametrize(
    "payload",
    [
        {"noteId": 5, "noteValue": "x", "serviceNumber": ["VC1", "VC2"]},
        {"noteID": 5, "noteValue": "x", "serviceNumbers": ["VC1", "VC2"]},
        {"NoteId": 5, "NoteValue": "x", "ServiceNumber": ["VC1", None, "VC2"]},
    ],
)
def test_note_casing_and_service_number_list(payload):
    note = TicketNote.model_validate(payload)
    assert note.note_id == 5
    assert note.text == "x"
    assert note.service_numbers == ["VC1", "VC2"]


def test_note_from_advanced_answer_uses_entered_fields(sample):
    note = TicketNote.model_validate(sample("note_advanced_ok")["ticketNotes"][0])
    assert note.note_id == 90112241
    assert note.detail_id == 7390012
    assert note.creator == "svc_chatops@example.com"
    assert note.created_at == dt.datetime(2024, 3, 2, 12, 1, tzinfo=EST)


def test_notes_without_dates_sort_last():
    details = TicketDetails.model_validate(
        {
            "ticketNotes": [
                {"noteId": 1, "noteValue": "undated"},
                {"noteId": 2, "noteValue": "dated", "createdDate": "2024-01-01T00:00:00Z"},
            ]
        }
    )
    assert [n.note_id for n in details.notes_newest_first()] == [2, 1]


def test_address_shapes():
    plain = Address.model_validate(
        {"address": "500 Harbor Blvd", "city": "Tampa", "state": "FL", "zip": "33602-1100"}
    )
    skill = Address.model_validate(
        {
            "address1": "500 Harbor Blvd",
            "address2": "Suite 4",
            "city": "Tampa",
            "state": "FL",
            "zip": "33602-1100",
        }
    )
    assert plain.line1 == skill.line1 == "500 Harbor Blvd"
    assert plain.one_line() == "500 Harbor Blvd, Tampa, FL 33602-1100"
    assert skill.one_line() == "500 Harbor Blvd, Suite 4, Tampa, FL 33602-1100"
    assert Address.model_validate({"AddressLine": "1 Main St"}).line1 == "1 Main St"
    assert Address.model_validate({"zip": 33602}).zip == "33602"


def test_site_samples_in_both_shapes(sample):
    site = Site.model_validate(sample("site_ok")["documents"][0])
    assert site.site_id == 812
    assert site.label == "Store 112 - Tampa"
    assert site.time_zone == "Eastern"
    assert site.contact_email == "store112@example.com"
    assert site.contact_phone is None
    assert site.address is not None
    assert site.address.address_id == 218840
    other = Site.model_validate(sample("site_address1")["documents"][0])
    assert other.site_id == 812  # "siteId"
    assert other.client_id == 40123  # "clientId"
    assert other.label == "Store 112 - Tampa"  # "siteName"
    assert other.identifier == "S112"
    assert other.address is not None
    assert other.address.line1 == "500 Harbor Blvd"
    assert other.address.line2 == "Suite 4"


def test_inventory_item_sample(sample):
    item = InventoryItem.model_validate(sample("inventory_ok")["documents"][0])
    assert item.inventory_id == "15500321"
    assert item.service_number == "VC07700012345"
    assert item.site_id == 812
    assert item.product_category == "SD-WAN"
    assert item.status_label == "active"
    assert item.installed_at == dt.datetime(2021, 6, 1, 16, tzinfo=dt.UTC)
    assert InventoryItem.model_validate({"inventoryID": 15500321}).inventory_id == "15500321"
    assert InventoryItem.model_validate({"status": "D"}).status_label == "disconnected"


def test_inventory_attributes_sample(sample):
    attrs = InventoryAttributes.model_validate(sample("inventory_attribute_ok"))
    assert attrs.management_status == "Active – Gold Monitoring"
    assert attrs.serial_number == "VC07700012345"
    assert attrs.get("management status") == "Active – Gold Monitoring"
    assert attrs.get("Missing") is None


def test_topic_sample(sample):
    topics = [Topic.model_validate(t) for t in sample("ticket_topics_ok")["callTypes"]]
    assert [(t.call_type, t.category) for t in topics] == [("REP", "VOO"), ("CHG", "053")]
    assert topics[1].category_description == "Add Additional Lines"


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("ticket_repair_created", OutageOutcome.CREATED),
        ("ticket_repair_exists_in_progress", OutageOutcome.EXISTS_IN_PROGRESS),
        ("ticket_repair_exists_resolved", OutageOutcome.EXISTS_RESOLVED),
        ("ticket_repair_reopened", OutageOutcome.REOPENED),
        ("ticket_repair_detail_added", OutageOutcome.DETAIL_ADDED),
        ("ticket_repair_unavailable", OutageOutcome.UNAVAILABLE),
    ],
)
def test_outage_outcomes_from_samples(sample, name, outcome):
    body = sample(name)
    item = (body.get("assets") or body.get("items"))[0]
    result = OutageResult.model_validate(item)
    assert result.outcome is outcome
    assert result.service_number == "VC07700012345"
    assert result.inventory_id == "15500321"  # a number in the answer


@pytest.mark.parametrize(
    ("item", "outcome"),
    [
        ({"TicketId": 5, "ErrorCode": "471"}, OutageOutcome.EXISTS_RESOLVED),
        ({"ticketId": 5, "errorCode": 0}, OutageOutcome.CREATED),
        ({"ticketId": 5, "errorCode": 200}, OutageOutcome.CREATED),
        ({"ticketId": 5, "errorCode": 403}, OutageOutcome.FAILED),
        ({"ticketId": 0, "errorCode": 409}, OutageOutcome.EXISTS_IN_PROGRESS),
        ({}, OutageOutcome.UNAVAILABLE),
    ],
)
def test_outage_outcome_rules(item, outcome):
    assert OutageResult.model_validate(item).outcome is outcome


def test_new_note_and_contact_dump_with_api_names():
    note = NewNote(text="Circuit down", note_type="MTK", service_number="VC07700012345")
    assert note.model_dump(by_alias=True, exclude_none=True) == {
        "noteValue": "Circuit down",
        "noteType": "MTK",
        "serviceNumber": "VC07700012345",
    }
    assert NewNote(text="x", detail_id=7).model_dump(by_alias=True, exclude_none=True) == {
        "noteValue": "x",
        "noteType": "ADN",
        "detailId": 7,
    }
    contact = Contact(email="store112@example.com")
    assert contact.model_dump(by_alias=True, exclude_none=True) == {
        "type": "site",
        "email": "store112@example.com",
    }
