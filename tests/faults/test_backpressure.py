"""A flood beyond the in-flight bound gets a clear "busy" instead of piling up."""

from __future__ import annotations

import asyncio

from bot.core.dispatch import Dispatcher
from bot.sandbox import Fault, RunningSandbox
from bot.services import open_services
from handlers.catalog import build_registry
from tests.commands.conftest import DANA, sandbox_settings


async def test_a_flood_gets_busy_answers_and_the_rest_complete(sandbox: RunningSandbox) -> None:
    sandbox.bruin.faults.set("ticket.details", Fault(latency=0.5))
    settings = sandbox_settings(sandbox.url, bruin_max_in_flight=2)  # queue: 4 more
    dispatcher = Dispatcher(build_registry())
    async with open_services(settings) as services:
        await services.bruin.check_token()
        replies = await asyncio.gather(
            *(
                dispatcher.dispatch("/note", f"list {ticket}", DANA, services)
                for ticket in range(4490, 4510)  # 20 different tickets: no coalescing
            )
        )
    # Each /note list reads the ticket as the channel's customer first (scope), then its
    # notes: the bound turns the flood away at the first read.
    busy = [r for r in replies if "busy" in r.text]
    answered = [r for r in replies if "busy" not in r.text]
    assert len(answered) == 6  # 2 in flight + 4 queued (a ticket that is not there counts)
    assert len(busy) == 14
    assert all("try again in a moment" in r.text for r in busy)
    assert sandbox.bruin.call_count("ticket.details") <= 6  # nothing beyond the bound was sent
