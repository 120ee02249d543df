"""Scheduled digests (``/ticket digest``): fired by the replica holding the poller lease,
exactly once per slot.

A digest's slots are its times (``daily`` or ``weekdays`` at ``HH:MM``) in the display zone
(CHATOPS_TIMEZONE). On each check (every :data:`CHECK_SECONDS`, from the leader's notifier
loop) the runner takes each digest's latest slot that has begun and fires it when:

* the slot began after the digest was made (a digest made at 09:30 for 09:00 starts
  tomorrow), and at most :data:`LATE_LIMIT` ago: a slot missed while no replica held the
  lease (all down, a long stall) fires late once; one older than that is skipped, since a
  "morning" digest at 14:00 would mislead;
* ``Store.claim("digest", "<id>@<slot start UTC>")`` wins. The claim is the guarantee: two
  replicas that both think they lead (a stall across a lease hand-over), a restart, a
  second check of the same slot all find it taken, so the slot posts once.

The claim is made before the post. A failure that certainly posted nothing (Bruin could not
be read, Slack answered ``ok: false`` with a retryable error) releases it, so the next check
(within the late limit) tries again; a post whose answer was lost keeps it (it may have
gone through). A replica killed between the claim and the post loses that one slot: a
missed digest is preferred to a doubled one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.bruin import BruinClient
from bot.clients.bruin.models import OPEN_STATUSES, Ticket, TicketStatus
from bot.clients.errors import BackendError
from bot.core.aio import gather_or_cancel
from bot.render.blocks import Message, last_update
from bot.render.digests import DigestTicket, describe_schedule, digest_summary
from bot.store import Store, aware
from bot.store.models import Digest

__all__ = [
    "CHECK_SECONDS",
    "CLAIM_KIND",
    "DETAILS_MAX",
    "LATE_LIMIT",
    "DigestRunner",
    "describe_filters",
    "due_slot",
    "last_slot",
    "slot_key",
]

log = structlog.get_logger(__name__)

CLAIM_KIND = "digest"
POSTED_KIND = "digest_posted"
"""Claimed once the slot's post is known to be in Slack (the answer came back, or the post
was found in the channel's history)."""
IN_DOUBT_AFTER = dt.timedelta(minutes=2)
"""A slot claimed this long ago with no known post: its replica died or lost the answer; the
leader looks for the post in the channel and posts it only when it is not there."""
LATE_LIMIT = dt.timedelta(hours=2)
"""A slot missed for longer than this (no replica held the lease) is skipped, not sent late."""
CHECK_SECONDS = 20.0
"""How often the leader looks for due slots: a digest goes out at most this late."""
DETAILS_MAX = 60
"""Tickets whose details are read for their last change (the newest ones); older ones count
as unchanged since they were opened."""
METADATA_EVENT = "chatops_digest"
FINAL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
"""Slack refusals a retry cannot fix: the slot is given up (its claim kept)."""
OPEN_FILTERS: dict[str, frozenset[TicketStatus]] = {
    "new": frozenset({TicketStatus.NEW}),
    "inprogress": frozenset({TicketStatus.IN_PROGRESS}),
    "inreview": frozenset({TicketStatus.IN_REVIEW}),
    "draft": frozenset({TicketStatus.DRAFT}),
}


def last_slot(days: str, at_minute: int, now: dt.datetime, zone: dt.tzinfo) -> dt.datetime | None:
    """The latest slot of the schedule that began at or before ``now`` (within a week)."""
    local = now.astimezone(zone)
    hour, minute = divmod(at_minute, 60)
    for back in range(8):
        day = local.date() - dt.timedelta(days=back)
        if days == "weekdays" and day.weekday() >= 5:
            continue
        start = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone).astimezone(dt.UTC)
        if start <= now:
            return start
    return None


def due_slot(
    digest: Digest, now: dt.datetime, zone: dt.tzinfo, late_limit: dt.timedelta = LATE_LIMIT
) -> dt.datetime | None:
    """The slot to fire now, if any (whether it fired already is the claim's business)."""
    slot = last_slot(digest.days, digest.at_minute, now, zone)
    if slot is None or slot < aware(digest.created_at) or now - slot > late_limit:
        return None
    return slot


def slot_key(digest_id: int, slot: dt.datetime) -> str:
    return f"{digest_id}@{slot.astimezone(dt.UTC):%Y-%m-%dT%H:%MZ}"


def describe_filters(
    status: str | None, category: str | None, site: str | None, stale_minutes: int
) -> str:
    from bot.render.digests import format_age

    parts = [f"status={status}" if status else "open tickets"]
    parts += [f"category={category}" if category else "", f"site={site}" if site else ""]
    parts.append(f"stale={format_age(stale_minutes)}")
    return " ".join(p for p in parts if p)


