"""Claims committed in groups: first caller wins, however the claims are grouped."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.store import Store
from bot.store.claims import ClaimBatcher
from tests.store.conftest import StoreFactory


async def test_claims_made_at_once_share_transactions_and_the_first_caller_wins(
    store: Store,
) -> None:
    keys = [f"E{n % 40}" for n in range(200)]  # every key asked for five times
    before = store.claims.transactions
    results = await asyncio.gather(*(store.claim("slack_event", k) for k in keys))
    assert sum(results) == 40
    for key in set(keys):
        first = keys.index(key)
        assert results[first], "the first caller of a key wins"
    assert store.claims.transactions - before < 20  # grouped, not one per claim
    assert not await store.claim("slack_event", "E0")
    assert await store.claim("slack_event", "E40")


async def test_grouped_claims_hold_across_instances(open_store: StoreFactory) -> None:
    a, b = await open_store(), await open_store()
    keys = [f"K{n}" for n in range(60)]
    won = await asyncio.gather(
        *(a.claim("action", k) for k in keys), *(b.claim("action", k) for k in keys)
    )
    by_key = {k: won[i] + won[i + len(keys)] for i, k in enumerate(keys)}
    assert set(by_key.values()) == {1}  # exactly one replica won each key


async def test_a_claim_inside_a_callers_transaction_is_part_of_it(store: Store) -> None:
    async with store.session.begin() as session:
        assert await store.claim("outbox", "X", session=session)
        assert not await store.claim("outbox", "X", session=session)
    assert not await store.claim("outbox", "X")


async def test_long_keys_are_cut_as_before_and_release_frees_them(store: Store) -> None:
    key = "k" * 400
    assert await store.claim("action", key)
    assert not await store.claim("action", key[:255] + "different tail")
    await store.release("action", key)
    assert await store.claim("action", key)


async def test_a_failed_insert_fails_its_batch_only() -> None:
    calls: list[list[tuple[str, str]]] = []

    async def insert(keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        calls.append(list(keys))
        await asyncio.sleep(0)
        if len(calls) == 1:
            raise OSError("database away")
        return set(keys)

    batcher = ClaimBatcher(insert)
    first = asyncio.gather(batcher.claim("k", "a"), batcher.claim("k", "b"), return_exceptions=True)
    await asyncio.sleep(0)  # the first batch is in flight: these wait for the next
    later = asyncio.gather(batcher.claim("k", "c"), batcher.claim("k", "c"))
    failed = await first
    assert all(isinstance(r, OSError) for r in failed)
    assert await later == [True, False]
    assert calls == [[("k", "a"), ("k", "b")], [("k", "c")]]


async def test_a_cancelled_caller_leaves_the_others_answered() -> None:
    gate = asyncio.Event()

    async def insert(keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        await gate.wait()
        return set(keys)

    batcher = ClaimBatcher(insert)
    impatient = asyncio.ensure_future(batcher.claim("k", "a"))
    patient = asyncio.ensure_future(batcher.claim("k", "b"))
    await asyncio.sleep(0)
    impatient.cancel()
    gate.set()
    assert await patient
    with pytest.raises(asyncio.CancelledError):
        await impatient
    await batcher.close()


async def test_batches_are_bounded() -> None:
    sizes: list[int] = []

    async def insert(keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        sizes.append(len(keys))
        await asyncio.sleep(0)
        return set(keys)

    batcher = ClaimBatcher(insert, batch_max=7)
    assert all(await asyncio.gather(*(batcher.claim("k", str(n)) for n in range(30))))
    assert max(sizes) == 7
    assert sum(sizes) == 30
