"""Track the work Slack requests start, so shutdown can let it finish.

Every listener runs as a task of its own (``bot.slack.detach``), which registers it here;
on SIGTERM the runner stops taking requests and waits, within a bound, for the set to
empty. Nothing global is patched: only the listener tasks are tracked, and a listener
awaits whatever it starts.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["InFlight"]


class InFlight:
    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self.draining = False

    def __len__(self) -> int:
        return len(self.tasks)

    def track(self, task: asyncio.Task[Any]) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self, timeout: float) -> int:
        """Stop taking work and wait up to ``timeout`` s for tracked tasks; returns how many
        were still running when the bound ran out."""
        self.draining = True
        pending = {t for t in self.tasks if not t.done() and t is not asyncio.current_task()}
        if not pending:
            return 0
        _, still = await asyncio.wait(pending, timeout=timeout)
        return len(still)
