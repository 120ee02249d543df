"""Small asyncio helpers."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable
from typing import Any

__all__ = ["TurnBudget", "gather_or_cancel"]


async def gather_or_cancel(*aws: Awaitable[Any]) -> list[Any]:
    """Like ``asyncio.gather``, but the first failure cancels the siblings and is re-raised
    as itself (no ExceptionGroup), so no call outlives the request that needed it."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class TurnBudget:
    """At most ``per_turn`` callers of :meth:`turn` go on per event-loop turn; the rest
    wait, first come first served, for the next turns.

    For where a herd wakes at once: every command waiting on one shared backend read is
    answered in the same loop turn, and its follow-up (render the card, post it) runs
    there too; at 200 commands/s that turn took 15-30 ms, and every Slack request arriving
    meanwhile waited for all of it before its ack (bench/). Spread over turns, a request
    waits for at most ``per_turn`` of them. Nothing is dropped or reordered.
    """

    def __init__(self, per_turn: int = 4) -> None:
        if per_turn < 1:
            raise ValueError("per_turn must be at least 1")
        self.per_turn = per_turn
        self._used = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._turn_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None

    async def turn(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop: nothing scheduled on the old one will run
            self._loop, self._used, self._turn_scheduled = loop, 0, False
            self._waiters.clear()
        if self._used < self.per_turn and not self._waiters:
            self._used += 1
            self._schedule_next_turn()
            return
        waiter = loop.create_future()
        self._waiters.append(waiter)
        self._schedule_next_turn()
        await waiter

    def _schedule_next_turn(self) -> None:
        # call_soon from inside a turn runs at the start of the next one.
        if not self._turn_scheduled:
            self._turn_scheduled = True
            asyncio.get_running_loop().call_soon(self._next_turn)

    def _next_turn(self) -> None:
        self._turn_scheduled = False
        self._used = 0
        while self._waiters and self._used < self.per_turn:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a cancelled waiter gives its place on
                waiter.set_result(None)
                self._used += 1
        if self._waiters or self._used:
            self._schedule_next_turn()
