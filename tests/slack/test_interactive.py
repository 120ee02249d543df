"""Buttons, modals, shortcuts and the App Home over the real HTTP endpoint, as Slack drives
them: signed payloads of Slack's own shapes in, Web API calls at the fake Slack and writes
at the Bruin sandbox out."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import pytest

from bot.sandbox import Fault
from bot.slack.app import SlackBot
from tests.fakes.slack import SlackCall
from tests.fakes.slack_signing import (
    app_home_opened_event,
    block_actions_payload,
    block_actions_view_payload,
    block_suggestion_payload,
    message_action_payload,
    plain_text_input_value,
    shortcut_payload,
    slash_command_body,
    static_select_value,
    view_submission_payload,
)
from tests.slack.conftest import Answer, Harness, dumps, opened_meta, sealed, sealed_meta, wait_for

AUDIT = "— via Slack by dana (U0CALLER)"
OUTAGE_FREE = "VC07700012349"
"""An active service number with no ticket at all in the sandbox seed."""


# -- helpers ----------------------------------------------------------------------------------


def bot_of(h: Harness) -> SlackBot:
    return h.bot.server.bot


async def settled(h: Harness) -> None:
    """Wait (bounded) until every listener the bot started has finished."""
    await wait_for(lambda: len(bot_of(h).inflight) == 0)


def opened_with(h: Harness, trigger: str) -> list[SlackCall]:
    return [c for c in h.slack.calls_to("views.open") if c.params.get("trigger_id") == trigger]


async def slash(
    h: Harness, text: str, *, channel: str = "C0OPS", trigger: str | None = None
) -> tuple[Answer, str]:
    key = f"cmd{time.monotonic_ns()}"
    url = h.slack.response_url(key, user_id="U0CALLER")
    body = slash_command_body(
        command="/ticket", text=text, response_url=url, channel_id=channel, trigger_id=trigger
    )
    return await h.post_signed(body), key


async def open_create_form(h: Harness, *, channel: str = "C0OPS") -> dict[str, Any]:
    """``/ticket new``: the modal as the fake Slack holds it after the contact prefill."""
    trigger = h.slack.issue_trigger_id()
    updates = len(h.slack.calls_to("views.update"))
    answer, _ = await slash(h, "new", channel=channel, trigger=trigger)
    assert answer.status == 200
    call = (await wait_for(lambda: opened_with(h, trigger)))[0]
    assert call.error is None, call.error
    await wait_for(lambda: len(h.slack.calls_to("views.update")) > updates)
    return h.slack.views[call.response["view"]["id"]]


def service_value(number: str | None) -> dict[str, Any]:
    option = None
    if number:
        option = {"text": {"type": "plain_text", "text": number}, "value": number}
    return {"type": "external_select", "selected_option": option}


def create_values(
    *,
    service: str | None = "VC07700012345",
    category: str | None = "VAS",
    description: str | None = "Edge offline since 09:05",
    name: str | None = "Dana Ops",
    email: str | None = "dana@example.com",
    phone: str | None = None,
    updates: bool = True,
) -> dict[str, dict[str, Any]]:
    boxes = [{"text": {"type": "plain_text", "text": "Post updates"}, "value": "yes"}]
    values: dict[str, dict[str, Any]] = {
        "new_service": {"new_service": service_value(service)},
        "new_description": {"new_description": plain_text_input_value(description)},
        "new_contact_name": {"new_contact_name": plain_text_input_value(name)},
        "new_contact_email": {"new_contact_email": {"type": "email_text_input", "value": email}},
        "new_contact_phone": {"new_contact_phone": plain_text_input_value(phone)},
        "new_post_updates": {
            "new_post_updates": {"type": "checkboxes", "selected_options": boxes if updates else []}
        },
    }
    if category:
        values["new_category"] = {"new_category": static_select_value(category)}
    return values


async def submit(h: Harness, view: dict[str, Any], values: dict[str, Any]) -> Answer:
    return await h.action(view_submission_payload(view=view, values=values))


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """action_id -> button element, from a message or view payload."""
    found: dict[str, dict[str, Any]] = {}
    for block in message.get("blocks") or []:
        elements = block.get("elements") or []
        if block.get("accessory"):
            elements = [*elements, block["accessory"]]
        for element in elements:
            if element.get("type") == "button":
                found[element["action_id"]] = element
    return found


async def click(
    h: Harness,
    button: dict[str, Any],
    *,
    key: str | None = None,
    message_ts: str = "1700000000.000100",
    ephemeral: bool = True,
    channel: str = "C0OPS",
) -> tuple[Answer, str]:
    """A click on ``button`` in a message; returns the ack and the response_url's key."""
    key = key or f"click{time.monotonic_ns()}"
    url = h.slack.response_url(key, user_id="U0CALLER")
    payload = block_actions_payload(
        action_id=button["action_id"],
        block_id="b1",
        value=button.get("value"),
        response_url=url,
        message_ts=message_ts,
        is_ephemeral=ephemeral,
        channel_id=channel,
        trigger_id=h.slack.issue_trigger_id(),
    )
    return await h.action(payload), key


