"""Exactly-once claims, committed in groups.

Every Slack request claims its signature (replay protection) before it is acked, so a
claim is on the path of every command. One transaction per claim made them queue: on
SQLite concurrent writers wait in SQLite's busy handler, which sleeps in steps of up to
100 ms (bench/: at 75 commands/s the ack p99 was 390 ms with the event loop idle half the
time), and each claim cost ~1.2 ms of CPU in SQLAlchemy and aiosqlite's thread.

:class:`ClaimBatcher` keeps one claim transaction in flight per process. Claims that
arrive while it runs wait for the next one, which inserts all of them with one
``INSERT … ON CONFLICT DO NOTHING RETURNING`` (both dialects): the keys it returns were
new, so their first caller wins, exactly as with one statement per claim. A quiet bot's
claim goes at once; a busy bot's claims share a commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

__all__ = ["BATCH_MAX", "ClaimBatcher", "Insert"]

BATCH_MAX = 500
"""Keys per statement (two bound parameters each: far below SQLite's limit)."""

Key = tuple[str, str]
Insert = Callable[[Sequence[Key]], Awaitable[set[Key]]]
"""Inserts the keys in one transaction; returns those that were not there before."""


class ClaimBatcher:
    def __init__(self, insert: Insert, *, batch_max: int = BATCH_MAX) -> None:
        self._insert = insert
        self._batch_max = batch_max
        self._pending: dict[Key, list[asyncio.Future[bool]]] = {}
        self._running: asyncio.Task[None] | None = None
        self.transactions = 0
        """Claim transactions run so far (tests and bench/ read it)."""

    async def claim(self, kind: str, key: str) -> bool:
        """True for the first caller with (kind, key); False for every repeat."""
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.setdefault((kind, key), []).append(waiter)
        if self._running is None:
            self._running = asyncio.create_task(self._drain(), name="store-claims")
        return await waiter

    async def _drain(self) -> None:
        try:
            while self._pending:
                keys = list(self._pending)[: self._batch_max]
                batch = {k: self._pending.pop(k) for k in keys}
                try:
                    won = await self._insert(keys)
                except BaseException as exc:  # every waiter of the batch learns it
                    for waiters in batch.values():
                        for w in waiters:
                            if not w.done():
                                w.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                finally:
                    self.transactions += 1
                for k, waiters in batch.items():
                    for n, w in enumerate(waiters):
                        if not w.done():
                            w.set_result(n == 0 and k in won)
        finally:
            self._running = None
            stranded, self._pending = self._pending, {}  # left only when cancelled
            for waiters in stranded.values():
                for w in waiters:
                    if not w.done():
                        w.set_exception(RuntimeError("the store closed before this claim"))

    async def close(self) -> None:
        """Let the claims already asked for finish (bounded by the caller)."""
        task = self._running
        if task is not None:
            await asyncio.shield(task)
