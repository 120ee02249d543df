"""Once per Slack request or event: the store's claim (shared by every replica), with a
memory of this process's own in front of it.

The memory answers a repeat to the same replica without a store round trip, and keeps the
bot answering while the store is down (a PostgreSQL restart): then a claim that cannot be
made is logged once per outage and the request goes ahead on the memory's word alone. What
that gives up: a repeat sent to *another* replica during the outage would run there too.
Reads are harmless; button and modal writes are refused at the write gate until the store
is back (their own claim cannot be made); a slash-command write would be repeated once.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable

import structlog

from bot.store import Store

__all__ = ["REPLAY_WINDOW", "Once"]

log = structlog.get_logger(__name__)

REPLAY_WINDOW = 5 * 60
"""Seconds a signed request is accepted for (Slack's advice); a repeat is possible only
within it, so nothing older needs remembering."""
MEMORY = 20_000
"""Requests remembered (about 100 bytes each); older ones are left to the store."""


class Once:
    def __init__(
        self,
        store: Store,
        *,
        window: float = REPLAY_WINDOW,
        timeout: float = 2.0,
        limit: int = MEMORY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._window = window
        self._timeout = timeout
        self._limit = limit
        self._clock = clock
        self._seen: OrderedDict[int, float] = OrderedDict()
        self.degraded = False
        """True while the store cannot take claims (the memory alone decides)."""

    async def first(self, kind: str, key: str) -> bool:
        """True for the first delivery of (kind, key); False for every repeat."""
        marker = hash((kind, key))
        now = self._clock()
        self._purge(now)
        if marker in self._seen:
            return False
        self._seen[marker] = now + self._window
        try:
            won = await asyncio.wait_for(self._store.claim(kind, key), self._timeout)
        except Exception as exc:  # the store is down or slow: this replica's memory decides
            if not self.degraded:
                self.degraded = True
                log.error("claims_degraded_to_memory", kind=kind, error=type(exc).__name__)
            return True
        if self.degraded:
            self.degraded = False
            log.info("claims_store_back", kind=kind)
        return bool(won)

    async def forget(self, kind: str, key: str) -> None:
        """Nothing was done for it: let Slack's retry through."""
        self._seen.pop(hash((kind, key)), None)
        try:
            await asyncio.wait_for(self._store.release(kind, key), self._timeout)
        except Exception as exc:
            log.warning("claim_release_failed", kind=kind, error=type(exc).__name__)

    def _purge(self, now: float) -> None:
        seen = self._seen
        while seen and (len(seen) >= self._limit or next(iter(seen.values())) < now):
            seen.popitem(last=False)
