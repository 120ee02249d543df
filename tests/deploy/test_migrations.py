"""Replicas against one PostgreSQL while the schema is being migrated.

``Store.open`` migrates under a PostgreSQL advisory lock held for the migration's
transaction. Here the test plays the replica that is mid-migration (it holds that lock in an
open transaction with the schema created but not committed) and a real ``chatops-bot run``
starts beside it: it must wait for the lock, not serve meanwhile, then start cleanly on the
schema the other one committed. And two replicas started at the same moment on an empty
database must both come up, with the schema made once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from bot.sandbox import RunningSandbox
from bot.store.store import _MIGRATION_LOCK, SCHEMA_HEAD, _prepare_schema, normalise_database_url
from tests.deploy.conftest import SHUTDOWN_GRACE, Spawn, bot_env, until
from tests.fakes.slack import FakeSlack


@contextlib.asynccontextmanager
async def migration_in_progress(db: str) -> AsyncIterator[None]:
    """Run the store's own schema step in a transaction that stays open (and so keeps the
    migration lock) until the block ends, then commit it."""
    engine = create_async_engine(normalise_database_url(db))
    try:
        async with engine.connect() as conn:
            transaction = await conn.begin()
            await conn.run_sync(_prepare_schema)
            yield
            await transaction.commit()
    finally:
        await engine.dispose()


def waiting_for_lock(db: str) -> Callable[[], Awaitable[bool]]:
    """Whether some session waits for the migration lock (pg_locks: not granted)."""

    async def check() -> bool:
        conn = await asyncpg.connect(db)
        try:
            waiting = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid = 0 AND objid = $1 AND NOT granted",
                _MIGRATION_LOCK,
            )
        finally:
            await conn.close()
        return bool(waiting)

    return check


async def schema_versions(db: str) -> list[str]:
    conn = await asyncpg.connect(db)
    try:
        return [r[0] for r in await conn.fetch("SELECT version_num FROM alembic_version")]
    finally:
        await conn.close()


async def test_a_replica_starting_during_a_migration_waits_for_the_lock_and_starts_cleanly(
    spawn: Spawn,
    slack: FakeSlack,
    sandbox: RunningSandbox,
    http: aiohttp.ClientSession,
    pg_url: str,
    tmp_path: Path,
) -> None:
    async with migration_in_progress(pg_url):
        b = await spawn(
            "replica-b", bot_env(slack, sandbox, tmp_path / "data", DATABASE_URL=pg_url)
        )
        await until(waiting_for_lock(pg_url), 20, "b waits for the migration lock")
        await asyncio.sleep(1.0)  # and keeps waiting: it neither fails nor serves
        assert b.proc.returncode is None, b.log()[-3000:]
        assert await b.get(http, "/healthz") is None
    await b.wait_ready(http)
    assert await schema_versions(pg_url) == [SCHEMA_HEAD]
    assert "Traceback" not in b.log()
    assert not [e for e in b.events() if e.get("level") == "error"], b.log()[-3000:]
    b.signal()
    assert await b.wait_exit(SHUTDOWN_GRACE) == 0


async def test_two_replicas_started_together_on_an_empty_database_both_start(
    spawn: Spawn,
    slack: FakeSlack,
    sandbox: RunningSandbox,
    http: aiohttp.ClientSession,
    pg_url: str,
    tmp_path: Path,
) -> None:
    env = bot_env(slack, sandbox, tmp_path / "data", DATABASE_URL=pg_url)
    replicas = [await spawn(f"replica-{n}", env) for n in ("a", "b")]
    await asyncio.gather(*(r.wait_ready(http) for r in replicas))
    assert await schema_versions(pg_url) == [SCHEMA_HEAD]
    for replica in replicas:
        assert "Traceback" not in replica.log()
        replica.signal()
    assert [await r.wait_exit(SHUTDOWN_GRACE) for r in replicas] == [0, 0]
