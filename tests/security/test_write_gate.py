"""Issue 19 (1, 4, 6, 8): one write gate, scoped to the channel's customer, on every surface.

A channel bound to customer 40777 (Borealis) owns tickets 4506, 4512 and 4519; C0OPS works
for the default customer 40123. A writer in C0OPS must not read or change 40777's tickets by
id, from any surface, and forged button values or modal metadata must not get around it.
Each test here failed before the write gate existed.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics import Metrics
from bot.render.blocks import Message, section
from bot.slack.reply import Replies
from bot.slack.seal import Sealer
from tests.fakes.slack_signing import view_submission_payload
from tests.slack.conftest import Harness, dumps, sealed, sealed_meta, wait_for
from tests.slack.test_interactive import buttons, click, posts_to

OTHER = "C0BOREALIS"
NOT_FOUND = "was not found"


async def _bind_other_channel(h: Harness) -> None:
    h.slack.add_channel(OTHER, member=True, name="borealis-ops")
    await h.command("/ticket", "config customer=40777", channel_id=OTHER)
    await wait_for(lambda: [p for p in posts_to(h, OTHER) if "customer 40777" in dumps(p.params)])
    assert await h.bot.server.bot.store.channel_customer(OTHER) == 40777


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("/note", "add 4512 carrier is on site"),
        ("/ticket", "resolve 4506 fixed"),
        ("/ticket", "close 4512 done here"),
        ("/ticket", "reopen 4519"),
        ("/note", "list 4512"),
        ("/ticket", "watch 4512"),
    ],
)
async def test_another_customers_ticket_is_not_found_by_id(
    harness: Harness, command: str, text: str
) -> None:
    await _bind_other_channel(harness)
    _, key = await harness.command(command, text)  # from C0OPS (customer 40123)
    reply = dumps(await harness.reply(key))
    assert NOT_FOUND in reply
    for call in ("note.add", "detail.status", "ticket.close", "ticket.details"):
        assert not harness.sandbox.bruin.called(call), call


async def test_a_card_button_of_another_customer_does_nothing_from_another_channel(
    harness: Harness,
) -> None:
    await _bind_other_channel(harness)
    _, key = await harness.command("/ticket", "show 4506", channel_id=OTHER)
    card = await harness.reply(key)
    resolve = buttons(card)["ticket_card_resolve"]
    _, clicked = await click(harness, resolve, channel="C0OPS")  # the real, sealed value
    assert NOT_FOUND in dumps(await harness.reply(clicked))
    assert not harness.sandbox.bruin.called("detail.status")


async def test_forged_button_values_are_refused_before_anything_runs(harness: Harness) -> None:
    for action_id, value in [
        ("ticket_card_resolve", "4506:abc"),
        ("ticket_outage_note", json.dumps({"t": 4512, "d": "x", "n": "1"})),
        ("ticket_preview_create", json.dumps({"n": "1", "s": "VC07709990001", "d": "x"})),
        ("ticket_show", "4512"),
        ("ticket_card_resolve", sealed("ticket_card_reopen", "4506:abc")),  # another button's
    ]:
        forged = {"type": "button", "action_id": action_id, "value": value}
        _, key = await click(harness, forged)
        assert "out of date" in dumps(await harness.reply(key)), action_id
    for call in ("note.add", "detail.status", "ticket.create", "ticket.repair"):
        assert not harness.sandbox.bruin.called(call), call


def _note_view(meta: str) -> dict[str, Any]:
    return {
        "id": "V0NOTE",
        "team_id": "T0001",
        "type": "modal",
        "blocks": [],
        "private_metadata": meta,
        "callback_id": "ticket_note",
        "state": {"values": {}},
        "hash": "1.x",
        "title": {"type": "plain_text", "text": "Add a note"},
    }


async def test_forged_modal_metadata_is_refused(harness: Harness) -> None:
    values = {"note_text": {"note_text": {"type": "plain_text_input", "value": "sneaky"}}}
    forged = json.dumps({"t": 4512, "ch": "C0OPS", "cu": 40777, "u": "U0CALLER"})
    answer = await harness.action(view_submission_payload(view=_note_view(forged), values=values))
    assert "out of date" in answer.text
    # Metadata the bot sealed for someone else's view is refused too.
    theirs = sealed_meta("ticket_note", {"t": 4503, "ch": "C0OPS", "u": "U0SOMEONE"})
    answer = await harness.action(view_submission_payload(view=_note_view(theirs), values=values))
    assert "out of date" in answer.text
    # Genuine metadata naming another customer's ticket: not found, next to the field.
    mine = sealed_meta("ticket_note", {"t": 4512, "ch": "C0OPS", "u": "U0CALLER"})
    answer = await harness.action(view_submission_payload(view=_note_view(mine), values=values))
    assert NOT_FOUND in answer.text
    assert not harness.sandbox.bruin.called("note.add")


async def test_options_are_scoped_to_the_channels_customer(harness: Harness) -> None:
    """A forged options request with cu=40777 returned that customer's inventory."""
    meta = sealed_meta("ticket_create", {"ch": "C0OPS", "cu": 40777, "u": "U0CALLER"})
    payload = {
        "type": "block_suggestion",
        "user": {"id": "U0CALLER", "team_id": "T0001"},
        "team": {"id": "T0001", "domain": "example"},
        "action_id": "new_service",
        "block_id": "new_service",
        "value": "VC0770999",
        "view": {**_note_view(meta), "callback_id": "ticket_create", "id": "V0OPT"},
    }
    answer = await harness.action(payload)
    assert answer.status == 200
    assert "VC07709990001" not in answer.text  # 40777's service number


