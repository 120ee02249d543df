"""Intake: turn "ticket N may have changed" (a webhook, a poll) into outbox entries.

The ticket is re-read from Bruin and diffed against the last state the bot saw
(``ticket_states``). The new state and the outbox entries it implies are written in ONE
transaction, and every entry has a deterministic ``dedupe_key``, so the same change
arriving by webhook and by poll (even concurrently, on two replicas) is posted once.

Polling cost: one ``StartDate`` list per customer for new tickets (grows with new tickets)
plus one light overview read per *followed* ticket (watched, carded, opened from Slack);
details are read, and anything is written or posted, only for tickets that changed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from bot.clients.bruin import BruinClient
from bot.clients.bruin.models import Site, Ticket, TicketDetails, TicketNote, TicketStatus
from bot.clients.errors import BackendError
from bot.core.aio import gather_or_cancel
from bot.store import Notification, Store, TicketUpdate, aware
from bot.store.models import Subscription, TicketState

__all__ = ["Change", "Intake", "detect", "matches"]

log = structlog.get_logger(__name__)

NEW_TICKET_GRACE = dt.timedelta(minutes=10)
"""A subscription created slightly after a ticket still gets it (clock skew, poll lag)."""
POLL_OVERLAP = dt.timedelta(minutes=5)
"""New-ticket polls look this far behind the cursor; duplicates are deduped by key."""
ECHO_WINDOW = dt.timedelta(minutes=15)
"""A change made through the bot is not posted back to its channel when it shows up within
this long (a poll interval is at most an hour, a webhook comes in seconds)."""
SIGNED = re.compile(r"— via (?:Slack|the chatops-bot console) by .+\([^()\s]+\)\s*$")
"""The audit line every note written through the bot ends with (``Caller.audit_line``)."""
STATUS_GROUPS: dict[str, frozenset[str]] = {
    "open": frozenset({"New", "InProgress", "InReview", "Draft"}),
    "resolved": frozenset({"Resolved"}),
    "closed": frozenset({"Closed"}),
}


@dataclass(frozen=True)
class Change:
    kind: str  # created | note | status
    ticket_id: int
    customer_id: int
    key: str  # unique per ticket: "created", "note:<id>", "status:v<version>"
    summary: str  # one plain-text line (escaped at rendering)
    old_status: str | None = None
    new_status: str | None = None
    note: dict[str, Any] = field(default_factory=dict)


def note_key(note: TicketNote) -> str:
    if note.note_id is not None:
        return str(note.note_id)
    raw = f"{note.created_at}|{note.text}".encode()
    return "h" + hashlib.sha256(raw).hexdigest()[:16]


def note_digest(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest()[:32] if text else None


def _status(ticket: Ticket) -> str:
    return str(ticket.status)


def detect(
    state: TicketState | None, ticket: Ticket, details: TicketDetails, *, is_new: bool
) -> list[Change]:
    """What changed since ``state``; a ticket seen for the first time is a change only
    when it is new (otherwise it is the baseline)."""
    tid, cust = ticket.ticket_id, ticket.client_id or 0
    if state is None:
        if not is_new:
            return []
        return [Change("created", tid, cust, "created", f"New ticket {tid}")]
    changes: list[Change] = []
    seen = set(state.note_ids or [])
    fresh = [n for n in details.notes if note_key(n) not in seen]
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    for note in sorted(fresh, key=lambda n: n.created_at or floor):
        who = note.creator or "someone"
        changes.append(
            Change(
                "note",
                tid,
                cust,
                f"note:{note_key(note)}",
                f"New note on ticket {tid} by {who}",
                note={"text": note.text, "creator": note.creator},
            )
        )
    if _status(ticket) != state.status:
        changes.append(
            Change(
                "status",
                tid,
                cust,
                f"status:v{state.version + 1}",
                f"Ticket {tid}: {_label(state.status)} → {ticket.status_label}",
                old_status=state.status,
                new_status=_status(ticket),
            )
        )
    return changes


def _label(status: str) -> str:
    try:
        return TicketStatus(status).label
    except ValueError:
        return status


def matches(sub: Subscription, ticket: Ticket, sites: dict[int, Site]) -> bool:
    """Does a new ticket match a channel's subscription filter?"""
    if sub.customer_id != (ticket.client_id or sub.customer_id):
        return False
    if sub.status and sub.status != "all":
        group = STATUS_GROUPS.get(sub.status, frozenset({sub.status}))
        if _status(ticket) not in group:
            return False
    if sub.category:
        wanted = sub.category.lower()
        if (
            wanted not in {(ticket.category or "").lower()}
            and wanted not in (ticket.topic or "").lower()
        ):
            return False
    if sub.site:
        line = (ticket.address.line1 or "").lower() if ticket.address else ""
        site = sites.get(int(sub.site)) if sub.site.isdigit() else None
        if site is not None:
            site_line = (site.address.line1 or "").lower() if site.address else ""
            return bool(line) and line == site_line
        return sub.site.lower() in (ticket.address.one_line().lower() if ticket.address else "")
    return True


