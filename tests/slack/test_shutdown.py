"""Graceful shutdown: accepted commands finish before sessions close; new ones are turned
away politely (events get 503 so Slack redelivers them)."""

from __future__ import annotations

import aiohttp
import pytest

from bot.runner import running_bot
from bot.sandbox import Fault, RunningSandbox
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_signing import app_mention_event
from tests.slack.conftest import Harness, bot_settings, dumps


async def test_accepted_commands_are_not_dropped_by_a_shutdown(
    slack: FakeSlack, sandbox: RunningSandbox
) -> None:
    sandbox.bruin.faults.set("ticket.details", Fault(latency=1.5))
    settings = bot_settings(sandbox.url, slack)
    keys = []
    async with (
        aiohttp.ClientSession() as http,
        running_bot(settings, host="127.0.0.1", port=0, drain_seconds=10) as bot,
    ):
        h = Harness(bot=bot, slack=slack, sandbox=sandbox, http=http)
        for ticket in (4503, 4504, 4505):
            answer, key = await h.command("/ticket", f"show {ticket}")
            assert answer.status == 200
            keys.append((ticket, key))
        assert len(bot.server.bot.inflight) >= 3
    # The bot has shut down (it exits first). Every accepted command was answered.
    for ticket, key in keys:
        bodies = [dumps(r.body) for r in slack.responses if r.key == key]
        assert any(f"Ticket {ticket}" in b for b in bodies), ticket


async def test_while_draining_new_work_is_turned_away(harness: Harness) -> None:
    harness.bot.server.bot.inflight.draining = True
    answer, _ = await harness.command("/ticket", "show 4503")
    assert answer.status == 200
    assert "restarting" in answer.text
    event = await harness.event(app_mention_event(text="<@U0BOT> ticket show 1"), event_id="EvD1")
    assert event.status == 503
    assert not harness.sandbox.bruin.called("ticket.details")


async def test_beyond_the_work_bound_new_requests_are_told_busy(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.slack.app

    monkeypatch.setattr(bot.slack.app, "MAX_INFLIGHT_TASKS", 0)
    answer, _ = await harness.command("/ticket", "show 4503")
    assert answer.status == 200
    assert "busy" in answer.text
    event = await harness.event(app_mention_event(text="<@U0BOT> ticket show 1"), event_id="EvB1")
    assert event.status == 503
    assert not harness.sandbox.bruin.called("ticket.details")
