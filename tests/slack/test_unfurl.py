"""Bruin ticket links preview themselves: ``link_shared`` -> chat.unfurl, with the rules
people asked other ticket apps for."""

from __future__ import annotations

from typing import Any

from bot.sandbox import Fault
from tests.slack.conftest import Harness, dumps, wait_for

PORTAL = "https://app.bruin.com"
_events = iter(range(1, 10_000))


async def share(h: Harness, *urls: str, channel: str = "C0OPS") -> str:
    """A person posts ``urls`` in ``channel``; Slack sends link_shared for the portal's."""
    ts = h.slack.add_message(channel, text=" ".join(urls))
    event: dict[str, Any] = {
        "type": "link_shared",
        "channel": channel,
        "is_bot_user_member": True,
        "user": "U0CALLER",
        "message_ts": ts,
        "unfurl_id": f"Uf{ts}",
        "source": "conversations_history",
        "links": [{"domain": "app.bruin.com", "url": u} for u in urls],
        "event_ts": ts,
    }
    answer = await h.event(event, event_id=f"Ev0UNF{next(_events)}")
    assert answer.status == 200
    await wait_for(lambda: len(h.bot.server.bot.inflight) == 0)
    return ts


def unfurls(h: Harness) -> list[dict[str, Any]]:
    return [c.params for c in h.slack.calls_to("chat.unfurl") if c.error is None]


async def test_a_ticket_link_gets_a_compact_card(harness: Harness) -> None:
    ts = await share(harness, f"{PORTAL}/ticket/4503")
    found = await wait_for(lambda: unfurls(harness))
    assert found[0]["ts"] == ts
    card = dumps(found[0]["unfurls"])
    assert f"{PORTAL}/ticket/4503" in card
    assert "Ticket 4503" in card
    assert "Open in Bruin" in card
    assert "Updated" in card


async def test_the_same_ticket_is_not_previewed_twice_in_a_channel(harness: Harness) -> None:
    await share(harness, f"{PORTAL}/ticket/4503")
    await wait_for(lambda: unfurls(harness))
    await share(harness, f"{PORTAL}/ticket/4503")
    assert len(unfurls(harness)) == 1
    harness.slack.add_channel("C0OTHER", member=True)
    await share(harness, f"{PORTAL}/ticket/4503", channel="C0OTHER")  # another channel: yes
    assert len(unfurls(harness)) == 2


async def test_three_ticket_links_get_no_preview(harness: Harness) -> None:
    await share(harness, *(f"{PORTAL}/ticket/{t}" for t in (4503, 4504, 4502)))
    assert unfurls(harness) == []


async def test_another_customers_ticket_gets_no_preview(harness: Harness) -> None:
    await share(harness, f"{PORTAL}/ticket/4512")  # Borealis (40777); the channel is 40123's
    assert unfurls(harness) == []


async def test_a_bruin_error_never_shows_as_a_preview(harness: Harness) -> None:
    harness.sandbox.bruin.faults.set("ticket.list", Fault(status=500))
    await share(harness, f"{PORTAL}/ticket/4503")
    assert unfurls(harness) == []


async def test_links_that_are_not_tickets_are_left_alone(harness: Harness) -> None:
    await share(harness, f"{PORTAL}/inventory", "https://evil.example/ticket/4503")
    assert unfurls(harness) == []


async def say(h: Harness, text: str, *, channel: str = "C0OPS") -> str:
    """A person writes ``text`` in ``channel`` (Slack's message.channels event)."""
    ts = h.slack.add_message(channel, text=text)
    event = {
        "type": "message",
        "channel": channel,
        "channel_type": "channel",
        "user": "U0CALLER",
        "text": text,
        "ts": ts,
        "event_ts": ts,
    }
    assert (await h.event(event, event_id=f"Ev0MSG{next(_events)}")).status == 200
    await wait_for(lambda: len(h.bot.server.bot.inflight) == 0)
    return ts


def thread_posts(h: Harness, ts: str) -> list[dict[str, Any]]:
    return [
        c.params
        for c in h.slack.calls_to("chat.postMessage")
        if c.error is None and c.params.get("thread_ts") == ts
    ]


async def test_hash_mentions_preview_only_where_the_channel_opted_in(harness: Harness) -> None:
    ts = await say(harness, "#4503 is flapping again")
    assert thread_posts(harness, ts) == []  # off by default
    await harness.command("/ticket", "config unfurl=on")
    await wait_for(lambda: harness.bot.server.bot.store.config.unfurls)
    ts = await say(harness, "#4503 is flapping again")
    posted = await wait_for(lambda: thread_posts(harness, ts))
    assert "Ticket 4503" in dumps(posted[0])
    _, key = await harness.command("/ticket", "config")
    assert "previews are on" in dumps(await harness.reply(key))


async def test_hash_mention_rules_match_link_previews(harness: Harness) -> None:
    await harness.command("/ticket", "config unfurl=on")
    await wait_for(lambda: harness.bot.server.bot.store.config.unfurls)
    many = await say(harness, "#4503 #4504 and #4502 are all down")
    other = await say(harness, "what about #4512?")  # Borealis (40777): not this channel's
    link = await say(harness, "see https://status.example/#4503 and &#4503;")
    await wait_for(lambda: len(harness.bot.server.bot.inflight) == 0)
    for ts in (many, other, link):
        assert thread_posts(harness, ts) == []