def posts_to(h: Harness, channel: str) -> list[SlackCall]:
    return [
        c
        for c in h.slack.calls_to("chat.postMessage")
        if c.params.get("channel") == channel and c.error is None
    ]


# -- /ticket new: the create modal ----------------------------------------------------------


async def test_ticket_new_opens_the_form_at_once_then_fills_the_contact(harness: Harness) -> None:
    view = await open_create_form(harness)
    opened = harness.slack.calls_to("views.open")[0]
    first = json.dumps(opened.params["view"])
    assert '"callback_id": "ticket_create"' in first
    assert "Dana Ops" not in first  # opened before users.info answered
    update = harness.slack.calls_to("views.update")[0]
    assert update.params["hash"] == opened.response["view"]["hash"]
    assert update.error is None
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert inputs["new_contact_name"]["element"]["initial_value"] == "Dana Ops"
    assert inputs["new_contact_email"]["element"]["initial_value"] == "dana@example.com"
    assert inputs["new_service"]["element"]["type"] == "external_select"
    assert inputs["new_service"]["dispatch_action"] is True
    assert "new_post_updates" in inputs
    meta = opened_meta(view)
    assert meta | {"ch": "C0OPS", "u": "U0CALLER"} == meta
    assert not harness.sandbox.bruin.called("ticket.create")


async def test_service_search_offers_only_active_numbers_within_limits(harness: Harness) -> None:
    view = await open_create_form(harness)
    answer = await harness.action(
        block_suggestion_payload(
            action_id="new_service", block_id="new_service", value="vc077", view=view
        )
    )
    options = json.loads(answer.text)["options"]
    values = [o["value"] for o in options]
    assert values[:5] == [f"VC0770001234{n}" for n in range(5, 10)]
    assert all("VC077" in v for v in values)
    everything = await harness.action(
        block_suggestion_payload(
            action_id="new_service", block_id="new_service", value="", view=view
        )
    )
    listed = json.loads(everything.text)["options"]
    numbers = {o["value"] for o in listed}
    assert "44.L1XN.208840..ATT" not in numbers  # suspended
    assert "6025550133" not in numbers  # disconnected
    assert "VC07709990001" not in numbers  # another customer
    assert 10 <= len(listed) <= 100
    assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in listed)


async def test_picking_a_service_number_loads_its_categories(harness: Harness) -> None:
    view = await open_create_form(harness)
    before = len(harness.slack.calls_to("views.update"))
    action = {
        "type": "external_select",
        "action_id": "new_service",
        "block_id": "new_service",
        "selected_option": service_value("8135550142")["selected_option"],
    }
    state = {"new_description": {"new_description": plain_text_input_value("no dial tone")}}
    await harness.action(block_actions_view_payload(action=action, view=view, state_values=state))
    update = (await wait_for(lambda: harness.slack.calls_to("views.update")[before:]))[0]
    assert update.error is None
    assert update.params["hash"] == view["hash"]
    blocks = {b.get("block_id"): b for b in update.params["view"]["blocks"]}
    category = blocks["new_category"]["element"]
    assert [o["value"] for o in category["options"]] == ["VOO", "VAS", "053", "017", "020", "004"]
    assert category["initial_option"]["value"] == "VAS"
    assert blocks["new_description"]["element"]["initial_value"] == "no dial tone"
    assert blocks["new_service"]["element"]["initial_option"]["value"] == "8135550142"
    # Not in the submitted state: the contact still comes from the profile.
    assert blocks["new_contact_name"]["element"]["initial_value"] == "Dana Ops"