class Intake:
    def __init__(self, store: Store, bruin: BruinClient, *, read_concurrency: int = 8) -> None:
        self.store = store
        self.bruin = bruin
        self._reads = asyncio.Semaphore(read_concurrency)
        self.poll_failures = 0
        """Backend reads that failed during the last :meth:`poll` (a customer's listing or a
        followed ticket; the poll goes on with the others)."""

    # -- one ticket ---------------------------------------------------------------------

    async def ingest(
        self,
        ticket_id: int,
        *,
        customer_id: int,
        is_new: bool = False,
        ticket: Ticket | None = None,
        baseline: bool = False,
    ) -> int:
        """Re-read one ticket and record what changed; returns outbox entries added."""
        async with self._reads:
            if ticket is None:
                ticket, details = await gather_or_cancel(
                    self.bruin.get_ticket(ticket_id, client_id=customer_id),
                    self.bruin.get_ticket_details(ticket_id),
                )
            else:
                details = await self.bruin.get_ticket_details(ticket_id)
        sites = await self._sites_for(customer_id) if is_new else {}
        return await self._record(customer_id, ticket, details, is_new, baseline, sites)

    async def _record(
        self,
        customer_id: int,
        ticket: Ticket,
        details: TicketDetails,
        is_new: bool,
        baseline: bool,
        sites: dict[int, Site],
    ) -> int:
        tid = ticket.ticket_id
        async with self.store.ticket_update(customer_id, tid) as update:
            changes = [] if baseline else detect(update.state, ticket, details, is_new=is_new)
            await update.save_state(
                status=_status(ticket),
                note_ids=sorted({note_key(n) for n in details.notes}),
                note_digest=note_digest(ticket.most_recent_note),
                changed=bool(changes),
            )
            if not changes:
                return 0
            notifications = await self._plan(update, customer_id, ticket, changes, sites)
            if not notifications:
                return 0
            added = await update.enqueue_notifications(notifications)
        log.info("ticket_changes", ticket=tid, changes=[c.key for c in changes], queued=added)
        return added

    async def _plan(
        self,
        update: TicketUpdate,
        customer_id: int,
        ticket: Ticket,
        changes: Sequence[Change],
        sites: dict[int, Site],
    ) -> list[Notification]:
        tid = ticket.ticket_id
        out: list[Notification] = []

        def entry(channel: str, kind: str, change: Change) -> None:
            payload = {
                "customer_id": customer_id,
                "summary": change.summary,
                "old_status": change.old_status,
                "new_status": change.new_status,
                "note": change.note,
            }
            key = f"{kind}:{channel}:{tid}:{change.key}"
            out.append(Notification(key, channel, tid, kind, payload))

        followers: set[str] | None = None
        made_here: set[tuple[str, str]] | None = None
        for change in changes:
            if change.kind == "created":
                subs = await update.subscriptions()
                through_bot = await update.opened_through_the_bot() or bool(
                    SIGNED.search(ticket.creation_note or "")
                )
                created = ticket.created_at or dt.datetime.now(dt.UTC)
                # A channel that already shows the ticket (opened there from Slack) gets no
                # second card.
                shown = await update.card_channels()
                for sub in subs:
                    recent = created >= aware(sub.created_at) - NEW_TICKET_GRACE
                    fresh = sub.channel_id not in shown
                    wanted = not (through_bot and sub.via == "others")
                    if recent and fresh and wanted and matches(sub, ticket, sites):
                        shown.add(sub.channel_id)  # two matching subscriptions: one card
                        entry(sub.channel_id, "new_ticket", change)
                continue
            if followers is None:
                followers = await update.watching_channels() | await update.card_channels()
                made_here = await update.made_here(since=dt.datetime.now(dt.UTC) - ECHO_WINDOW)
            ours = change.kind == "status" or bool(SIGNED.search(change.note.get("text") or ""))
            for channel in sorted(followers):
                if ours and (channel, change.kind) in (made_here or set()):
                    continue  # made through the bot there: its own answer already shows it
                entry(channel, change.kind, change)
            if change.kind == "status":
                opener = await update.dm_recipient()
                if opener is not None:
                    entry(opener, "dm", change)
        return out

    async def baseline(self, ticket_id: int, *, customer_id: int) -> None:
        """Record a ticket's current state without announcing it (a new watch)."""
        await self.ingest(ticket_id, customer_id=customer_id, baseline=True)

    # -- polling ------------------------------------------------------------------------

    async def poll(self, *, default_customer: int | None, now: dt.datetime | None = None) -> int:
        """One safety-net pass over every customer the bot follows; returns entries added."""
        now = now or dt.datetime.now(dt.UTC)
        customers = await self._customers(default_customer)
        added = 0
        self.poll_failures = 0
        for customer in sorted(customers):
            try:
                added += await self._poll_customer(customer, now)
            except BackendError as exc:
                self.poll_failures += 1
                log.warning("poll_failed", customer=customer, error=repr(exc))
        return added

    async def _customers(self, default_customer: int | None) -> set[int]:
        found = await self.store.followed_customers()
        if default_customer:
            found.add(default_customer)
        return found

    async def _poll_customer(self, customer: int, now: dt.datetime) -> int:
        added = 0
        cursor_name = f"poll:new:{customer}"
        cursor = await self.store.cursor(cursor_name)
        if cursor is not None and await self.store.has_subscriptions(customer):
            since = dt.datetime.fromisoformat(cursor) - POLL_OVERLAP
            fresh = await self.bruin.list_tickets(client_id=customer, created_since=since)
            known = await self.store.known_tickets(customer, [t.ticket_id for t in fresh])
            for ticket in fresh:
                if ticket.ticket_id not in known:
                    added += await self.ingest(
                        ticket.ticket_id, customer_id=customer, is_new=True, ticket=ticket
                    )
        added += await self._poll_followed(customer)
        # The cursor moves only after the entries it implies are committed.
        await self.store.set_cursor(cursor_name, now.isoformat(), now=now)
        return added

    async def _poll_followed(self, customer: int) -> int:
        states = await self.store.followed_tickets(customer)

        async def check(tid: int) -> int:
            async with self._reads:
                try:
                    ticket = await self.bruin.get_ticket(tid, client_id=customer)
                except BackendError as exc:
                    self.poll_failures += 1
                    log.info("poll_ticket_failed", ticket=tid, error=repr(exc))
                    return 0
            state = states.get(tid)
            unchanged = (
                state is not None
                and state.status == _status(ticket)
                and state.note_digest == note_digest(ticket.most_recent_note)
            )
            if unchanged:
                return 0
            return await self.ingest(tid, customer_id=customer, ticket=ticket)

        results = await asyncio.gather(*(check(t) for t in sorted(states)))
        return sum(results)

    async def _sites_for(self, customer: int) -> dict[int, Site]:
        if not await self.store.has_subscriptions(customer, with_site=True):
            return {}
        return {s.site_id: s for s in await self.bruin.list_sites(client_id=customer)}
