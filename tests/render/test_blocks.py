"""Block Kit output: backend text escaped, Slack's limits respected, slack_sdk accepts it."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.clients.bruin.models import InventoryItem, Ticket, TicketDetails
from bot.render.blocks import (
    MAX_BLOCKS,
    error_message,
    inventory_list,
    note_added,
    ticket_card,
)
from bot.render.terminal import render_terminal
from bot.render.text import escape, truncate

EVIL = "<!channel> call me & <https://evil.example|click here> now"


def _ticket(**extra: object) -> Ticket:
    return Ticket.model_validate(
        {
            "clientID": 40123,
            "ticketID": 4503,
            "ticketStatus": "In-Progress",
            "category": "VOO",
            "topic": "Service Outage Trouble",
            "createDate": "3/2/2024 9:14:07 AM",
            "createdBy": "Chatops Bot",
            "address": {"address": "500 Harbor Blvd", "city": "Tampa", "state": "FL"},
            **extra,
        }
    )


def _details(note_text: str, count: int = 1) -> TicketDetails:
    return TicketDetails.model_validate(
        {
            "ticketDetails": [
                {"detailID": 1, "detailValue": "VC07700012345", "detailStatus": "I"},
            ],
            "ticketNotes": [
                {
                    "noteId": i,
                    "noteValue": note_text,
                    "createdDate": f"2024-03-02T09:{i % 60:02d}:40.120-05:00",
                    "creator": "noc@example.com",
                }
                for i in range(count)
            ],
        }
    )


def _all_text(payload: dict[str, object]) -> str:
    return json.dumps(payload, ensure_ascii=False)


def test_backend_text_cannot_ping_or_forge_links() -> None:
    payload = ticket_card(_ticket(), _details(EVIL), portal_url="https://app.bruin.com").to_dict()
    text = _all_text(payload)
    assert "<!channel>" not in text
    assert "<https://evil.example" not in text
    assert "&lt;!channel&gt; call me &amp; &lt;https://evil.example|click here&gt;" in text


def test_long_note_is_cut_with_an_ellipsis_within_limits() -> None:
    card = ticket_card(_ticket(), _details("x" * 10_000), portal_url="https://p")
    payload = card.to_dict()  # slack_sdk validation runs here
    sections = [b for b in payload["blocks"] if b["type"] == "section" and "text" in b]
    note = next(s for s in sections if "noc@example.com" in s["text"]["text"])
    assert len(note["text"]["text"]) <= 3000
    assert note["text"]["text"].endswith("…")


def test_card_shows_status_category_site_service_numbers_and_portal_link() -> None:
    payload = ticket_card(_ticket(), _details("Carrier dispatched"), portal_url="https://p/")
    text = _all_text(payload.to_dict())
    assert "Ticket 4503 · In progress" in text
    assert "Service Outage Trouble" in text
    assert "500 Harbor Blvd, Tampa, FL" in text
    assert "VC07700012345" in text
    assert "https://p/ticket/4503" in text


def test_only_the_latest_three_notes_are_on_the_card() -> None:
    payload = ticket_card(_ticket(), _details("n", count=7), portal_url="https://p").to_dict()
    assert "(3 of 7)" in _all_text(payload)


def test_huge_inventory_stays_within_fifty_blocks() -> None:
    items = [
        InventoryItem.model_validate(
            {"serviceNumber": f"VC{i:011d}", "status": "A", "siteLabel": "S" * 200}
        )
        for i in range(2000)
    ]
    payload = inventory_list(items, search=None, limit=2000).to_dict()
    assert len(payload["blocks"]) <= MAX_BLOCKS


def test_truncate_never_splits_an_entity() -> None:
    assert truncate(escape("a" * 8 + "&b"), 10) == "aaaaaaaa…"


def test_error_message_is_one_sentence_and_not_ok() -> None:
    msg = error_message("Ticket 999 was not found.", usage="/ticket show <id>")
    assert not msg.ok
    assert msg.text == "Ticket 999 was not found."


def test_terminal_rendering_unescapes_and_numbers_buttons() -> None:
    card = ticket_card(_ticket(), _details("A & B <ok>"), portal_url="https://p")
    out = render_terminal(card.to_dict())
    assert "A & B <ok>" in out
    assert "Open in Bruin: https://p/ticket/4503" in out


def test_note_added_is_public() -> None:
    assert note_added(4503, "text\n— via Slack by dana (U1)", author="dana").public


@settings(max_examples=150, deadline=None)
@given(
    note=st.text(max_size=5000),
    topic=st.text(max_size=400),
    creator=st.text(max_size=300),
)
def test_any_backend_text_gives_a_valid_card(note: str, topic: str, creator: str) -> None:
    details = TicketDetails.model_validate(
        {"ticketNotes": [{"noteValue": note, "creator": creator}], "ticketDetails": []}
    )
    payload = ticket_card(_ticket(topic=topic), details, portal_url="https://p").to_dict()
    for block in payload["blocks"]:
        assert Block.parse(block) is not None
    # The card itself writes no links or mentions, only its own date tokens (each reader's
    # local time: a number and a fallback of digits), so no other "<" may survive.
    own_date = re.compile(r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9: -]+UTC>")
    assert all("<" not in own_date.sub("", text) for text in _mrkdwn_texts(payload))


def _mrkdwn_texts(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "mrkdwn" else []
        return found + [t for v in node.values() for t in _mrkdwn_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _mrkdwn_texts(v)]
    return []
