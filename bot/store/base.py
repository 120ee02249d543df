"""What every part of the store shares: the engine, its sessions, and the one place that
knows SQLite from PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

__all__ = ["StoreBase", "aware"]


def aware(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp as an aware UTC datetime (SQLite hands them back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class StoreBase:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.session = async_sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def insert(self, table: Any) -> Any:
        """INSERT with ON CONFLICT support for this store's dialect (the other dialect's
        modules are never imported: engine creation already loaded this one's)."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
