"""Issue 17: shapes Slack really sends that the bot refused. A slash command whose text says
"payload", Enterprise Grid org-wide installs (``team: null``), and events and interactions
no listener handles — all over the real HTTP endpoint with real signatures."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import structlog

from bot.logging import configure_logging
from bot.slack.interactive import mentioned_users, slack_plain
from tests.fakes.slack_signing import (
    app_mention_event,
    block_actions_payload,
    event_body,
    message_action_payload,
    message_im_event,
    org_wide_install,
    plain_text_input_value,
    slash_command_body,
    view_closed_payload,
    view_submission_payload,
)
from tests.slack.conftest import Answer, Harness, dumps, sealed, wait_for

AUDIT = "— via Slack by dana (U0CALLER)"


async def settled(h: Harness) -> None:
    await wait_for(lambda: len(h.bot.server.bot.inflight) == 0)


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    configure_logging("INFO", "json", stream=buf)
    try:
        yield buf
    finally:
        logging.getLogger().handlers = []
        structlog.reset_defaults()


def lines(buf: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buf.getvalue().splitlines() if line.startswith("{")]


# -- A: the word "payload" in a slash command ---------------------------------------------


async def test_a_slash_command_that_says_payload_is_a_slash_command(harness: Harness) -> None:
    text = "add 4503 carrier says the payload was dropped"
    url = harness.slack.response_url("payload-word", user_id="U0CALLER")
    body = slash_command_body(
        command="/note",
        text=text,
        response_url=url,
        channel_name="payload-ops",
        user_name="payload",
        team_domain="payload-co",
    )
    assert b"payload" in body
    answer = await harness.post_signed(body)
    assert answer.status == 200, answer.text
    await wait_for(lambda: harness.sandbox.bruin.payloads("note.add"))
    note = harness.sandbox.bruin.payloads("note.add")[-1]["note"]
    assert note.startswith("carrier says the payload was dropped\n")


async def test_a_form_field_named_payload_must_hold_a_json_object(harness: Harness) -> None:
    for body, reason in [
        (b"payload=" + quote("not json").encode(), "payload is not JSON"),
        (b"payload=" + quote("[1, 2]").encode(), "payload is not a JSON object"),
    ]:
        answer = await harness.post_signed(body)
        assert answer.status == 400
        assert answer.text == f"malformed payload: {reason}"


async def test_a_json_event_that_mentions_payload_is_still_an_event(harness: Harness) -> None:
    harness.slack.add_dm("U0CALLER")
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D0CALLER",
        "user": "U0CALLER",
        "text": "ticket show 4503 payload",
        "ts": "1700000000.000300",
        "event_ts": "1700000000.000300",
    }
    answer = await harness.event(event, event_id="Ev0PAYLOADWORD")
    assert answer.status == 200
    posts = await wait_for(lambda: harness.slack.calls_to("chat.postMessage"))
    assert posts[0].params["channel"] == "D0CALLER"


# -- B: Enterprise Grid, org-wide installs ----------------------------------------------


async def test_org_wide_button_with_null_team_is_handled(harness: Harness) -> None:
    url = harness.slack.response_url("grid-btn", user_id="U0CALLER")
    payload = org_wide_install(
        block_actions_payload(
            action_id="ticket_show",
            block_id="b1",
            response_url=url,
            message_ts="1700000000.000200",
            value=sealed("ticket_show", "4503"),
            enterprise_id="E0000001",
        ),
        user_team_id="T0HOMEWS",  # the user's own workspace differs from the channel's
    )
    assert payload["team"] is None
    answer = await harness.action(payload)
    assert answer.status == 200, answer.text
    reply = await harness.reply("grid-btn")
    assert "Ticket 4503" in dumps(reply)


async def test_org_wide_modal_submission_with_null_team_is_handled(harness: Harness) -> None:
    key = f"grid-card{time.monotonic_ns()}"
    url = harness.slack.response_url(key, user_id="U0CALLER")
    command = slash_command_body(
        command="/ticket",
        text="show 4504",
        response_url=url,
        enterprise_id="E0000001",
        enterprise_name="Example Org",
    )
    assert (await harness.post_signed(command)).status == 200
    card = await harness.reply(key)
    note_button = next(
        element
        for block in card["blocks"]
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]
        if element.get("action_id") == "ticket_card_note"
    )
    click = org_wide_install(
        block_actions_payload(
            action_id=note_button["action_id"],
            block_id="b1",
            value=note_button.get("value"),
            response_url=harness.slack.response_url("grid-click", user_id="U0CALLER"),
            message_ts="1700000000.000100",
            is_ephemeral=True,
            trigger_id=harness.slack.issue_trigger_id(),
        ),
        user_team_id="T0HOMEWS",
    )
    assert (await harness.action(click)).status == 200
    opened = (await wait_for(lambda: harness.slack.calls_to("views.open")))[0]
    assert opened.error is None
    view = harness.slack.views[opened.response["view"]["id"]]
    note = {"note_text": {"note_text": plain_text_input_value("grid org note")}}
    submission = org_wide_install(view_submission_payload(view=view, values=note))
    assert submission["team"] is None
    answer = await harness.action(submission)
    assert answer.status == 200, answer.text
    await wait_for(lambda: harness.sandbox.bruin.payloads("note.add"))
    assert harness.sandbox.bruin.payloads("note.add") == [{"note": f"grid org note\n{AUDIT}"}]


async def test_grid_slash_command_with_enterprise_fields_is_handled(harness: Harness) -> None:
    url = harness.slack.response_url("grid-cmd", user_id="U0CALLER")
    fields = {
        "token": "verification-token-placeholder",
        "team_id": "T0001",
        "team_domain": "sandbox-workspace",
        "enterprise_id": "E0000001",
        "enterprise_name": "Example Org",
        "channel_id": "C0OPS",
        "channel_name": "ops",
        "user_id": "U0CALLER",
        "user_name": "dana",
        "command": "/ticket",
        "text": "show 4503",
        "api_app_id": "A0APP",
        "is_enterprise_install": "true",
        "response_url": url,
        "trigger_id": "1111111111.2222222222.placeholder",
    }
    answer = await harness.post_signed(urlencode(fields).encode())
    assert answer.status == 200, answer.text
    assert "Ticket 4503" in dumps(await harness.reply("grid-cmd"))


# -- D: what the bot does not handle is answered 200, logged once per type ---------------


UNHANDLED_EVENTS: list[dict[str, Any]] = [
    {
        "type": "reaction_added",
        "user": "U0CALLER",
        "reaction": "eyes",
        "item": {"type": "message", "channel": "C0OPS", "ts": "1700000000.000100"},
        "event_ts": "1700000001.000100",
    },
    {"type": "some_future_event_type", "event_ts": "1700000001.000200"},
]


async def test_unhandled_events_and_payloads_are_answered_200_and_logged_once(
    harness: Harness, json_logs: io.StringIO
) -> None:
    answers: list[Answer] = []
    for round_ in range(2):
        for n, event in enumerate(UNHANDLED_EVENTS):
            answers.append(await harness.event(event, event_id=f"Ev0UNH{round_}{n}"))
        rate_limited = {
            "token": "legacy",
            "type": "app_rate_limited",
            "team_id": "T0001",
            "minute_rate_limited": 1518467820,
            "api_app_id": "A0APP",
        }
        answers.append(
            await harness.post_signed(
                json.dumps(rate_limited).encode(), content_type="application/json"
            )
        )
        answers.append(await harness.action(view_closed_payload(callback_id="not_ours")))
        url = harness.slack.response_url(user_id="U0CALLER")
        answers.append(
            await harness.action(
                block_actions_payload(
                    action_id="not_ours", block_id="b", response_url=url, message_ts="1.2"
                )
            )
        )
    assert [a.status for a in answers] == [200] * len(answers), answers
    await settled(harness)
    logged = [line["type"] for line in lines(json_logs) if line["event"] == "unhandled_request"]
    assert sorted(logged) == sorted(
        [
            "event:reaction_added",
            "event:some_future_event_type",
            "event:app_rate_limited",
            "interactive:view_closed",
            "interactive:block_actions",
        ]
    )
    bolt_noise = [line for line in lines(json_logs) if "Unhandled request" in line["event"]]
    assert bolt_noise == []


async def test_revoke_turns_readiness_off_with_the_reason(harness: Harness) -> None:
    async with harness.http.get(harness.base + "/readyz") as resp:
        assert resp.status == 200
    harness.bot.server.revoke("app_uninstalled")
    async with harness.http.get(harness.base + "/readyz") as resp:
        assert resp.status == 503
        body = await resp.json()
    assert body == {"status": "revoked", "problems": {"slack": "app_uninstalled"}}
    async with harness.http.get(harness.base + "/healthz") as resp:
        assert resp.status == 200  # alive, just not ready: the orchestrator stops routing


@pytest.mark.parametrize(
    "event",
    [{"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}}],
)
async def test_losing_access_stops_posting_and_turns_readiness_off(
    harness: Harness, event: dict[str, Any]
) -> None:
    answer = await harness.event(event, event_id="Ev0GONE")
    assert answer.status == 200
    await wait_for(lambda: harness.bot.server.bot.revoked == event["type"])
    async with harness.http.get(harness.base + "/readyz") as resp:
        assert resp.status == 503
        assert event["type"] in await resp.text()
    posts = len(harness.slack.calls_to("chat.postMessage"))
    await harness.command("/note", "add 4503 after the uninstall")
    await settled(harness)
    assert len(harness.slack.calls_to("chat.postMessage")) == posts
    # A response_url needs no token: a command is still answered, not met with silence.
    answered = len(harness.slack.responses)
    await harness.command("/ticket", "show 4503")
    await settled(harness)
    assert len(harness.slack.responses) == answered + 1
    assert len(harness.slack.calls_to("chat.postMessage")) == posts


async def test_another_apps_revoked_token_changes_nothing(harness: Harness) -> None:
    event = {"type": "tokens_revoked", "tokens": {"bot": ["U0SOMEONEELSE"]}}
    assert (await harness.event(event, event_id="Ev0OTHER")).status == 200
    await settled(harness)
    async with harness.http.get(harness.base + "/readyz") as resp:
        assert resp.status == 200


async def test_an_unhandled_event_does_nothing(harness: Harness) -> None:
    calls = len(harness.slack.calls)
    body = event_body(UNHANDLED_EVENTS[0], event_id="Ev0NOTHING")
    answer = await harness.post_signed(body, content_type="application/json")
    assert answer == Answer(200, "")
    await settled(harness)
    await asyncio.sleep(0)
    assert len(harness.slack.calls) == calls


# -- E: an edited message never runs its command again -----------------------------------


def edited(event: dict[str, Any], text: str, *, at: str = "1700000100.000000") -> dict[str, Any]:
    """``event`` as Slack re-sends it after its author edited the text."""
    return {**event, "text": text, "edited": {"user": event["user"], "ts": at}}


async def test_an_edited_mention_writes_nothing_and_says_how_to_run_it(harness: Harness) -> None:
    original = app_mention_event(
        text="<@U0BOT> note add 4510 carrier on site", ts="1700000000.000500"
    )
    assert (await harness.event(original, event_id="Ev0EDIT0")).status == 200
    await wait_for(lambda: harness.sandbox.bruin.payloads("note.add"))
    await settled(harness)
    posts = len(harness.slack.calls_to("chat.postMessage"))

    fixed = edited(original, "<@U0BOT> note add 4510 carrier is on site")
    assert (await harness.event(fixed, event_id="Ev0EDIT1")).status == 200
    answer = (await wait_for(lambda: harness.slack.calls_to("chat.postEphemeral")))[0]
    await settled(harness)
    assert answer.error is None
    assert answer.params["user"] == "U0CALLER"
    assert answer.params["channel"] == "C0OPS"
    assert answer.params["thread_ts"] == "1700000000.000500"
    said = dumps(answer.params)
    assert "I don't run edited messages, so nothing was done." in said
    assert "`/note add 4510 carrier is on site` (add a note" in said
    assert "a write" in said
    assert "send it again as a new message" in said
    assert harness.sandbox.bruin.payloads("note.add") == [{"note": f"carrier on site\n{AUDIT}"}]
    assert len(harness.slack.calls_to("chat.postMessage")) == posts


async def test_an_edited_read_or_unknown_mention_runs_nothing_either(harness: Harness) -> None:
    show = app_mention_event(text="<@U0BOT> ticket show 4503", ts="1700000000.000600")
    await harness.event(edited(show, "<@U0BOT> ticket show 4504"), event_id="Ev0EDIT2")
    junk = app_mention_event(text="<@U0BOT> thanks!", ts="1700000000.000700")
    await harness.event(edited(junk, "<@U0BOT> thanks a lot!"), event_id="Ev0EDIT3")
    answers = await wait_for(lambda: len(harness.slack.calls_to("chat.postEphemeral")) == 2)
    assert answers
    await settled(harness)
    said = sorted(dumps(c.params) for c in harness.slack.calls_to("chat.postEphemeral"))
    show = next(s for s in said if "4504" in s)
    assert "`/ticket show 4504` (a ticket" in show
    assert "a write" not in show
    other = next(s for s in said if "4504" not in s)
    assert "To ask me something, send a new message." in other
    assert not harness.sandbox.bruin.called("ticket.get")
    assert not harness.slack.calls_to("chat.postMessage")


async def test_an_edit_in_a_card_thread_names_the_ticket_it_would_have_noted(
    harness: Harness,
) -> None:
    root = harness.slack.add_message("C0OPS", text="Ticket 4503", user="U0BOT")
    await harness.bot.server.bot.store.remember_card("C0OPS", 4503, root)
    event = app_mention_event(
        text="<@U0BOT> note carrier on site", ts="1700000000.000900", thread_ts=root
    )
    fixed = edited(event, "<@U0BOT> note carrier is on site")
    assert (await harness.event(fixed, event_id="Ev0EDIT5")).status == 200
    answer = (await wait_for(lambda: harness.slack.calls_to("chat.postEphemeral")))[0]
    await settled(harness)
    assert answer.params["thread_ts"] == root
    assert "`/note add 4503 carrier is on site`" in dumps(answer.params)
    assert not harness.sandbox.bruin.called("note.add")


async def test_an_edited_dm_runs_nothing(harness: Harness) -> None:
    harness.slack.add_dm("U0CALLER")
    event = message_im_event(text="note add 4510 carrier is on site", ts="1700000000.000800")
    assert (await harness.event(edited(event, event["text"]), event_id="Ev0EDIT4")).status == 200
    answer = (await wait_for(lambda: harness.slack.calls_to("chat.postEphemeral")))[0]
    await settled(harness)
    assert answer.params["channel"] == "D0CALLER"
    assert "nothing was done" in dumps(answer.params)
    assert not harness.sandbox.bruin.called("note.add")


# -- F: a message shortcut names the people its message mentions --------------------------


async def test_message_shortcut_shows_names_not_ids_of_mentioned_people(harness: Harness) -> None:
    harness.slack.add_user("U0RILEY", name="riley", real_name="Riley Field", display_name="")
    text = "<@U0RILEY> and <@U0CALLER> on site; <@U0NOBODY> paged, <@U0BOT|chatops-bot> cc"
    ts = harness.slack.add_message("C0OPS", text=text)
    trigger = harness.slack.issue_trigger_id()
    await harness.action(
        message_action_payload(
            callback_id="add_message_as_note",
            message_ts=ts,
            message_text=text,
            response_url=harness.slack.response_url("names", user_id="U0CALLER"),
            trigger_id=trigger,
        )
    )
    opened = (await wait_for(lambda: harness.slack.calls_to("views.open")))[0]
    assert opened.error is None
    blocks = {b.get("block_id"): b for b in opened.params["view"]["blocks"]}
    assert blocks["note_text"]["element"]["initial_value"] == (
        "@Riley Field and @dana on site; @U0NOBODY paged, @chatops-bot cc"
    )


def test_slack_plain_shows_names_as_text_and_keeps_unknown_ids() -> None:
    names = {"U0A": "Ana & Bo <ops>", "W0B": "bo"}
    text = "<@U0A> and <@W0B> &amp; <@U0C>: <@U0D|dee> paged"
    assert slack_plain(text, names) == "@Ana & Bo <ops> and @bo & @U0C: @dee paged"
    assert slack_plain(text) == "@U0A and @W0B & @U0C: @dee paged"
    assert mentioned_users(text + " <@U0A>") == ["U0A", "W0B", "U0C"]