async def test_a_double_submission_creates_one_signed_ticket_and_posts_its_card(
    harness: Harness,
) -> None:
    view = await open_create_form(harness)
    values = create_values()
    first, second = await asyncio.gather(
        submit(harness, view, values), submit(harness, view, values)
    )
    acks = sorted([first.text, second.text])
    assert acks[0] == ""  # the repeat closes quietly
    assert json.loads(acks[1])["response_action"] == "update"
    card = (await wait_for(lambda: posts_to(harness, "C0OPS")))[0]
    await wait_for(lambda: harness.slack.views[view["id"]]["title"]["text"] == "Ticket created")
    creates = harness.sandbox.bruin.payloads("ticket.create")
    assert len(creates) == 1
    body = creates[0]
    assert body["category"] == "VAS"
    assert body["services"] == [{"serviceNumber": "VC07700012345"}]
    site = next(c for c in body["contacts"] if c["type"] == "site")
    assert site == {"type": "site", "email": "dana@example.com", "name": "Dana Ops"}
    assert body["notes"] == [{"noteType": "MTK", "noteValue": f"Edge offline since 09:05\n{AUDIT}"}]
    ticket_id = int(re.search(r"opened ticket \*(\d+)\*", dumps(card.params)).group(1))  # type: ignore[union-attr]
    store = bot_of(harness).store
    assert await store.is_watching("C0OPS", ticket_id)
    assert [t.ticket_id for t in await store.slack_tickets_of("U0CALLER")] == [ticket_id]
    done = dumps(harness.slack.views[view["id"]])
    assert f"Ticket *{ticket_id}* is created" in done
    assert "Updates will be posted in <#C0OPS>" in done


async def test_form_errors_show_next_to_their_fields_and_nothing_is_written(
    harness: Harness,
) -> None:
    view = await open_create_form(harness)
    bad = create_values(description=None, email="not-an-email")
    answer = await submit(harness, view, bad)
    body = json.loads(answer.text)
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"new_description", "new_contact_email"}
    no_contact = await submit(harness, view, create_values(email=None, phone=None))
    assert json.loads(no_contact.text)["errors"] == {
        "new_contact_email": "Bruin needs an email, or a phone number with the name."
    }
    no_service = await submit(harness, view, create_values(service=None))
    assert "new_service" in json.loads(no_service.text)["errors"]
    assert not harness.sandbox.bruin.called("ticket.create")


async def test_a_refused_write_keeps_the_form_with_the_reason_and_may_be_retried(
    harness: Harness,
) -> None:
    harness.sandbox.bruin.faults.set("ticket.create", Fault(status=400, times=1))
    view = await open_create_form(harness)
    values = create_values(updates=False)
    await submit(harness, view, values)
    await wait_for(
        lambda: "did not create the ticket" in dumps(harness.slack.views[view["id"]]["blocks"])
    )
    again = harness.slack.views[view["id"]]
    assert again["callback_id"] == "ticket_create"
    assert not posts_to(harness, "C0OPS")
    await submit(harness, again, values)  # same view id: the failed claim was released
    await wait_for(lambda: posts_to(harness, "C0OPS"))
    assert len(harness.sandbox.bruin.payloads("ticket.create")) == 2


async def test_where_the_bot_is_not_a_member_the_card_goes_by_response_url(
    harness: Harness,
) -> None:
    view = await open_create_form(harness, channel="C0GENERAL")
    await submit(harness, view, create_values(updates=True))
    await wait_for(lambda: harness.slack.views[view["id"]]["title"]["text"] == "Ticket created")
    in_channel = [r for r in harness.slack.responses if r.body.get("response_type") == "in_channel"]
    assert "opened ticket" in dumps(in_channel[0].body)
    done = dumps(harness.slack.views[view["id"]])
    assert "I am not in <#C0GENERAL>" in done
    assert not await bot_of(harness).store.list_watches(channel_id="C0GENERAL")


# -- /ticket new <sn> <description…>: preview, Create / Cancel --------------------------------


