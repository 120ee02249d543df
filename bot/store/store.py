"""Store: delivery/idempotency keys now; subscriptions, watches and cursors build on it.

``claim(kind, key)`` is the exactly-once primitive: the first caller for a key wins,
every later one (a Slack retry, a double click, another replica) gets False. It is one
``INSERT … ON CONFLICT DO NOTHING``, atomic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy import DateTime, MetaData, String, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "ClaimedKey", "Store", "normalise_database_url"]


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class ClaimedKey(Base):
    """A key processed once: a Slack event id, an action's idempotency key, …"""

    __tablename__ = "claimed_keys"
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    claimed_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )


def normalise_database_url(url: str) -> str:
    """Accept SQLAlchemy-style URLs and pick the async driver (aiosqlite / asyncpg)."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


def _sqlite_url_in(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'chatops.db').resolve()}"


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._session = async_sessionmaker(engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Store(dialect={self.engine.dialect.name!r})"

    @classmethod
    async def open(cls, url: str | None = None, *, data_dir: Path | None = None) -> Store:
        """Open (and create the tables of) the store; default: SQLite in ``data_dir``."""
        if url is None:
            if data_dir is None:
                raise ValueError("pass a database URL or a data dir")
            url = await asyncio.to_thread(_sqlite_url_in, data_dir)
        engine = create_async_engine(normalise_database_url(url), pool_pre_ping=True)
        store = cls(engine)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        return store

    async def close(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def claim(self, kind: str, key: str) -> bool:
        """True for the first caller with (kind, key); False for every repeat."""
        values = {"kind": kind, "key": key[:255]}
        stmt = (
            pg_insert(ClaimedKey).values(**values).on_conflict_do_nothing()
            if self.engine.dialect.name == "postgresql"
            else sqlite_insert(ClaimedKey).values(**values).on_conflict_do_nothing()
        )
        async with self._session.begin() as session:
            result = await session.execute(stmt)
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def is_claimed(self, kind: str, key: str) -> bool:
        async with self._session() as session:
            found = await session.scalar(
                select(ClaimedKey.key).where(ClaimedKey.kind == kind, ClaimedKey.key == key[:255])
            )
            return found is not None

    async def forget_claims_before(self, cutoff: dt.datetime) -> int:
        async with self._session.begin() as session:
            result = await session.execute(delete(ClaimedKey).where(ClaimedKey.claimed_at < cutoff))
            return int(result.rowcount)  # type: ignore[attr-defined]