class DigestRunner:
    def __init__(
        self,
        store: Store,
        bruin: BruinClient,
        slack: AsyncWebClient,
        *,
        portal_url: str,
        zone: dt.tzinfo,
        late_limit: dt.timedelta = LATE_LIMIT,
        check_seconds: float = CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.store = store
        self.bruin = bruin
        self.slack = slack
        self.portal_url = portal_url
        self.zone = zone
        self.late_limit = late_limit
        self.check_seconds = check_seconds
        self.fired = 0
        self._clock = clock
        self._now = now
        self._next_check = 0.0

    async def run_once(self) -> int:
        """Fire every due slot not claimed yet (when a check is due); returns posts made."""
        if self._clock() < self._next_check:
            return 0
        self._next_check = self._clock() + self.check_seconds
        now = self._now()
        posted = 0
        for digest in await self.store.list_digests():
            slot = due_slot(digest, now, self.zone, self.late_limit)
            if slot is None:
                continue
            key = slot_key(digest.id, slot)
            if await self.store.claim(CLAIM_KIND, key):
                posted += await self._fire(digest, key, now)
            elif await self._in_doubt(key, now) and not await self._found(digest, key):
                log.warning("digest_recovered", digest=digest.id, slot=key)
                posted += await self._fire(digest, key, now)
        self.fired += posted
        return posted

    async def _fire(self, digest: Digest, key: str, now: dt.datetime) -> int:
        try:
            message = await self.render(digest, now)
        except BackendError as exc:  # nothing posted: the next check tries again
            await self.store.release(CLAIM_KIND, key)
            log.warning("digest_backend_error", digest=digest.id, slot=key, error=repr(exc))
            return 0
        try:
            resp = await self.slack.chat_postMessage(
                channel=digest.channel_id,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"slot": key}},
                **message.to_dict(),
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown"))
            if error not in FINAL_ERRORS:
                await self.store.release(CLAIM_KIND, key)
            log.warning("digest_refused", digest=digest.id, slot=key, error=error)
            return 0
        except (aiohttp.ClientError, TimeoutError) as exc:  # in doubt: never post twice
            log.warning("digest_in_doubt", digest=digest.id, slot=key, error=repr(exc))
            return 0
        await self.store.claim(POSTED_KIND, key)
        log.info("digest_posted", digest=digest.id, slot=key, ts=resp.get("ts"))
        return 1

    async def _in_doubt(self, key: str, now: dt.datetime) -> bool:
        """Claimed long enough ago, and no post known: a crash or a lost answer."""
        if await self.store.claimed_at(POSTED_KIND, key) is not None:
            return False
        claimed = await self.store.claimed_at(CLAIM_KIND, key)
        return claimed is not None and now - claimed >= IN_DOUBT_AFTER

    async def _found(self, digest: Digest, key: str) -> bool:
        """Whether the slot's post is among the channel's newest 200 messages (by its
        metadata; the slot is at most LATE_LIMIT old); marks it posted."""
        try:
            resp = await self.slack.conversations_history(
                channel=digest.channel_id, include_all_metadata=True, limit=200
            )
        except SlackApiError as exc:  # cannot tell: never risk a second post
            log.warning("digest_history_failed", slot=key, error=exc.response.get("error"))
            return True
        for message in resp.get("messages") or []:
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == METADATA_EVENT and payload.get("slot") == key:
                await self.store.claim(POSTED_KIND, key)
                return True
        return False

    async def render(self, digest: Digest, now: dt.datetime) -> Message:
        """The digest as it reads now: open tickets matching the filter, their last change."""
        statuses = OPEN_FILTERS.get(digest.status or "", OPEN_STATUSES)
        tickets = await self.bruin.list_tickets(
            client_id=digest.customer_id,
            statuses=sorted(statuses),
            category=digest.category,
            site_id=int(digest.site) if digest.site and digest.site.isdigit() else None,
        )
        tickets = [t for t in tickets if t.status in statuses]
        items = await self._with_updates(tickets)
        zone_name = "UTC" if self.zone is dt.UTC else str(self.zone)
        return digest_summary(
            items,
            schedule=describe_schedule(digest.days, digest.at_minute),
            filters=describe_filters(
                digest.status, digest.category, digest.site, digest.stale_minutes
            ),
            stale_minutes=digest.stale_minutes,
            now=now,
            portal_url=self.portal_url,
            zone_name=zone_name,
        )

    async def _with_updates(self, tickets: list[Ticket]) -> list[DigestTicket]:
        limit = asyncio.Semaphore(8)

        async def one(ticket: Ticket) -> DigestTicket:
            async with limit:
                details = await self.bruin.get_ticket_details(ticket.ticket_id)
            return DigestTicket(ticket, last_update(ticket, details))

        read = await gather_or_cancel(*(one(t) for t in tickets[:DETAILS_MAX]))
        rest = [DigestTicket(t, t.created_at) for t in tickets[DETAILS_MAX:]]
        return [*read, *rest]
