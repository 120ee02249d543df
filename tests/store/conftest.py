"""The same store suite runs on a real SQLite file and on the real PostgreSQL server.

PostgreSQL: a fresh database per test, dropped after. Where no server answers at
127.0.0.1:5432 the PostgreSQL variants skip with a loud reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from bot.store import Store

PG_ADMIN = os.environ.get("CHATOPS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

StoreFactory = Callable[[], Awaitable[Store]]


async def _pg_available() -> str | None:
    try:
        conn = await asyncpg.connect(PG_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL at {PG_ADMIN} did not answer ({type(exc).__name__}: {exc})"
    await conn.close()
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    problem = await _pg_available()
    if problem:
        pytest.skip(f"POSTGRESQL STORE TESTS SKIPPED: {problem}")
    name = f"chatops_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN.rsplit("/", 1)[0]
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def open_store(database_url: str) -> AsyncIterator[StoreFactory]:
    """Open as many Store instances on the database as a test needs (replicas, restarts)."""
    opened: list[Store] = []

    async def factory() -> Store:
        store = await Store.open(database_url)
        opened.append(store)
        return store

    try:
        yield factory
    finally:
        for store in opened:
            await store.close()


@pytest.fixture
async def store(open_store: StoreFactory) -> Store:
    return await open_store()
