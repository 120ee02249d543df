"""Handler tests at bolt's layer: a signed ``AsyncBoltRequest`` through
``app.async_dispatch``, no HTTP server in between (the loopback tests in test_http_app.py
keep the server, its signature checks and end-to-end runs covered).

The app is the one ``build_app`` makes, its Web API pointed at the fake Slack and Bruin at
the sandbox; bolt's own request verification checks the real signatures.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.metrics import Metrics
from bot.sandbox import RunningSandbox
from bot.services import open_services
from bot.slack.app import SlackBot, build_app, make_web_client
from bot.store import Store
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_signing import (
    block_actions_payload,
    event_body,
    interactive_body,
    signed_headers,
    slash_command_body,
)
from tests.slack.conftest import SECRET, bot_settings, dumps, sealed, wait_for

FORM = "application/x-www-form-urlencoded"


@dataclass
class Bolt:
    app: AsyncApp
    bot: SlackBot
    slack: FakeSlack
    sandbox: RunningSandbox

    async def dispatch(self, body: bytes, *, content_type: str = FORM) -> tuple[int, str]:
        headers = signed_headers(body, secret=SECRET, content_type=content_type)
        request = AsyncBoltRequest(body=body.decode(), headers=headers)
        response = await self.app.async_dispatch(request)
        await wait_for(lambda: len(self.bot.inflight) == 0)  # the detached listener's work
        return response.status, response.body

    async def command(self, command: str, text: str, **kw: Any) -> dict[str, Any]:
        key = f"bolt{len(self.slack.responses)}"
        url = self.slack.response_url(key, user_id="U0CALLER")
        status, _ = await self.dispatch(
            slash_command_body(command=command, text=text, response_url=url, **kw)
        )
        assert status == 200
        found = [r for r in self.slack.responses if r.key == key]
        return found[-1].body if found else {}


@pytest.fixture
async def bolt(slack: FakeSlack, sandbox: RunningSandbox, tmp_path: Any) -> AsyncIterator[Bolt]:
    settings = bot_settings(sandbox.url, slack)
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/bolt.db")
    try:
        async with open_services(settings) as services, aiohttp.ClientSession() as session:
            bot = SlackBot(
                settings=settings,
                services=dataclasses.replace(services, store=store),
                store=store,
                metrics=Metrics(),
                client=make_web_client(settings, session=session),
            )
            yield Bolt(build_app(bot), bot, slack, sandbox)
    finally:
        await store.close()


async def test_a_read_command_answers_the_person_only(bolt: Bolt) -> None:
    reply = await bolt.command("/ticket", "show 4503")
    assert reply["response_type"] == "ephemeral"
    assert "Ticket 4503" in dumps(reply)
    assert not bolt.slack.calls_to("chat.postMessage")


async def test_a_write_is_posted_in_the_channel_signed_with_the_writer(bolt: Bolt) -> None:
    await bolt.command("/note", "add 4503 carrier on site")
    notes = bolt.sandbox.bruin.payloads("note.add")
    assert len(notes) == 1
    assert "carrier on site" in json.dumps(notes[0])
    assert "(U0CALLER)" in json.dumps(notes[0])
    posted = bolt.slack.calls_to("chat.postMessage")
    assert posted
    assert posted[0].params["channel"] == "C0OPS"


async def test_a_forged_signature_runs_nothing(bolt: Bolt) -> None:
    body = slash_command_body(command="/note", text="add 4503 forged", response_url="")
    headers = signed_headers(body, secret="not-the-secret", content_type=FORM)
    response = await bolt.app.async_dispatch(AsyncBoltRequest(body=body.decode(), headers=headers))
    assert response.status == 401
    assert not bolt.sandbox.bruin.called("note.add")


async def test_a_card_button_runs_its_action_once(bolt: Bolt) -> None:
    card = await bolt.command("/ticket", "show 4504")
    value = next(
        e["value"]
        for b in card["blocks"]
        for e in b.get("elements") or []
        if e.get("action_id") == "ticket_card_resolve"
    )
    url = bolt.slack.response_url("click", user_id="U0CALLER")
    payload = block_actions_payload(
        action_id="ticket_card_resolve",
        block_id="b",
        value=value,
        response_url=url,
        message_ts="1700000000.000100",
        is_ephemeral=True,
    )
    status, _ = await bolt.dispatch(interactive_body(payload))
    assert status == 200
    resolved = len(bolt.sandbox.bruin.payloads("detail.status"))  # one per open line
    assert resolved >= 1
    for _ in range(2):  # a double click, a redelivery
        status, _ = await bolt.dispatch(interactive_body(payload))
        assert status == 200
    assert len(bolt.sandbox.bruin.payloads("detail.status")) == resolved


async def test_a_show_button_with_a_forged_value_says_it_is_out_of_date(bolt: Bolt) -> None:
    url = bolt.slack.response_url("forged", user_id="U0CALLER")
    for value, expected in (("4503", "out of date"), (sealed("ticket_show", "4503"), "4503")):
        payload = block_actions_payload(
            action_id="ticket_show", block_id="b", value=value, response_url=url, message_ts="1.2"
        )
        await bolt.dispatch(interactive_body(payload))
        assert expected in dumps(bolt.slack.responses[-1].body)


async def test_a_mention_is_answered_in_its_thread(bolt: Bolt) -> None:
    event = {
        "type": "app_mention",
        "user": "U0CALLER",
        "text": "<@U0BOT> ticket show 4503",
        "ts": "1700000000.000300",
        "channel": "C0OPS",
        "event_ts": "1700000000.000300",
    }
    status, _ = await bolt.dispatch(
        event_body(event, event_id="Ev0BOLT1"), content_type="application/json"
    )
    assert status == 200
    posted = await wait_for(lambda: bolt.slack.calls_to("chat.postMessage"))
    assert posted[0].params["thread_ts"] == "1700000000.000300"
    assert "4503" in dumps(posted[0].params)


# -- the Slack-native surfaces, at bolt's layer ----------------------------------------------


async def test_link_shared_unfurls_a_ticket_link(bolt: Bolt) -> None:
    ts = bolt.slack.add_message("C0OPS", text="https://app.bruin.com/ticket/4503")
    event = {
        "type": "link_shared",
        "channel": "C0OPS",
        "user": "U0CALLER",
        "message_ts": ts,
        "links": [{"domain": "app.bruin.com", "url": "https://app.bruin.com/ticket/4503"}],
        "event_ts": ts,
    }
    status, _ = await bolt.dispatch(
        event_body(event, event_id="Ev0BOLTUNF"), content_type="application/json"
    )
    assert status == 200
    unfurled = bolt.slack.calls_to("chat.unfurl")
    assert len(unfurled) == 1
    assert "Ticket 4503" in dumps(unfurled[0].params)


async def test_a_mention_in_a_cards_thread_notes_that_ticket(bolt: Bolt) -> None:
    root = bolt.slack.add_message("C0OPS", text="Ticket 4503", user="U0BOT")
    await bolt.bot.store.remember_card("C0OPS", 4503, root)
    event = {
        "type": "app_mention",
        "user": "U0CALLER",
        "text": "<@U0BOT> note carrier on site",
        "ts": "1700002000.000100",
        "thread_ts": root,
        "channel": "C0OPS",
        "event_ts": "1700002000.000100",
    }
    status, _ = await bolt.dispatch(
        event_body(event, event_id="Ev0BOLTTHR"), content_type="application/json"
    )
    assert status == 200
    notes = [c for c in bolt.sandbox.bruin.calls if c.route == "note.add"]
    assert len(notes) == 1
    assert "/4503/" in notes[0].path
    replies = [c.params for c in bolt.slack.calls_to("chat.postMessage")]
    assert replies[-1]["thread_ts"] == root


async def test_function_executed_completes_the_workflow_step(bolt: Bolt) -> None:
    event = {
        "type": "function_executed",
        "function": {"id": "Fn0B", "callback_id": "look_up_bruin_ticket", "type": "app"},
        "inputs": {"channel_id": "C0OPS", "ticket_id": "4503"},
        "function_execution_id": "Fx0BOLT",
        "event_ts": "1659055013.509853",
        "bot_access_token": "xwfp-fake",
    }
    status, _ = await bolt.dispatch(
        event_body(event, event_id="Ev0BOLTFN"), content_type="application/json"
    )
    assert status == 200
    result = await wait_for(lambda: bolt.slack.function_results.get("Fx0BOLT"))
    assert result["ok"] is True
    assert result["outputs"]["ticket_id"] == "4503"
