"""In the thread under a ticket's card, ``@chatops-bot note|resolve|reopen|show`` act on that
ticket without its id (Slack allows no slash commands in threads); replies stay in the
thread, and the same write gate applies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.slack.conftest import Harness, dumps, wait_for

_events = iter(range(1, 10_000))


async def card_thread(h: Harness, ticket_id: int) -> str:
    """A card the bot posted in C0OPS for ``ticket_id`` (its ts is the thread root)."""
    ts = h.slack.add_message("C0OPS", text=f"Ticket {ticket_id}", user="U0BOT")
    await h.bot.server.bot.store.remember_card("C0OPS", ticket_id, ts)
    return ts


async def mention(h: Harness, text: str, *, thread_ts: str, user: str = "U0CALLER") -> None:
    n = next(_events)
    ts = f"1700001000.{n:06d}"
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": f"<@U0BOT> {text}",
        "ts": ts,
        "thread_ts": thread_ts,
        "channel": "C0OPS",
        "event_ts": ts,
    }
    assert (await h.event(event, event_id=f"Ev0THR{n}")).status == 200
    await wait_for(lambda: len(h.bot.server.bot.inflight) == 0)


def in_thread(h: Harness, thread_ts: str) -> list[dict[str, Any]]:
    calls = [*h.slack.calls_to("chat.postMessage"), *h.slack.calls_to("chat.postEphemeral")]
    return [c.params for c in calls if c.params.get("thread_ts") == thread_ts]


async def test_note_in_a_card_thread_adds_a_signed_note_to_that_ticket(harness: Harness) -> None:
    h = harness
    root = await card_thread(h, 4503)
    await mention(h, "note carrier is on site", thread_ts=root)
    notes = [c for c in h.sandbox.bruin.calls if c.route == "note.add"]
    assert len(notes) == 1
    assert "/4503/" in notes[0].path
    assert "carrier is on site" in json.dumps(notes[0].body)
    assert "(U0CALLER)" in json.dumps(notes[0].body)
    replies = await wait_for(lambda: in_thread(h, root))
    assert "4503" in dumps(replies[0])


async def test_show_and_resolve_and_reopen_in_a_card_thread(harness: Harness) -> None:
    h = harness
    root = await card_thread(h, 4504)
    await mention(h, "show", thread_ts=root)
    assert "Ticket 4504" in dumps(await wait_for(lambda: in_thread(h, root)))
    await mention(h, "resolve fixed by the carrier", thread_ts=root)
    assert h.sandbox.bruin.payloads("detail.status")
    resolved = len(h.sandbox.bruin.payloads("detail.status"))
    await mention(h, "reopen", thread_ts=root)
    assert len(h.sandbox.bruin.payloads("detail.status")) > resolved


async def test_the_full_form_still_runs_as_typed_in_a_card_thread(harness: Harness) -> None:
    h = harness
    root = await card_thread(h, 4504)
    await mention(h, "note add 4503 about the other one", thread_ts=root)
    notes = [c for c in h.sandbox.bruin.calls if c.route == "note.add"]
    assert len(notes) == 1
    assert "/4503/" in notes[0].path  # the ticket typed, not the card's 4504
    assert "about the other one" in json.dumps(notes[0].body)


async def test_outside_a_card_thread_nothing_is_written(harness: Harness) -> None:
    h = harness
    root = h.slack.add_message("C0OPS", text="just a conversation")
    await mention(h, "note carrier is on site", thread_ts=root)
    assert not h.sandbox.bruin.called("note.add")
    answer = await wait_for(lambda: in_thread(h, root))
    assert "Unknown subcommand" in dumps(answer[0])


@pytest.mark.parametrize("overrides", [{"chatops_writers": ["U0BOSS"]}])
async def test_a_non_writer_is_refused_in_the_thread(harness: Harness) -> None:
    h = harness
    root = await card_thread(h, 4503)
    await mention(h, "note carrier is on site", thread_ts=root)
    assert not h.sandbox.bruin.called("note.add")
    refusal = await wait_for(lambda: in_thread(h, root))
    assert "not allowed" in dumps(refusal[0])
