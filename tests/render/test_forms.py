"""One form spec, validated the same way everywhere, rendered within Slack's limits."""

from __future__ import annotations

import pytest
from slack_sdk.models.views import View

from bot.clients.bruin.models import Topic
from bot.core.forms import Option, pack, parse_state, unpack
from bot.render.forms import form_view, info_view, options_payload
from bot.slack.interactive import slack_plain
from handlers.ticket import default_topic
from handlers.ticket_actions import create_form, message_note_form

TOPICS = [
    Topic(call_type="REP", category="VOO", category_description="Service Outage Trouble"),
    Topic(call_type="REP", category="VAS", category_description="Service Affecting Trouble"),
    Topic(call_type="CHG", category="053", category_description="Add Additional Lines"),
]


def test_the_create_form_renders_one_input_per_field_keyed_by_block_id() -> None:
    form = create_form({"new_service": "VC1"}, topics=TOPICS, channel_id="C0OPS", customer=1)
    view = form_view(form, metadata=pack(form.meta))
    assert View(**view).validate_json() is None  # slack_sdk's own limits
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == [
        "new_service",
        "new_category",
        "new_description",
        "new_contact_name",
        "new_contact_email",
        "new_contact_phone",
        "new_post_updates",
    ]
    assert all(b["element"]["action_id"] == b["block_id"] for b in inputs)
    category = inputs[1]["element"]
    assert category["initial_option"]["value"] == "VAS"
    assert unpack(view["private_metadata"]) == {"ch": "C0OPS", "cu": 1}


def test_before_a_service_number_the_category_is_a_hint_not_an_input() -> None:
    form = create_form({}, channel_id="")
    view = form_view(form)
    ids = [b.get("block_id") for b in view["blocks"]]
    assert "new_category" not in ids
    assert "new_category_pending" in ids
    assert "new_post_updates" not in ids  # no channel, nothing to post in
    assert "direct message" in str(view["blocks"][0])
    # Validation never names the missing input (Slack would reject the key).
    assert "new_category" not in form.validate({"new_service": "VC1"})


def test_validation_is_the_same_sentence_for_slack_and_console() -> None:
    form = create_form({}, topics=TOPICS, channel_id="C0OPS")
    errors = form.validate(
        {"new_service": "VC1", "new_category": "XYZ", "new_contact_email": "dana@"}
    )
    assert errors == {
        "new_category": "Pick one of the listed choices.",
        "new_description": "Describe the problem.",
        "new_contact_name": "Enter the site contact name.",
        "new_contact_email": "That does not look like an email address.",
    }
    ok = {
        "new_service": "VC1",
        "new_category": "VOO",
        "new_description": "down",
        "new_contact_name": "Dana",
        "new_contact_phone": "+1 (813) 555-0142",
    }
    assert form.validate(ok) == {}
    assert form.validate(ok | {"new_contact_phone": "call me"}) == {
        "new_contact_phone": "Enter a phone number with digits only (spaces, +, -, ( ) are fine)."
    }
    note = message_note_form("text")
    assert note.validate({"note_ticket": "45o3", "note_text": "x"}) == {
        "note_ticket": "Enter a ticket number, like 4503."
    }


def test_state_values_of_every_element_kind_parse_back() -> None:
    state = {
        "values": {
            "a": {"a": {"type": "plain_text_input", "value": "text"}},
            "b": {"b": {"type": "external_select", "selected_option": {"value": "VC1"}}},
            "c": {"c": {"type": "static_select", "selected_option": None}},
            "d": {"d": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}},
            "e": {"e": {"type": "email_text_input", "value": None}},
        }
    }
    assert parse_state(state) == {"a": "text", "b": "VC1", "c": "", "d": "yes", "e": ""}


def test_options_and_metadata_stay_within_slack_limits() -> None:
    many = [Option(f"SN{n:04d}" + "x" * 200, "label " * 40) for n in range(150)]
    payload = options_payload(many)
    assert len(payload) == 100
    assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in payload)
    with pytest.raises(ValueError, match="limit 3000"):
        pack({"d": "x" * 3000})
    assert unpack("not json") == {}
    assert unpack('["a list"]') == {}
    view = info_view("A title far longer than twenty-four", ["done"], link=("Open", "https://x"))
    assert len(view["title"]["text"]) <= 24


def test_default_category_prefers_service_affecting_then_outage() -> None:
    assert default_topic(TOPICS).category == "VAS"  # type: ignore[union-attr]
    assert default_topic(TOPICS[:1]).category == "VOO"  # type: ignore[union-attr]
    assert default_topic(TOPICS[2:]) is None


def test_slack_markup_becomes_plain_text_for_bruin() -> None:
    text = "down at <https://s.example|store 112> &amp; <@U1|dana> <#C1|ops> <!here> <@U2>"
    assert slack_plain(text) == "down at store 112 (https://s.example) & @dana #ops @here @U2"
