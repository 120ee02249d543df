"""A small keyed cache with a time to live; concurrent misses of one key share one load."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["KeyedTTL"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeyedTTL(Generic[K, V]):
    """``await cache.get(key, load)``: the value loaded at most once per ``ttl`` seconds."""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._values: dict[K, tuple[float, V]] = {}
        self._locks: dict[K, asyncio.Lock] = {}

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self._values.get(key)
            if found is None or self._clock() - found[0] > self._ttl:
                found = (self._clock(), await load())
                self._values[key] = found
            return found[1]
