"""What the bot knows of the tickets it follows, as intake sees it: who follows what, the
last state seen of each ticket, the poll cursors, and the transaction that records a
ticket's new state together with the outbox entries it implies."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.base import StoreBase
from bot.store.models import (
    ChangeOrigin,
    Cursor,
    OutboxEntry,
    SlackTicket,
    Subscription,
    TicketCard,
    TicketState,
    UserPrefs,
    Watch,
)

__all__ = ["Notification", "TicketUpdate", "TrackingStore"]


@dataclass(frozen=True)
class Notification:
    """An outbox entry to queue: one post owed to a channel (or a DM, by user id).
    Entries with the same ``dedupe_key`` are queued once, whoever queues them."""

    dedupe_key: str
    channel_id: str
    ticket_id: int
    kind: str
    payload: dict[str, Any]


class TicketUpdate:
    """One ticket's new state being recorded, inside ONE transaction (see
    :meth:`TrackingStore.ticket_update`): ``state`` is the last state seen, or None."""

    def __init__(
        self,
        store: StoreBase,
        session: AsyncSession,
        customer_id: int,
        ticket_id: int,
        state: TicketState | None,
    ) -> None:
        self._store = store
        self._session = session
        self.customer_id = customer_id
        self.ticket_id = ticket_id
        self.state = state
        self.queued = 0
        """Outbox entries this update added (committed when its block ends)."""

    async def save_state(
        self, *, status: str, note_ids: list[str], note_digest: str | None, changed: bool
    ) -> None:
        """Record the state now seen; ``changed`` bumps its version (outbox keys use it)."""
        state = self.state
        if state is None:
            await self._session.execute(
                self._store.insert(TicketState)
                .values(
                    customer_id=self.customer_id,
                    ticket_id=self.ticket_id,
                    status=status,
                    note_ids=note_ids,
                    note_digest=note_digest,
                    version=1 if changed else 0,
                )
                .on_conflict_do_nothing()
            )
            return
        state.status = status
        state.note_ids = note_ids
        state.note_digest = note_digest
        state.seen_at = dt.datetime.now(dt.UTC)
        if changed:
            state.version += 1

    async def subscriptions(self) -> list[Subscription]:
        """The customer's subscriptions (every channel's)."""
        return list(
            await self._session.scalars(
                select(Subscription).where(Subscription.customer_id == self.customer_id)
            )
        )

    async def card_channels(self) -> set[str]:
        """Channels showing a card of the ticket."""
        return set(
            await self._session.scalars(
                select(TicketCard.channel_id).where(TicketCard.ticket_id == self.ticket_id)
            )
        )

    async def watching_channels(self) -> set[str]:
        return set(
            await self._session.scalars(
                select(Watch.channel_id).where(Watch.ticket_id == self.ticket_id)
            )
        )

    async def made_here(self, *, since: dt.datetime) -> set[tuple[str, str]]:
        """``(channel, kind)`` of this ticket's changes made through the bot since ``since``
        (kind: note or status): the channel they were made in already shows them."""
        rows = await self._session.execute(
            select(ChangeOrigin.channel_id, ChangeOrigin.kind).where(
                ChangeOrigin.ticket_id == self.ticket_id, ChangeOrigin.at >= since
            )
        )
        return {(str(c), str(k)) for c, k in rows}

    async def opened_through_the_bot(self) -> bool:
        """Opened from Slack (the App Home and status DMs follow it)."""
        return await self._session.get(SlackTicket, self.ticket_id) is not None

    async def dm_recipient(self) -> str | None:
        """Who opened the ticket from Slack, unless they turned notification DMs off."""
        opener = await self._session.get(SlackTicket, self.ticket_id)
        if opener is None:
            return None
        prefs = await self._session.get(UserPrefs, opener.user_id)
        return opener.user_id if prefs is None or prefs.notify_dm else None

    async def enqueue_notifications(self, notifications: Sequence[Notification]) -> int:
        """Queue the entries not queued before (by ``dedupe_key``); returns how many."""
        if not notifications:
            return 0
        rows = [
            {
                "dedupe_key": n.dedupe_key[:255],
                "channel_id": n.channel_id,
                "ticket_id": n.ticket_id,
                "kind": n.kind,
                "state": "pending",
                "attempts": 0,
                "payload": n.payload,
            }
            for n in notifications
        ]
        result = await self._session.execute(
            self._store.insert(OutboxEntry).values(rows).on_conflict_do_nothing()
        )
        added = int(result.rowcount or 0)  # type: ignore[attr-defined]
        self.queued += added
        return added


class TrackingStore(StoreBase):
    outbox_queued: int = 0
    """Outbox entries this process has queued so far (``bot.notify.delivery`` compares it
    between rounds instead of querying an empty outbox)."""

    @asynccontextmanager
    async def ticket_update(self, customer_id: int, ticket_id: int) -> AsyncIterator[TicketUpdate]:
        """The ticket's last seen state, locked (PostgreSQL) until the block ends; what the
        block saves and queues commits together when it ends without an error."""
        async with self.session.begin() as session:
            query = select(TicketState).where(
                TicketState.customer_id == customer_id, TicketState.ticket_id == ticket_id
            )
            if self.dialect == "postgresql":
                query = query.with_for_update()
            state = await session.scalar(query)
            update = TicketUpdate(self, session, customer_id, ticket_id, state)
            yield update
        # Committed: this process's delivery looks at the outbox at its next round.
        self.outbox_queued += update.queued

    async def followed_customers(self) -> set[int]:
        """Customers with a subscription, a watch, or a ticket opened from Slack."""
        found: set[int] = set()
        async with self.session() as session:
            for column in (Subscription.customer_id, Watch.customer_id, SlackTicket.customer_id):
                found |= set(await session.scalars(select(column).distinct()))
        return found

    async def has_subscriptions(self, customer_id: int, *, with_site: bool = False) -> bool:
        """Does any channel subscribe to the customer's new tickets (with a site filter)?"""
        query = select(Subscription.id).where(Subscription.customer_id == customer_id)
        if with_site:
            query = query.where(Subscription.site.is_not(None))
        async with self.session() as session:
            return await session.scalar(query.limit(1)) is not None

    async def followed_tickets(self, customer_id: int) -> dict[int, TicketState | None]:
        """The customer's followed tickets (watched, opened from Slack, or carded and seen
        before) and the last state seen of each (None: never seen)."""
        async with self.session() as session:
            followed = set(
                await session.scalars(
                    select(Watch.ticket_id).where(Watch.customer_id == customer_id)
                )
            )
            followed |= set(
                await session.scalars(
                    select(SlackTicket.ticket_id).where(SlackTicket.customer_id == customer_id)
                )
            )
            carded = set(await session.scalars(select(TicketCard.ticket_id)))
            states = await session.scalars(
                select(TicketState).where(
                    TicketState.customer_id == customer_id,
                    TicketState.ticket_id.in_(followed | carded),
                )
            )
            found: dict[int, TicketState | None] = {s.ticket_id: s for s in states}
        return {tid: None for tid in followed} | found

    async def known_tickets(self, customer_id: int, ticket_ids: Iterable[int]) -> set[int]:
        """Those of ``ticket_ids`` whose state the bot has seen before."""
        ids = list(ticket_ids)
        if not ids:
            return set()
        async with self.session() as session:
            return set(
                await session.scalars(
                    select(TicketState.ticket_id).where(
                        TicketState.customer_id == customer_id, TicketState.ticket_id.in_(ids)
                    )
                )
            )

    async def cursor(self, name: str) -> str | None:
        async with self.session() as session:
            found = await session.get(Cursor, name)
            return found.value if found else None

    async def set_cursor(self, name: str, value: str, *, now: dt.datetime) -> None:
        stmt = self.insert(Cursor).values(name=name, value=value)
        stmt = stmt.on_conflict_do_update(
            index_elements=[Cursor.name], set_={"value": value, "updated_at": now}
        )
        async with self.session.begin() as session:
            await session.execute(stmt)
