"""Bruin webhook signatures and bodies (pure functions)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.notify.webhook import WebhookError, WebhookEvent, parse_event, sign_body, verify

SECRET = "whsec-test-0123456789"


def test_signature_is_upper_case_hex_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"eventType":"NewNoteAdded","ticketId":4503}'
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest().upper()
    assert sign_body(body, SECRET) == expected
    assert verify(body, expected, SECRET)
    assert verify(body, expected.lower(), SECRET)  # hex case tolerated


@pytest.mark.parametrize("signature", [None, "", "00" * 32, "not-hex"])
def test_missing_or_forged_signatures_fail(signature: str | None) -> None:
    assert not verify(b"{}", signature, SECRET)


def test_a_changed_body_fails_its_old_signature() -> None:
    signature = sign_body(b'{"ticketId":1}', SECRET)
    assert not verify(b'{"ticketId":2}', signature, SECRET)


@pytest.mark.parametrize(
    "body",
    [
        {"eventType": "NewNoteAdded", "ticketId": 4503, "clientId": 40123, "noteId": 901},
        {"EventType": "NewNoteAdded", "TicketID": "4503", "ClientID": "40123"},
        {"eventtype": "NewNoteAdded", "ticketid": 4503, "clientid": 40123},
    ],
)
def test_any_key_casing_parses(body: dict[str, object]) -> None:
    assert parse_event(json.dumps(body).encode()) == WebhookEvent("NewNoteAdded", 4503, 40123)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"eventType":"Deleted","ticketId":1}',
        b'{"eventType":"Closed"}',
        b'{"eventType":"Closed","ticketId":-4}',
    ],
)
def test_bad_bodies_are_refused_with_a_reason(body: bytes) -> None:
    with pytest.raises(WebhookError):
        parse_event(body)


@given(st.binary(max_size=400))
def test_any_body_parses_or_is_refused(body: bytes) -> None:
    try:
        event = parse_event(body)
    except WebhookError:
        return
    assert event.ticket_id > 0
