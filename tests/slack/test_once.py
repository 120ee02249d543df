"""Once per request: the store's claim across replicas, this process's memory in front of
it, and the bot still answering while the store is down."""

from __future__ import annotations

from bot.slack.once import Once
from bot.store import Store
from tests.store.conftest import database_url, open_store, store

__all__ = ["database_url", "open_store", "store"]


class DownStore:
    """A store whose claims fail the way a stopped PostgreSQL does."""

    def __init__(self) -> None:
        self.claims = 0

    async def claim(self, kind: str, key: str) -> bool:
        self.claims += 1
        raise ConnectionRefusedError("the database system is shutting down")

    async def release(self, kind: str, key: str) -> None:
        raise ConnectionRefusedError("the database system is shutting down")


async def test_a_repeat_is_refused_by_the_store_across_processes(store: Store) -> None:
    one, other = Once(store), Once(store)  # two replicas on one database
    assert await one.first("slack_request", "1700000000:v0=abc")
    assert not await other.first("slack_request", "1700000000:v0=abc")
    assert not await one.first("slack_request", "1700000000:v0=abc")


async def test_a_stopped_store_degrades_to_memory_and_recovers(store: Store) -> None:
    down = DownStore()
    once = Once(down)  # type: ignore[arg-type]
    assert await once.first("slack_request", "k1")  # answered, not refused with a 503
    assert once.degraded
    assert not await once.first("slack_request", "k1")  # a repeat here is still caught
    assert down.claims == 1  # ... without asking the store again
    await once.forget("slack_request", "k1")  # a release that fails is only logged
    assert await once.first("slack_request", "k1")
    once._store = store  # the database is back
    assert await once.first("slack_request", "k2")
    assert not once.degraded


async def test_memory_is_bounded_in_count_and_time(store: Store) -> None:
    now = [0.0]
    once = Once(store, window=10, limit=3, clock=lambda: now[0])
    for key in ("a", "b", "c", "d"):
        assert await once.first("k", key)
    assert len(once._seen) == 3
    now[0] = 11.0
    assert await once.first("k", "e")
    assert len(once._seen) == 1  # the window passed: only the newest is kept
    assert not await once.first("k", "a")  # the store still knows it
