"""The store methods behind the notifier (intake, delivery, the poller lease), on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.store import Notification, Store, aware
from tests.store.conftest import StoreFactory

T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


def note(key: str, channel: str = "C1", ticket: int = 4503) -> Notification:
    return Notification(key, channel, ticket, "note", {"summary": key})


async def queue(store: Store, *notifications: Notification, customer: int = 40123) -> int:
    async with store.ticket_update(customer, notifications[0].ticket_id) as update:
        return await update.enqueue_notifications(notifications)


# -- the poller lease -----------------------------------------------------------------------


async def test_one_holder_at_a_time_and_an_expired_lease_is_taken_over(
    open_store: StoreFactory,
) -> None:
    a, b = await open_store(), await open_store()
    assert await a.claim_lease("poller", "a", ttl=10, now=T0)
    assert not await b.claim_lease("poller", "b", ttl=10, now=T0 + dt.timedelta(seconds=5))
    assert await a.claim_lease("poller", "a", ttl=10, now=T0 + dt.timedelta(seconds=9))  # renew
    assert not await b.claim_lease("poller", "b", ttl=10, now=T0 + dt.timedelta(seconds=15))
    assert await b.claim_lease("poller", "b", ttl=10, now=T0 + dt.timedelta(seconds=20))
    assert not await a.claim_lease("poller", "a", ttl=10, now=T0 + dt.timedelta(seconds=21))


async def test_releasing_a_lease_hands_it_over_at_once_but_only_by_its_holder(
    open_store: StoreFactory,
) -> None:
    a, b = await open_store(), await open_store()
    assert await a.claim_lease("poller", "a", ttl=60)
    await b.release_lease("poller", "b")  # not b's: nothing happens
    assert not await b.claim_lease("poller", "b", ttl=60)
    await a.release_lease("poller", "a")
    assert await b.claim_lease("poller", "b", ttl=60)


# -- recording a ticket's state -------------------------------------------------------------


async def test_a_ticket_update_saves_the_state_and_bumps_its_version_on_change(
    store: Store,
) -> None:
    async with store.ticket_update(40123, 4503) as update:
        assert update.state is None
        await update.save_state(status="New", note_ids=["1"], note_digest="d1", changed=False)
    async with store.ticket_update(40123, 4503) as update:
        state = update.state
        assert state is not None
        assert (state.status, state.note_ids, state.note_digest, state.version) == (
            "New",
            ["1"],
            "d1",
            0,
        )
        await update.save_state(
            status="InProgress", note_ids=["1", "2"], note_digest="d2", changed=True
        )
    async with store.ticket_update(40123, 4503) as update:
        assert update.state is not None
        assert (update.state.status, update.state.version) == ("InProgress", 1)
    async with store.ticket_update(40123, 4504) as update:
        await update.save_state(status="New", note_ids=[], note_digest=None, changed=True)
    async with store.ticket_update(40123, 4504) as update:
        assert update.state is not None
        assert update.state.version == 1
    assert await store.known_tickets(40123, [4503, 4504, 4505]) == {4503, 4504}
    assert await store.known_tickets(40777, [4503]) == set()
    assert await store.known_tickets(40123, []) == set()


async def test_a_failed_ticket_update_saves_and_queues_nothing(store: Store) -> None:
    async def crash_mid_update() -> None:
        async with store.ticket_update(40123, 4503) as update:
            await update.save_state(status="New", note_ids=[], note_digest=None, changed=True)
            await update.enqueue_notifications([note("note:C1:4503:a")])
            raise RuntimeError("crashed before the commit")

    with pytest.raises(RuntimeError):
        await crash_mid_update()
    async with store.ticket_update(40123, 4503) as update:
        assert update.state is None
    assert await store.pending_count() == 0


async def test_the_audience_of_a_change(store: Store) -> None:
    await store.add_subscription(
        channel_id="C1", customer_id=40123, status=None, category=None, site=None, by="U1"
    )
    await store.add_subscription(
        channel_id="C2", customer_id=40777, status=None, category=None, site=None, by="U1"
    )
    await store.add_watch("C3", 4503, customer_id=40123, by="U1")
    await store.remember_card("C4", 4503, "1.1")
    await store.record_slack_ticket(4503, customer_id=40123, user_id="U9", channel_id=None)
    async with store.ticket_update(40123, 4503) as update:
        assert [s.channel_id for s in await update.subscriptions()] == ["C1"]
        assert await update.watching_channels() == {"C3"}
        assert await update.card_channels() == {"C4"}
        assert await update.dm_recipient() == "U9"
    await store.set_notify("U9", False)
    async with store.ticket_update(40123, 4503) as update:
        assert await update.dm_recipient() is None
    async with store.ticket_update(40123, 4600) as update:
        assert await update.dm_recipient() is None  # not opened from Slack


async def test_notifications_are_queued_once_per_dedupe_key(store: Store) -> None:
    assert await queue(store, note("note:C1:4503:a"), note("note:C2:4503:a", "C2")) == 2
    assert await queue(store, note("note:C1:4503:a"), note("note:C1:4503:b")) == 1
    long = "x" * 300  # longer than the column: cut, still deduped
    assert await queue(store, note(long)) == 1
    assert await queue(store, note(long)) == 0
    async with store.ticket_update(40123, 4503) as update:
        assert await update.enqueue_notifications([]) == 0
    assert await store.pending_count() == 4


# -- what the poller follows ----------------------------------------------------------------


async def test_followed_customers_and_tickets(store: Store) -> None:
    assert await store.followed_customers() == set()
    await store.add_subscription(
        channel_id="C1", customer_id=40123, status=None, category=None, site=None, by="U1"
    )
    await store.add_watch("C1", 4503, customer_id=40777, by="U1")
    await store.record_slack_ticket(4522, customer_id=40888, user_id="U1", channel_id=None)
    assert await store.followed_customers() == {40123, 40777, 40888}

    await store.remember_card("C1", 4600, "1.1")  # carded, seen before: followed
    await store.remember_card("C1", 4601, "1.2")  # carded, never seen: not (yet)
    for tid in (4503, 4600):
        async with store.ticket_update(40777, tid) as update:
            await update.save_state(status="New", note_ids=[], note_digest=None, changed=False)
    followed = await store.followed_tickets(40777)
    assert sorted(followed) == [4503, 4600]
    assert all(s is not None and s.status == "New" for s in followed.values())
    assert await store.followed_tickets(40888) == {4522: None}  # opened from Slack, unseen


async def test_subscriptions_with_and_without_a_site(store: Store) -> None:
    assert not await store.has_subscriptions(40123)
    await store.add_subscription(
        channel_id="C1", customer_id=40123, status=None, category=None, site=None, by="U1"
    )
    assert await store.has_subscriptions(40123)
    assert not await store.has_subscriptions(40123, with_site=True)
    await store.add_subscription(
        channel_id="C1", customer_id=40123, status=None, category=None, site="842", by="U1"
    )
    assert await store.has_subscriptions(40123, with_site=True)
    assert not await store.has_subscriptions(40777)


async def test_cursors(store: Store) -> None:
    assert await store.cursor("poll:new:40123") is None
    await store.set_cursor("poll:new:40123", "a", now=T0)
    await store.set_cursor("poll:new:40123", "b", now=T0)
    assert await store.cursor("poll:new:40123") == "b"
    assert await store.cursor("poll:new:40777") is None


# -- delivery -------------------------------------------------------------------------------


async def test_pending_entries_per_channel_oldest_first(store: Store) -> None:
    await queue(store, *(note(f"k{i}", "C1" if i % 2 else "C2") for i in range(6)))
    assert sorted(await store.outbox_channels()) == ["C1", "C2"]
    assert await store.pending_count() == 6
    first = await store.pending_entries("C1", limit=2)
    assert [e.dedupe_key for e in first] == ["k1", "k3"]
    assert all((e.state, e.attempts) == ("pending", 0) for e in first)
    assert await store.pending_entries("C9", limit=10) == []


async def test_the_post_protocol_marks(store: Store) -> None:
    await queue(store, note("k1"), note("k2"), note("k3"))
    one, two, three = (e.id for e in await store.pending_entries("C1", limit=10))
    await store.mark_sending([one, two], thread_ts="1.0")
    await store.mark_sending([two], thread_ts=None)
    entries = {e.id: e for e in await store.pending_entries("C1", limit=10)}
    assert (entries[one].state, entries[one].attempts, entries[one].thread_ts) == (
        "sending",
        1,
        "1.0",
    )
    assert (entries[two].attempts, entries[two].thread_ts) == (2, None)

    await store.mark_pending([one], error="ratelimited" * 10)
    await store.mark_failed([three], error="not_in_channel")
    entries = {e.id: e for e in await store.pending_entries("C1", limit=10)}
    assert entries[one].state == "pending"
    assert entries[one].error == ("ratelimited" * 10)[:64]
    assert three not in entries  # failed: never delivered again
    await store.mark_pending([one])  # no error given: the last one stays
    assert (await store.pending_entries("C1", limit=1))[0].error == ("ratelimited" * 10)[:64]

    await store.mark_sent([one, two], "2.0")
    assert await store.pending_count() == 0
    assert await store.outbox_channels() == []
    assert await store.card("C1", 4503) is None


async def test_a_post_that_becomes_the_card_is_remembered_with_the_sent_mark(
    store: Store,
) -> None:
    await queue(store, note("k1"))
    [entry] = await store.pending_entries("C1", limit=10)
    await store.mark_sent([entry.id], "3.0", card=("C1", 4503, "3.0"))
    assert await store.card("C1", 4503) == "3.0"
    await store.remember_card("C1", 4503, "4.0")  # the newest card wins
    assert await store.card("C1", 4503) == "4.0"
    assert await store.card("C2", 4503) is None


def test_aware_makes_naive_stored_times_utc() -> None:
    naive = dt.datetime(2026, 1, 1, 12, 0)  # what SQLite hands back
    assert aware(naive) == T0
    other = dt.datetime(2026, 1, 1, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert aware(other) is other