async def test_quick_new_previews_and_create_writes_once_however_often_clicked(
    harness: Harness,
) -> None:
    _, key = await slash(harness, 'new VC07700012346 "router keeps rebooting"')
    preview = await harness.reply(key)
    assert preview["response_type"] == "ephemeral"
    assert "VAS — Service Affecting Trouble" in dumps(preview)
    assert not harness.sandbox.bruin.called("ticket.create")
    create = buttons(preview)["ticket_preview_create"]
    (_, k1), (_, k2) = await asyncio.gather(click(harness, create), click(harness, create))
    await wait_for(lambda: posts_to(harness, "C0OPS"))
    replaced = await wait_for(
        lambda: [
            r for r in harness.replies(k1) + harness.replies(k2) if r.body.get("replace_original")
        ]
    )
    assert "Created ticket" in dumps(replaced[0].body)
    creates = harness.sandbox.bruin.payloads("ticket.create")
    assert len(creates) == 1
    assert creates[0]["notes"][0]["noteValue"] == f"router keeps rebooting\n{AUDIT}"
    assert creates[0]["contacts"][0]["email"] == "dana@example.com"
    _, k3 = await click(harness, buttons(preview)["ticket_preview_cancel"])
    await settled(harness)  # the click's listener has finished: nothing followed it
    assert harness.replies(k3) == []
    assert len(harness.sandbox.bruin.payloads("ticket.create")) == 1


async def test_cancel_deletes_the_preview_and_create_after_it_does_nothing(
    harness: Harness,
) -> None:
    _, key = await slash(harness, "new VC07700012346 flapping")
    preview = await harness.reply(key)
    _, k1 = await click(harness, buttons(preview)["ticket_preview_cancel"])
    deleted = await harness.reply(k1)
    assert deleted == {"delete_original": True}
    _, k2 = await click(harness, buttons(preview)["ticket_preview_create"])
    await settled(harness)
    assert harness.replies(k2) == []
    assert not harness.sandbox.bruin.called("ticket.create")


# -- /ticket outage ----------------------------------------------------------------------------


async def test_outage_on_a_number_with_an_open_ticket_offers_add_as_note(harness: Harness) -> None:
    _, key = await slash(harness, "outage VC07700012345 edge down since 9")
    reply = await harness.reply(key)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"] == (
        "Ticket 4503 is already in progress for VC07700012345, so Bruin opened no new one."
    )
    repair = harness.sandbox.bruin.payloads("ticket.repair")[0]
    assert repair["RequestDescription"] == f"edge down since 9\n{AUDIT}"
    assert repair["ticketContact"] == {"email": "dana@example.com"}
    add = buttons(reply)["ticket_outage_note"]
    await asyncio.gather(click(harness, add), click(harness, add))
    await wait_for(lambda: posts_to(harness, "C0OPS"))
    notes = [c for c in harness.sandbox.bruin.calls if c.route == "note.add"]
    assert [(c.path, c.body) for c in notes] == [
        ("/api/Ticket/4503/notes", {"note": f"edge down since 9\n{AUDIT}"})
    ]


async def test_outage_that_creates_posts_the_new_card(harness: Harness) -> None:
    _, key = await slash(harness, f"outage {OUTAGE_FREE} site dark")
    post = (await wait_for(lambda: posts_to(harness, "C0OPS")))[0]
    assert "opened outage ticket" in dumps(post.params)
    ticket_id = int(re.search(r"ticket \*(\d+)\*", dumps(post.params)).group(1))  # type: ignore[union-attr]
    assert [t.ticket_id for t in await bot_of(harness).store.slack_tickets_of("U0CALLER")] == [
        ticket_id
    ]
    assert harness.replies(key) == []


async def test_outage_when_bruin_cannot_open_one_points_to_ticket_new(harness: Harness) -> None:
    harness.sandbox.bruin.repair_unavailable = True
    _, key = await slash(harness, f"outage {OUTAGE_FREE} site dark")
    reply = await harness.reply(key)
    assert reply["text"] == "Bruin's outage feature is unavailable right now; try /ticket new."
    assert reply["response_type"] == "ephemeral"


async def test_too_long_for_a_button_is_refused_before_anything_is_written(
    harness: Harness,
) -> None:
    long = " ".join(["word"] * 400)  # 1999 characters
    for text in (f"outage {OUTAGE_FREE} {long}", f"new {OUTAGE_FREE} {long}"):
        _, key = await slash(harness, text)
        reply = await harness.reply(key)
        assert "characters; at most 1500 here" in reply["text"]
    assert not harness.sandbox.bruin.called("ticket.repair")
    assert not harness.sandbox.bruin.called("ticket.topics")


# -- resolve / reopen / close and the card's buttons -------------------------------------------


