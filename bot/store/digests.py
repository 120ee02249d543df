"""Scheduled digests (``/ticket digest``): the schedules, read from SQL each time.

They are few and read by the notifier about twice a minute, so they are not held in memory
like subscriptions; which slot already fired is a claim (``Store.claim``), not a column.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select

from bot.store.base import StoreBase
from bot.store.models import Digest

__all__ = ["DigestStore"]


class DigestStore(StoreBase):
    async def add_digest(
        self,
        *,
        channel_id: str,
        customer_id: int,
        days: str,
        at_minute: int,
        status: str | None,
        category: str | None,
        site: str | None,
        stale_minutes: int,
        by: str,
    ) -> Digest:
        row = Digest(
            channel_id=channel_id,
            customer_id=customer_id,
            days=days,
            at_minute=at_minute,
            status=status,
            category=category,
            site=site,
            stale_minutes=stale_minutes,
            created_by=by,
        )
        async with self.session.begin() as session:
            session.add(row)
            await session.flush()
            await session.refresh(row)  # with created_at
        return row

    async def list_digests(self, channel_id: str | None = None) -> list[Digest]:
        """By channel, then id; every channel's when ``channel_id`` is None."""
        query = select(Digest).order_by(Digest.channel_id, Digest.id)
        if channel_id is not None:
            query = query.where(Digest.channel_id == channel_id)
        async with self.session() as session:
            return list(await session.scalars(query))

    async def digest(self, digest_id: int) -> Digest | None:
        async with self.session() as session:
            return await session.get(Digest, digest_id)

    async def remove_digests(self, channel_id: str, ids: Sequence[int] | None) -> int:
        """Remove the channel's digests with these ids (all of them when ``ids`` is None)."""
        stmt = delete(Digest).where(Digest.channel_id == channel_id)
        if ids is not None:
            stmt = stmt.where(Digest.id.in_(list(ids)))
        async with self.session.begin() as session:
            removed = await session.scalars(stmt.returning(Digest.id))
            return len(list(removed))