@pytest.mark.parametrize("overrides", [{"chatops_rate_writes_per_minute": 3}])
async def test_writes_beyond_a_persons_rate_are_refused_and_counted(harness: Harness) -> None:
    keys = [(await harness.command("/note", f"add 4503 burst {i}"))[1] for i in range(5)]
    replies = [dumps(await harness.reply(k)) for k in keys[3:]]
    assert all("try again in" in r for r in replies)
    await wait_for(lambda: len(harness.sandbox.bruin.payloads("note.add")) == 3)
    async with harness.http.get(harness.base + "/metrics") as resp:
        metrics = await resp.text()
    assert 'chatops_rate_limited_total{kind="write"} 2.0' in metrics


@pytest.mark.parametrize("overrides", [{"chatops_rate_reads_per_minute": 2}])
async def test_reads_beyond_a_persons_rate_are_refused_before_bruin(harness: Harness) -> None:
    keys = [(await harness.command("/ticket", "show 4503"))[1] for _ in range(4)]
    third = dumps(await harness.reply(keys[2]))
    assert "going faster than the bot allows" in third
    assert len(posts_to(harness, "C0OPS")) == 0


async def test_app_home_shows_only_the_subscriptions_of_my_channels(harness: Harness) -> None:
    store = harness.bot.server.bot.store
    secret = harness.slack.add_channel("C0SECRET", member=True, name="secret")
    secret.people = {"U0OTHER"}
    for channel, customer in (("C0OPS", 40123), ("C0SECRET", 40777)):
        await store.add_subscription(
            channel_id=channel, customer_id=customer, status=None, category=None, site=None, by="U"
        )
    await harness.event(
        {"type": "app_home_opened", "user": "U0CALLER", "tab": "home", "channel": "D0HOME"},
        event_id="EvHOME2",
    )
    published = (await wait_for(lambda: harness.slack.calls_to("views.publish")))[0]
    text = dumps(published.params["view"])
    assert "<#C0OPS>" in text
    assert "C0SECRET" not in text
    assert "40777" not in text


async def test_only_slacks_hooks_are_used_as_response_urls() -> None:
    hits: list[str] = []

    async def evil(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/evil", evil)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            replies = Replies(
                AsyncWebClient(session=session),
                store=None,  # type: ignore[arg-type]  # posting to a hook never touches it
                metrics=Metrics(),
                sealer=Sealer(b"k"),
                response_url_prefix="https://hooks.slack.com/",
            )
            message = Message(text="hi", blocks=[section("hi")])  # type: ignore[arg-type]
            sent = await replies.hook(f"http://127.0.0.1:{port}/evil", message.to_dict())
    finally:
        await runner.cleanup()
    assert sent is False
    assert hits == []


@pytest.mark.parametrize("overrides", [{"chatops_writers": ["U0BOSS"]}])
async def test_app_home_offers_no_new_ticket_to_a_reader_and_says_who_to_ask(
    harness: Harness,
) -> None:
    await harness.event(
        {"type": "app_home_opened", "user": "U0CALLER", "tab": "home", "channel": "D0HOME"},
        event_id="EvHOME3",
    )
    published = (await wait_for(lambda: harness.slack.calls_to("views.publish")))[0]
    text = dumps(published.params["view"])
    assert "ticket_new_form" not in text
    assert "CHATOPS_WRITERS" in text