async def test_resolve_reopen_and_close_are_signed_writes(harness: Harness) -> None:
    await slash(harness, "resolve 4503 carrier fixed the fibre")
    await wait_for(lambda: posts_to(harness, "C0OPS"))
    statuses = harness.sandbox.bruin.payloads("detail.status")
    assert statuses == [{"Status": "R"}, {"Status": "R"}]
    assert harness.sandbox.bruin.payloads("note.add")[0]["note"] == (
        f"carrier fixed the fibre\n{AUDIT}"
    )
    assert "resolved 2 service lines of ticket *4503*" in dumps(
        posts_to(harness, "C0OPS")[0].params
    )
    _, key = await slash(harness, "resolve 4503")
    assert "no open service lines" in (await harness.reply(key))["text"]
    await slash(harness, "reopen 4503")
    await wait_for(lambda: len(posts_to(harness, "C0OPS")) == 2)
    assert harness.sandbox.bruin.payloads("detail.status")[2:] == [{"Status": "O"}] * 2
    await slash(harness, 'close 4503 "replaced the router"')
    await wait_for(lambda: len(posts_to(harness, "C0OPS")) == 3)
    assert harness.sandbox.bruin.payloads("ticket.close") == [
        {"CloseNote": f"replaced the router\n{AUDIT}"}
    ]
    _, key = await slash(harness, "resolve 4504 service=NOPE")
    assert "has no service number 'NOPE'" in (await harness.reply(key))["text"]


async def test_resolve_on_an_ephemeral_card_confirms_writes_once_and_updates_it(
    harness: Harness,
) -> None:
    _, key = await slash(harness, "show 4504")
    card = await harness.reply(key)
    found = buttons(card)
    assert {"ticket_card_note", "ticket_card_resolve", "ticket_card_watch", "open_link"} <= set(
        found
    )
    confirm = found["ticket_card_resolve"]["confirm"]
    assert confirm["title"]["text"] == "Resolve ticket 4504?"
    assert len(confirm["text"]["text"]) <= 300
    # A slow Bruin keeps the first click busy while the second arrives.
    harness.sandbox.bruin.faults.set("detail.status", Fault(latency=0.5, times=1))
    (_, k1), (_, k2) = await asyncio.gather(
        click(harness, found["ticket_card_resolve"]), click(harness, found["ticket_card_resolve"])
    )
    updated = await wait_for(
        lambda: [
            r.body
            for r in harness.replies(k1) + harness.replies(k2)
            if r.body.get("replace_original")
        ]
    )
    assert len(harness.sandbox.bruin.payloads("detail.status")) == 1
    assert "Ticket 4504 · Resolved" in dumps(updated[0])
    assert "ticket_card_reopen" in buttons(updated[0])
    assert "ticket_card_resolve" not in buttons(updated[0])
    # An ephemeral card is only the clicker's: the team hears about the write in the channel
    # (posted after the card update: wait for it rather than race it).
    notice = await wait_for(lambda: posts_to(harness, "C0OPS"))
    assert "resolved 1 service line of ticket *4504*" in dumps(notice[0].params)


async def test_watch_on_a_channel_card_updates_it_with_chat_update(harness: Harness) -> None:
    await slash(harness, "reopen 4502")
    post = (await wait_for(lambda: posts_to(harness, "C0OPS")))[0]
    ts = post.response["ts"]
    watch = buttons(post.params)["ticket_card_watch"]
    await click(harness, watch, message_ts=ts, ephemeral=False)
    update = (await wait_for(lambda: harness.slack.calls_to("chat.update")))[0]
    assert update.params["ts"] == ts
    assert update.error is None
    assert "ticket_card_unwatch" in buttons(update.params)
    assert await bot_of(harness).store.is_watching("C0OPS", 4502)
    unwatch = buttons(update.params)["ticket_card_unwatch"]
    await click(harness, unwatch, message_ts=ts, ephemeral=False)
    await wait_for(lambda: len(harness.slack.calls_to("chat.update")) == 2)
    assert not await bot_of(harness).store.is_watching("C0OPS", 4502)


