"""Notifications through the running bot: the webhook endpoint, the subscription commands,
and the sandbox's own webhooks driving posts into Slack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.notify.webhook import sign_body
from bot.store.models import OutboxEntry, TicketState
from tests.slack.conftest import Harness, dumps, wait_for

WEBHOOK_SECRET = "bruin-webhook-secret-for-tests"
pytestmark = pytest.mark.parametrize(
    "overrides", [{"bruin_webhook_secret": WEBHOOK_SECRET, "chatops_poll_seconds": 3600}]
)


async def post_webhook(h: Harness, body: bytes, signature: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["x-bruin-webhook-signature"] = signature
    async with h.http.post(h.base + "/bruin/webhook", data=body, headers=headers) as resp:
        return resp.status


async def counts(h: Harness) -> tuple[int, int]:
    store = h.bot.server.bot.store
    async with store.session() as session:
        states = await session.scalar(select(func.count()).select_from(TicketState))
        entries = await session.scalar(select(func.count()).select_from(OutboxEntry))
    return int(states or 0), int(entries or 0)


def channel_posts(h: Harness) -> list[dict[str, Any]]:
    return [
        c.params
        for c in h.slack.calls_to("chat.postMessage")
        if c.status == 200 and not c.error and c.params.get("channel") == "C0OPS"
    ]


async def test_watch_then_a_signed_webhook_posts_the_change_once(harness: Harness) -> None:
    _, _key = await harness.command("/ticket", "watch 4503")
    await wait_for(
        lambda: [p for p in channel_posts(harness) if "Watching ticket 4503" in dumps(p)]
    )
    # A note written directly at Bruin (not through the bot), then Bruin's webhook.
    harness.sandbox.bruin.state.notes[4503].append(
        {
            "noteId": 99000001,
            "noteType": "ADN",
            "noteValue": "fibre spliced",
            "serviceNumber": ["VC07700012345"],
            "createdDate": "2026-01-01T10:00:00.000-05:00",
            "creator": "field@example.com",
        }
    )
    harness.sandbox.bruin.state.tickets[4503]["mostRecentNote"] = "fibre spliced"
    body = json.dumps({"eventType": "NewNoteAdded", "ticketId": 4503, "clientId": 40123}).encode()
    assert await post_webhook(harness, body, sign_body(body, WEBHOOK_SECRET)) == 202
    await wait_for(lambda: [p for p in channel_posts(harness) if "fibre spliced" in dumps(p)])
    # Replaying the same signed body changes nothing.
    assert await post_webhook(harness, body, sign_body(body, WEBHOOK_SECRET)) == 202
    notifier = harness.bot.server.notifier
    assert notifier is not None
    await notifier.drain()
    await notifier.delivery.run_once()
    assert len([p for p in channel_posts(harness) if "fibre spliced" in dumps(p)]) == 1


@pytest.mark.parametrize("signature", [None, "0" * 64, "forged"])
async def test_bad_or_missing_signature_is_refused_and_nothing_stored(
    harness: Harness, signature: str | None
) -> None:
    before = await counts(harness)
    body = json.dumps({"eventType": "Created", "ticketId": 4503}).encode()
    assert await post_webhook(harness, body, signature) == 401
    assert await counts(harness) == before


async def test_signed_garbage_is_a_400(harness: Harness) -> None:
    body = b'{"eventType": "Teleported", "ticketId": 4503}'
    assert await post_webhook(harness, body, sign_body(body, WEBHOOK_SECRET)) == 400


async def test_sandbox_webhooks_drive_notifications_end_to_end(harness: Harness) -> None:
    """A note made through the bot in C0OPS: Bruin's webhook brings it back; the other
    watching channel gets it, C0OPS (where the bot already answered) does not."""
    harness.sandbox.bruin.webhook_url = harness.base + "/bruin/webhook"
    harness.sandbox.bruin.webhook_secret = WEBHOOK_SECRET
    harness.slack.add_channel("C0NOC", member=True, name="noc")
    await harness.command("/ticket", "watch 4510", channel_id="C0NOC")
    await harness.command("/ticket", "watch 4510")
    await wait_for(
        lambda: [p for p in channel_posts(harness) if "Watching ticket 4510" in dumps(p)]
    )
    await harness.command("/note", 'add 4510 "replaced the router"')
    noc = await wait_for(
        lambda: [
            c.params
            for c in harness.slack.calls_to("chat.postMessage")
            if c.params.get("channel") == "C0NOC" and "replaced the router" in dumps(c.params)
        ]
    )
    assert noc
    assert harness.sandbox.bruin.webhooks_sent[-1]["eventType"] == "NewNoteAdded"
    notifier = harness.bot.server.notifier
    assert notifier is not None
    await notifier.drain()
    await notifier.delivery.run_once()
    here = [p for p in channel_posts(harness) if "replaced the router" in dumps(p)]
    assert len(here) == 1  # the bot's own answer to /note add, no echo of the notification
    assert "New note" not in dumps(here[0])


async def test_a_subscription_can_leave_out_tickets_opened_through_the_bot(
    harness: Harness,
) -> None:
    _, key = await harness.command("/ticket", "subscribe via=others")
    await wait_for(lambda: [p for p in channel_posts(harness) if "Subscribed (#" in dumps(p)])
    _, key = await harness.command("/ticket", "subscriptions")
    assert "via=others" in dumps(await harness.reply(key))
    subs = await harness.bot.server.bot.store.list_subscriptions("C0OPS")
    assert [s.via for s in subs] == ["others"]


async def test_subscription_commands(harness: Harness) -> None:
    _, key = await harness.command("/ticket", "subscribe status=open site=Tampa")
    await wait_for(lambda: [p for p in channel_posts(harness) if "Subscribed (#" in dumps(p)])
    _, key = await harness.command("/ticket", "subscriptions")
    listing = dumps(await harness.reply(key))
    assert "status=open site=812" in listing
    _, key = await harness.command("/ticket", "unsubscribe 999")
    assert "has no #999" in (await harness.reply(key))["text"]
    await harness.command("/ticket", "unsubscribe")
    await wait_for(
        lambda: [p for p in channel_posts(harness) if "Removed 1 subscription" in dumps(p)]
    )
    _, key = await harness.command("/ticket", "unwatch 4503")
    assert "does not watch ticket 4503" in (await harness.reply(key))["text"]
    _, key = await harness.command("/ticket", "watch 999999")
    assert "was not found" in (await harness.reply(key))["text"]
    _, key = await harness.command("/ticket", "notify off")
    assert "no longer" in (await harness.reply(key))["text"]
    assert not await harness.bot.server.bot.store.notify_enabled("U0CALLER")


async def test_channel_customer_binding(harness: Harness) -> None:
    await harness.command("/ticket", "config customer=40777")
    await wait_for(lambda: [p for p in channel_posts(harness) if "customer 40777" in dumps(p)])
    assert await harness.bot.server.bot.store.channel_customer("C0OPS") == 40777
    _, key = await harness.command("/ticket", "config")
    assert "customer 40777" in (await harness.reply(key))["text"]


async def test_a_bound_channel_reads_its_own_customer(harness: Harness) -> None:
    await harness.command("/ticket", "config customer=40777")
    await wait_for(lambda: [p for p in channel_posts(harness) if "customer 40777" in dumps(p)])
    _, key = await harness.command("/ticket", "list limit=25")
    listing = dumps(await harness.reply(key))
    assert "4506" in listing  # 40777's ticket
    assert "4503" not in listing  # 40123's
    _, key = await harness.command("/site", "list")
    sites = dumps(await harness.reply(key))
    assert "905" in sites
    assert "812" not in sites
