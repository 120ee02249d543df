"""Track the work a Slack request starts, so shutdown can let it finish.

bolt acks a request and runs its listener in a task of its own. A contextvar set while the
request is being dispatched marks every task created from that point in its context (the
listener, and whatever the listener starts); a task factory collects them. On SIGTERM the
runner stops taking requests and waits, within a bound, for that set to empty.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any

__all__ = ["InFlight"]

_BUCKET: contextvars.ContextVar[set[asyncio.Task[Any]] | None] = contextvars.ContextVar(
    "chatops_inflight", default=None
)


class InFlight:
    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self.draining = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: Any = None

    def __len__(self) -> int:
        return len(self.tasks)

    def mark_request(self) -> None:
        """Called while a request is dispatched: tasks it creates from now on are tracked."""
        _BUCKET.set(self.tasks)

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._previous = loop.get_task_factory()
        previous = self._previous

        def factory(
            loop: asyncio.AbstractEventLoop,
            coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any],
            **kwargs: Any,
        ) -> asyncio.Task[Any]:
            if previous is not None:
                task: asyncio.Task[Any] = previous(loop, coro, **kwargs)
            else:
                task = asyncio.Task(coro, loop=loop, **kwargs)
            bucket = _BUCKET.get()
            if bucket is not None:
                bucket.add(task)
                task.add_done_callback(bucket.discard)
            return task

        loop.set_task_factory(factory)

    def uninstall(self) -> None:
        if self._loop is not None:
            self._loop.set_task_factory(self._previous)
            self._loop = None

    async def drain(self, timeout: float) -> int:
        """Stop taking work and wait up to ``timeout`` s for tracked tasks; returns how many
        were still running when the bound ran out."""
        self.draining = True
        pending = {t for t in self.tasks if not t.done() and t is not asyncio.current_task()}
        if not pending:
            return 0
        _, still = await asyncio.wait(pending, timeout=timeout)
        return len(still)