async def test_add_note_button_opens_a_modal_whose_note_is_signed(harness: Harness) -> None:
    _, key = await slash(harness, "show 4504")
    card = await harness.reply(key)
    button = buttons(card)["ticket_card_note"]
    _, k1 = await click(harness, button)
    opened = (await wait_for(lambda: harness.slack.calls_to("views.open")))[0]
    assert opened.error is None
    view = harness.slack.views[opened.response["view"]["id"]]
    empty = await submit(harness, view, {"note_text": {"note_text": plain_text_input_value("")}})
    assert json.loads(empty.text)["errors"] == {"note_text": "Write the note."}
    note = {"note_text": {"note_text": plain_text_input_value("called the carrier")}}
    first, second = await asyncio.gather(submit(harness, view, note), submit(harness, view, note))
    assert first.text == second.text == ""
    replaced = await wait_for(
        lambda: [r for r in harness.replies(k1) if r.body.get("replace_original")]
    )
    assert "called the carrier" in dumps(replaced[0].body)
    assert harness.sandbox.bruin.payloads("note.add") == [{"note": f"called the carrier\n{AUDIT}"}]
    await wait_for(lambda: posts_to(harness, "C0OPS"))


# -- shortcuts -------------------------------------------------------------------------------


async def test_create_ticket_from_message_prefills_text_and_permalink(harness: Harness) -> None:
    text = "VPN down at <https://status.example.com|store 112> &amp; <@U0CALLER> is on it"
    ts = harness.slack.add_message("C0OPS", text=text)
    trigger = harness.slack.issue_trigger_id()
    url = harness.slack.response_url("msg1", user_id="U0CALLER")
    await harness.action(
        message_action_payload(
            callback_id="create_ticket_from_message",
            message_ts=ts,
            message_text=text,
            response_url=url,
            trigger_id=trigger,
        )
    )
    call = (await wait_for(lambda: opened_with(harness, trigger)))[0]
    assert call.error is None
    view_id = call.response["view"]["id"]
    await wait_for(lambda: harness.slack.calls_to("views.update"))
    blocks = {b.get("block_id"): b for b in harness.slack.views[view_id]["blocks"]}
    description = blocks["new_description"]["element"]["initial_value"]
    link = f"https://sandbox-workspace.slack.com/archives/C0OPS/p{ts.replace('.', '')}"
    assert description == (
        f"VPN down at store 112 (https://status.example.com) & @dana is on it\n\nFrom Slack: {link}"
    )
    assert blocks["new_contact_name"]["element"]["initial_value"] == "Dana Ops"


async def test_add_message_as_note_checks_the_ticket_then_adds_text_and_link(
    harness: Harness,
) -> None:
    ts = harness.slack.add_message("C0OPS", text="carrier ETA 14:00")
    trigger = harness.slack.issue_trigger_id()
    await harness.action(
        message_action_payload(
            callback_id="add_message_as_note",
            message_ts=ts,
            message_text="carrier ETA 14:00",
            response_url=harness.slack.response_url("msg2", user_id="U0CALLER"),
            trigger_id=trigger,
        )
    )
    call = (await wait_for(lambda: opened_with(harness, trigger)))[0]
    view = harness.slack.views[call.response["view"]["id"]]

    def values(ticket: str) -> dict[str, Any]:
        return {
            "note_ticket": {"note_ticket": plain_text_input_value(ticket)},
            "note_text": {"note_text": plain_text_input_value("carrier ETA 14:00")},
        }

    missing = await submit(harness, view, values("999999"))
    assert json.loads(missing.text)["errors"] == {
        "note_ticket": "Ticket 999999 was not found in Bruin."
    }
    typo = await submit(harness, view, values("45o3"))
    assert "note_ticket" in json.loads(typo.text)["errors"]
    assert not harness.sandbox.bruin.called("note.add")
    assert (await submit(harness, view, values("#4503"))).text == ""
    await wait_for(lambda: harness.sandbox.bruin.payloads("note.add"))
    link = f"https://sandbox-workspace.slack.com/archives/C0OPS/p{ts.replace('.', '')}"
    assert harness.sandbox.bruin.payloads("note.add") == [
        {"note": f"carrier ETA 14:00\n\nFrom Slack: {link}\n{AUDIT}"}
    ]
    await wait_for(lambda: posts_to(harness, "C0OPS"))


async def test_global_new_ticket_says_the_card_comes_by_dm_and_sends_it_there(
    harness: Harness,
) -> None:
    trigger = harness.slack.issue_trigger_id()
    await harness.action(shortcut_payload(callback_id="new_ticket", trigger_id=trigger))
    call = (await wait_for(lambda: opened_with(harness, trigger)))[0]
    assert call.error is None
    view_id = call.response["view"]["id"]
    await wait_for(lambda: harness.slack.calls_to("views.update"))
    view = harness.slack.views[view_id]
    assert "direct message" in dumps(view["blocks"])
    assert "new_post_updates" not in dumps(view["blocks"])
    await submit(harness, view, create_values(updates=False))
    dm = (await wait_for(lambda: posts_to(harness, "U0CALLER")))[0]
    assert dm.response["channel"].startswith("D")
    assert "opened ticket" in dumps(dm.params)
    assert len(harness.sandbox.bruin.payloads("ticket.create")) == 1


