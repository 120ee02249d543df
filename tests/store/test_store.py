"""Store behaviour on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import inspect, text

from bot.store import Store
from bot.store.store import SCHEMA_HEAD
from tests.store.conftest import StoreFactory


async def test_schema_is_at_the_latest_migration_and_reopening_is_a_no_op(
    open_store: StoreFactory,
) -> None:
    first = await open_store()
    async with first.engine.connect() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    assert version == SCHEMA_HEAD
    second = await open_store()
    await second.ping()


async def test_claim_is_first_caller_wins_even_under_concurrency(store: Store) -> None:
    results = await asyncio.gather(*(store.claim("slack_event", "Ev1") for _ in range(25)))
    assert results.count(True) == 1
    assert await store.claim("slack_event", "Ev2")
    assert await store.claim("action", "Ev1")  # kinds are separate


async def test_claims_hold_across_instances(open_store: StoreFactory) -> None:
    a, b = await open_store(), await open_store()
    assert await a.claim("slack_event", "EvX")
    assert not await b.claim("slack_event", "EvX")
    await a.release("slack_event", "EvX")
    assert await b.claim("slack_event", "EvX")


async def test_channel_customer_binding(store: Store) -> None:
    assert await store.channel_customer("C1") is None
    await store.set_channel_customer("C1", 40123, by="U1")
    await store.set_channel_customer("C1", 40777, by="U2")
    assert await store.channel_customer("C1") == 40777


async def test_subscriptions_are_per_channel(store: Store) -> None:
    one = await store.add_subscription(
        channel_id="C1", customer_id=40123, status="open", category=None, site=None, by="U1"
    )
    await store.add_subscription(
        channel_id="C2", customer_id=40123, status=None, category="VOO", site="812", by="U1"
    )
    assert [s.channel_id for s in await store.list_subscriptions("C1")] == ["C1"]
    assert len(await store.list_subscriptions()) == 2
    assert await store.remove_subscriptions("C2", [one.id]) == 0
    assert await store.remove_subscriptions("C1", [one.id]) == 1
    assert await store.remove_subscriptions("C2", None) == 1
    assert await store.list_subscriptions() == []


async def test_watches_are_idempotent(store: Store) -> None:
    assert await store.add_watch("C1", 4503, customer_id=40123, by="U1")
    assert not await store.add_watch("C1", 4503, customer_id=40123, by="U2")
    assert await store.is_watching("C1", 4503)
    assert [w.channel_id for w in await store.list_watches(ticket_id=4503)] == ["C1"]
    assert await store.remove_watch("C1", 4503)
    assert not await store.remove_watch("C1", 4503)
    assert not await store.is_watching("C1", 4503)


async def test_slack_tickets_and_notify_preferences(store: Store) -> None:
    await store.record_slack_ticket(4522, customer_id=40123, user_id="U1", channel_id="C1")
    await store.record_slack_ticket(4522, customer_id=40123, user_id="U1", channel_id="C1")
    await store.record_slack_ticket(4523, customer_id=40123, user_id="U2", channel_id=None)
    assert [t.ticket_id for t in await store.slack_tickets_of("U1")] == [4522]
    assert (await store.slack_ticket(4523)).user_id == "U2"  # type: ignore[union-attr]
    assert await store.notify_enabled("U1")
    await store.set_notify("U1", False)
    assert not await store.notify_enabled("U1")
    await store.set_notify("U1", True)
    assert await store.notify_enabled("U1")


async def test_housekeeping_forgets_old_claims_and_delivered_entries_only(store: Store) -> None:
    import datetime as dt

    from sqlalchemy import func, select, update

    from bot.store.models import ClaimedKey, OutboxEntry

    assert await store.claim("slack_event", "old")
    assert await store.claim("slack_event", "new")
    async with store.session.begin() as session:
        for key, state in (("a", "sent"), ("b", "pending"), ("c", "failed")):
            session.add(
                OutboxEntry(
                    dedupe_key=key,
                    channel_id="C1",
                    ticket_id=1,
                    kind="note",
                    payload={},
                    state=state,
                    attempts=0,
                )
            )
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    async with store.session.begin() as session:
        await session.execute(
            update(ClaimedKey).where(ClaimedKey.key == "old").values(claimed_at=long_ago)
        )
        await session.execute(update(OutboxEntry).values(created_at=long_ago))
    removed = await store.forget_before(dt.datetime.now(dt.UTC) - dt.timedelta(days=7))
    assert removed == 3  # the old claim, the sent and the failed entries
    assert await store.claim("slack_event", "old")  # forgotten
    assert not await store.claim("slack_event", "new")
    async with store.session() as session:
        states = list(await session.scalars(select(OutboxEntry.state)))
        assert states == ["pending"]  # never drop undelivered work
        assert await session.scalar(select(func.count()).select_from(ClaimedKey)) == 2


def test_the_fast_path_knows_the_newest_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.store.store import SCHEMA_HEAD

    config = Config()
    config.set_main_option("script_location", "bot.store:migrations")
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD


def _count_statements(store: Store) -> list[str]:
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", count)
    return statements


async def test_the_read_path_runs_no_sql(store: Store) -> None:
    await store.follower.stop()  # its polls are not the read path
    await store.set_channel_customer("C9", 40777, by="U1")
    await store.add_watch("C9", 4503, customer_id=40777, by="U1")
    await store.add_subscription(
        channel_id="C9", customer_id=40777, status=None, category=None, site=None, by="U1"
    )
    statements = _count_statements(store)
    for _ in range(3):
        assert await store.channel_customer("C9") == 40777
        assert await store.channel_customer("C-new") is None  # a channel never configured
        assert await store.is_watching("C9", 4503)
        assert not await store.is_watching("C-new", 1)
        assert [s.channel_id for s in await store.list_subscriptions("C9")] == ["C9"]
        assert [w.ticket_id for w in await store.list_watches(channel_id="C9")] == [4503]
    assert statements == []


async def test_rows_from_memory_carry_every_column(store: Store) -> None:
    sub = await store.add_subscription(
        channel_id="C1", customer_id=40123, status="open", category="VOO", site="812", by="U1"
    )
    await store.add_watch("C1", 4503, customer_id=40123, by="U1")
    for listed in (
        await store.list_subscriptions(),
        await (await _reopened(store)).list_subscriptions(),
    ):
        (found,) = listed
        assert (found.id, found.status, found.category, found.site) == (
            sub.id,
            "open",
            "VOO",
            "812",
        )
        assert found.created_at is not None
        assert found.created_by == "U1"
    (watch,) = await store.list_watches()
    assert (watch.customer_id, watch.created_by) == (40123, "U1")
    assert watch.created_at is not None


async def _reopened(store: Store) -> Store:
    other = Store(store.engine)
    await other.reload()
    return other


async def test_a_new_store_loads_what_is_there(open_store: StoreFactory) -> None:
    first = await open_store()
    await first.set_channel_customer("C1", 40777, by="U1")
    await first.add_watch("C1", 4503, customer_id=40777, by="U1")
    await first.add_subscription(
        channel_id="C2", customer_id=40123, status=None, category=None, site=None, by="U1"
    )
    second = await open_store()  # a restart, or another replica starting
    assert await second.channel_customer("C1") == 40777
    assert await second.is_watching("C1", 4503)
    assert [s.channel_id for s in await second.list_subscriptions()] == ["C2"]


async def test_another_replicas_writes_are_seen_at_its_next_poll(
    open_store: StoreFactory,
) -> None:
    writer, reader = await open_store(), await open_store()
    await reader.follower.stop()  # polled by hand here: one poll, one check
    assert not await reader.follower.sync()  # nothing changed: no reload
    await writer.set_channel_customer("C5", 40777, by="U1")
    await writer.add_watch("C5", 4503, customer_id=40777, by="U1")
    sub = await writer.add_subscription(
        channel_id="C5", customer_id=40777, status=None, category=None, site=None, by="U1"
    )
    assert await reader.channel_customer("C5") is None  # not polled yet
    assert await reader.follower.sync()
    assert await reader.channel_customer("C5") == 40777
    assert await reader.is_watching("C5", 4503)
    assert [s.id for s in await reader.list_subscriptions("C5")] == [sub.id]
    await writer.remove_watch("C5", 4503)
    await writer.remove_subscriptions("C5", None)
    await writer.set_channel_customer("C5", 40888, by="U1")
    assert await reader.follower.sync()
    assert not await reader.is_watching("C5", 4503)
    assert await reader.list_subscriptions() == []
    assert await reader.channel_customer("C5") == 40888
    assert not await reader.follower.sync()  # in step again


async def test_the_follower_runs_by_itself_and_polls_well_within_a_second(
    open_store: StoreFactory,
) -> None:
    """Another replica's change is seen within one poll interval plus one reload: the
    interval is a quarter of a second (bench/replicas.py measures the time on PostgreSQL)."""
    from bot.store.store import SYNC_INTERVAL

    assert SYNC_INTERVAL <= 0.25
    writer, reader = await open_store(), await open_store()
    assert reader.follower.interval == SYNC_INTERVAL
    await writer.set_channel_customer("C6", 40777, by="U1")
    # The first poll to end may have begun before the write; the second began after it.
    for _ in range(2):
        await asyncio.wait_for(reader.follower.synced.wait(), 30)  # a hang guard only
    assert await reader.channel_customer("C6") == 40777


async def test_this_replicas_writes_are_read_at_once_and_reloads_never_undo_them(
    store: Store,
) -> None:
    await store.follower.stop()
    writes = [store.set_channel_customer(f"C{n}", 40000 + n, by="U1") for n in range(20)]
    reloads = [store.reload() for _ in range(20)]
    await asyncio.gather(*(w for pair in zip(writes, reloads, strict=True) for w in pair))
    for n in range(20):
        assert await store.channel_customer(f"C{n}") == 40000 + n
    await store.follower.sync()
    assert [await store.channel_customer(f"C{n}") for n in range(20)] == [
        40000 + n for n in range(20)
    ]


async def test_two_replicas_writing_at_once_end_in_step(open_store: StoreFactory) -> None:
    a, b = await open_store(), await open_store()
    for s in (a, b):
        await s.follower.stop()
    await asyncio.gather(
        *(a.add_watch("C1", t, customer_id=40123, by="U1") for t in range(10)),
        *(b.add_watch("C2", t, customer_id=40123, by="U2") for t in range(10)),
    )
    await asyncio.gather(a.follower.sync(), b.follower.sync())
    for s in (a, b):
        assert len(await s.list_watches()) == 20
        assert not await s.follower.sync()


async def test_a_failing_poll_keeps_the_copy_and_the_follower_goes_on(store: Store) -> None:
    from bot.store.config import Follower

    await store.set_channel_customer("C1", 40777, by="U1")
    calls: list[str] = []

    async def poll() -> int:
        calls.append("poll")
        if len(calls) == 1:
            raise OSError("database away")
        return store.config.version

    follower = Follower(store.config, poll=poll, reload=store.reload, interval=0.01)
    follower.start()
    try:
        await asyncio.wait_for(follower.synced.wait(), 30)  # a hang guard only
    finally:
        await follower.stop()
    assert len(calls) >= 2
    assert await store.channel_customer("C1") == 40777


def _schema(connection: Any) -> dict[str, Any]:
    found = inspect(connection)
    tables: dict[str, Any] = {}
    for table in sorted(found.get_table_names()):
        tables[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in found.get_columns(table)
            ],
            "pk": found.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(table)
            ),
            "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(table)),
            "foreign_keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in found.get_foreign_keys(table)
            ),
        }
    return tables


async def test_a_new_database_gets_exactly_the_schema_the_migrations_build(
    open_store: StoreFactory,
) -> None:
    from bot.store.store import SCHEMA_HEAD, _upgrade

    store = await open_store()  # empty database: the one-step path
    async with store.engine.begin() as conn:
        fast = await conn.run_sync(_schema)
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    assert version == SCHEMA_HEAD
    assert "alembic_version" in fast
    assert len(fast) > 5
    async with store.engine.begin() as conn:
        for table in fast:
            await conn.execute(text(f'DROP TABLE "{table}"'))
    async with store.engine.begin() as conn:
        await conn.run_sync(_upgrade)  # the same database, built by the migrations
        migrated = await conn.run_sync(_schema)
    assert fast == migrated
