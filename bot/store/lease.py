"""Named leases with expiry: exactly one replica holds a lease at a time.

The holder renews it well before it runs out; when the holder dies, the lease expires and
the next replica to ask takes it over. Works the same on SQLite and PostgreSQL (one
conditional UPDATE, then an INSERT … ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_, update

from bot.store.base import StoreBase
from bot.store.models import Lease

__all__ = ["LeaseStore"]


class LeaseStore(StoreBase):
    async def claim_lease(
        self, name: str, holder: str, *, ttl: float, now: dt.datetime | None = None
    ) -> bool:
        """Take or renew the lease; True when ``holder`` holds it until ``now + ttl``."""
        now = now or dt.datetime.now(dt.UTC)
        expires = now + dt.timedelta(seconds=ttl)
        async with self.session.begin() as session:
            renewed = await session.execute(
                update(Lease)
                .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
                .values(holder=holder, expires_at=expires)
            )
            if renewed.rowcount:  # type: ignore[attr-defined]
                return True
            created = await session.execute(
                self.insert(Lease)
                .values(name=name, holder=holder, expires_at=expires)
                .on_conflict_do_nothing()
            )
            return bool(created.rowcount)  # type: ignore[attr-defined]

    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up at once (clean shutdown) so another replica need not wait."""
        async with self.session.begin() as session:
            await session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