# -- App Home --------------------------------------------------------------------------------


async def test_app_home_lists_my_slack_tickets_and_the_subscriptions(harness: Harness) -> None:
    store = bot_of(harness).store
    await store.record_slack_ticket(4504, customer_id=40123, user_id="U0CALLER", channel_id="C0OPS")
    await store.record_slack_ticket(4502, customer_id=40123, user_id="U0CALLER", channel_id="C0OPS")
    await store.record_slack_ticket(4503, customer_id=40123, user_id="U0OTHER", channel_id="C0OPS")
    await store.add_subscription(
        channel_id="C0OPS", customer_id=40123, status="open", category="VOO", site=None, by="U0X"
    )
    await harness.event(app_home_opened_event(user_id="U0CALLER"), event_id="EvHOME1")
    published = (await wait_for(lambda: harness.slack.calls_to("views.publish")))[0]
    assert published.error is None
    assert published.params["user_id"] == "U0CALLER"
    text = dumps(published.params["view"])
    assert "*4504* · New" in text
    assert "*4502* · Resolved" in text
    assert "4503" not in text
    assert "<#C0OPS> · status=open category=VOO" in text
    assert "ticket_new_form" in text
    # The Home's "New ticket…" opens the create form.
    trigger = harness.slack.issue_trigger_id()
    home = harness.slack.views[published.response["view"]["id"]]
    home_value = sealed("ticket_new_form", "home")
    action = {
        "type": "button",
        "action_id": "ticket_new_form",
        "block_id": "h",
        "value": home_value,
    }
    await harness.action(block_actions_view_payload(action=action, view=home, trigger_id=trigger))
    assert (await wait_for(lambda: opened_with(harness, trigger)))[0].error is None


# -- authorization: one gate for every surface -----------------------------------------------


@pytest.mark.parametrize("overrides", [{"chatops_writers": ["U0BOSS"]}])
async def test_everything_that_writes_is_refused_for_non_writers(harness: Harness) -> None:
    refusal = "You are not allowed to make changes through this bot"
    trigger = harness.slack.issue_trigger_id()
    _, key = await slash(harness, "new", trigger=trigger)
    assert refusal in (await harness.reply(key))["text"]
    assert not opened_with(harness, trigger)
    view = {
        "id": "V0FORGED",
        "team_id": "T0001",
        "type": "modal",
        "blocks": [],
        "private_metadata": json.dumps({"ch": "C0OPS", "cu": 40123}),
        "callback_id": "ticket_create",
        "state": {"values": {}},
        "hash": "1.x",
        "title": {"type": "plain_text", "text": "New ticket"},
    }
    answer = await submit(harness, view, create_values())  # metadata the bot never wrote
    assert "out of date" in json.loads(answer.text)["errors"]["new_service"]
    view["private_metadata"] = sealed_meta("ticket_create", {"ch": "C0OPS", "u": "U0CALLER"})
    answer = await submit(harness, view, create_values())
    assert refusal in json.loads(answer.text)["errors"]["new_service"]
    _, key = await slash(harness, "new VC07700012346 flapping")
    assert refusal in (await harness.reply(key))["text"]
    _, key = await slash(harness, "show 4504")
    card = await harness.reply(key)
    _, k1 = await click(harness, buttons(card)["ticket_card_resolve"])
    assert refusal in (await harness.reply(k1))["text"]
    _, k2 = await click(harness, buttons(card)["ticket_card_note"])
    assert refusal in (await harness.reply(k2))["text"]
    shortcut = harness.slack.issue_trigger_id()
    await harness.action(shortcut_payload(callback_id="new_ticket", trigger_id=shortcut))
    modal = (await wait_for(lambda: opened_with(harness, shortcut)))[0]
    assert refusal in dumps(modal.params["view"])
    for route in ("ticket.create", "note.add", "detail.status", "ticket.repair"):
        assert not harness.sandbox.bruin.called(route), route
