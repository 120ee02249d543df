"""The outbox as delivery sees it (what is owed to which channel, and each entry's step in
the post protocol of :mod:`bot.notify.delivery`), and the ticket cards posts thread under."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.base import StoreBase
from bot.store.models import OutboxEntry, TicketCard

__all__ = ["OutboxStore"]

_UNSENT = ("pending", "sending")


class OutboxStore(StoreBase):
    # -- what is owed ---------------------------------------------------------------------

    async def outbox_channels(self) -> list[str]:
        """Channels (and DM user ids) with entries not yet sent."""
        async with self.session() as session:
            return list(
                await session.scalars(
                    select(OutboxEntry.channel_id).where(OutboxEntry.state.in_(_UNSENT)).distinct()
                )
            )

    async def pending_count(self) -> int:
        """Entries not yet sent, over all channels."""
        async with self.session() as session:
            found = await session.scalar(
                select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state.in_(_UNSENT))
            )
            return int(found or 0)

    async def pending_entries(self, channel_id: str, *, limit: int) -> list[OutboxEntry]:
        """The channel's oldest entries not yet sent, in the order they were queued."""
        async with self.session() as session:
            return list(
                await session.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.channel_id == channel_id, OutboxEntry.state.in_(_UNSENT))
                    .order_by(OutboxEntry.id)
                    .limit(limit)
                )
            )

    # -- the post protocol ----------------------------------------------------------------

    async def mark_sending(self, ids: Sequence[int], *, thread_ts: str | None) -> None:
        """Step 1, before the post: the entries are in doubt until marked sent."""
        await self._set_state(
            ids, state="sending", attempts=OutboxEntry.attempts + 1, thread_ts=thread_ts
        )

    async def mark_sent(
        self, ids: Sequence[int], message_ts: str, *, card: tuple[str, int, str] | None = None
    ) -> None:
        """Step 3, after the post: the entries are sent, and (``card``: channel, ticket,
        ts) the post is the ticket's card there, in the same commit."""
        now = dt.datetime.now(dt.UTC)
        async with self.session.begin() as session:
            await session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_(list(ids)))
                .values(state="sent", message_ts=message_ts, sent_at=now, error=None)
            )
            if card is not None:
                await self._remember_card(session, *card, now=now)

    async def mark_pending(
        self, ids: Sequence[int], *, error: str | None = None, refund: bool = False
    ) -> None:
        """Not posted (refused for now, or not found after a crash): back to the queue.
        ``refund``: the refusal was Slack's "not now" (rate limited, access lost), so the
        attempt marked at step 1 is given back: waiting out an outage never fails an entry."""
        values: dict[str, Any] = {"state": "pending", **_error(error)}
        if refund:
            values["attempts"] = OutboxEntry.attempts - 1
        await self._set_state(ids, **values)

    async def mark_failed(self, ids: Sequence[int], *, error: str) -> None:
        """Never deliverable: kept for the record, not retried."""
        await self._set_state(ids, state="failed", **_error(error))

    async def _set_state(self, ids: Sequence[int], **values: Any) -> None:
        async with self.session.begin() as session:
            await session.execute(
                update(OutboxEntry).where(OutboxEntry.id.in_(list(ids))).values(**values)
            )

    # -- ticket cards ---------------------------------------------------------------------

    async def remember_card(self, channel_id: str, ticket_id: int, message_ts: str) -> None:
        """The ticket's card in this channel (the newest one wins)."""
        async with self.session.begin() as session:
            await self._remember_card(
                session, channel_id, ticket_id, message_ts, now=dt.datetime.now(dt.UTC)
            )

    async def card(self, channel_id: str, ticket_id: int) -> str | None:
        """The ts of the ticket's card in this channel, if it has one."""
        async with self.session() as session:
            found = await session.get(TicketCard, (channel_id, ticket_id))
            return found.message_ts if found else None

    async def ticket_of_card(self, channel_id: str, message_ts: str) -> int | None:
        """The ticket whose card is the message ``message_ts`` in this channel (a thread
        under a card acts on its ticket), if any."""
        async with self.session() as session:
            found = await session.scalar(
                select(TicketCard.ticket_id).where(
                    TicketCard.channel_id == channel_id, TicketCard.message_ts == message_ts
                )
            )
            return int(found) if found is not None else None

    async def _remember_card(
        self,
        session: AsyncSession,
        channel_id: str,
        ticket_id: int,
        message_ts: str,
        *,
        now: dt.datetime,
    ) -> None:
        stmt = self.insert(TicketCard).values(
            channel_id=channel_id, ticket_id=ticket_id, message_ts=message_ts
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[TicketCard.channel_id, TicketCard.ticket_id],
            set_={"message_ts": message_ts, "updated_at": now},
        )
        await session.execute(stmt)


def _error(error: str | None) -> dict[str, Any]:
    return {} if error is None else {"error": error[:64]}
