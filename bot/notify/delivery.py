"""Delivery: post what the outbox owes, paced per channel, exactly once across crashes.

Protocol for one post covering outbox ids ``I``:

1. mark ``I`` as ``sending`` (commit)
2. ``chat.postMessage`` with message metadata ``{"outbox_ids": I}``
3. mark ``I`` as ``sent`` with the message ts, and remember the card (commit)

A crash between 1 and 2 or 2 and 3 leaves ``sending`` rows: "in doubt". Before posting
again the deliverer looks for its own message in the channel (or thread) by that
metadata: found -> it was posted, record it; not found -> post. So a kill -9 at any step
loses nothing and posts nothing twice. ``ok: false`` answers are definitive (not posted);
a connection error is in doubt.

Pacing: at most one post per channel per ``min_interval`` (Slack allows about one message
per second per channel). Whatever piles up meanwhile goes out as ONE digest message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.bruin import BruinClient
from bot.clients.decoding import parse_retry_after
from bot.clients.errors import BackendError
from bot.core.aio import gather_or_cancel
from bot.render.blocks import Message, ticket_card
from bot.render.notify import change_message, digest_message, dm_message
from bot.store import Store, aware
from bot.store.models import OutboxEntry

__all__ = ["METADATA_EVENT", "Delivery"]

log = structlog.get_logger(__name__)

METADATA_EVENT = "chatops_delivery"
UNDELIVERABLE = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "user_not_found",
        "cannot_dm_bot",
        "user_disabled",
        "invalid_blocks",
        "msg_too_long",
        "msg_blocks_too_long",
    }
)
ACCESS_LOST = frozenset(
    {"token_revoked", "invalid_auth", "account_inactive", "not_authed", "token_expired"}
)
"""Slack took the bot's access away: nothing can be posted until it is reinstalled. Not an
attempt of the entry (it stays pending for the reinstalled bot), and the bot is told."""
MAX_ATTEMPTS = 6
QUIET_RECHECK = 2.0
"""With nothing owed, the outbox is looked at again after this many seconds, or at the next
round once this process queues entries (``Store.outbox_queued``) or takes the poller lease
(:meth:`Delivery.wake`). The recheck finds what another replica's webhook intake queued;
meanwhile an empty outbox costs no query (it was 4 a second, the largest idle cost)."""
BATCH = 50

CrashHook = Callable[[str], None]


class _InDoubt(Exception):
    """The post may or may not have reached Slack."""


class Delivery:
    def __init__(
        self,
        store: Store,
        bruin: BruinClient,
        slack: AsyncWebClient,
        *,
        portal_url: str,
        min_interval: float = 1.0,
        concurrency: int = 16,
        clock: Callable[[], float] = time.monotonic,
        crash: CrashHook | None = None,
        on_sent: Callable[[str, int], None] | None = None,
        on_access_lost: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.bruin = bruin
        self.slack = slack
        self.portal_url = portal_url
        self.min_interval = min_interval
        self._clock = clock
        self._crash = crash or (lambda step: None)
        self._on_sent = on_sent
        self.on_access_lost = on_access_lost
        """Called (not awaited) with Slack's error when the token no longer works."""
        self._next_post: dict[str, float] = {}
        self._quiet_until = 0.0
        self._queued_seen = -1
        self._limit = asyncio.Semaphore(concurrency)

    def wake(self) -> None:
        """Entries were just added: look at the outbox at the next round."""
        self._quiet_until = 0.0

    async def run_once(self) -> int:
        """Deliver to every channel whose pace allows a post now; returns entries sent."""
        now = self._clock()
        queued = self.store.outbox_queued
        if now < self._quiet_until and queued == self._queued_seen:
            return 0
        self._queued_seen = queued
        channels = await self.store.outbox_channels()
        if not channels:
            self._quiet_until = now + QUIET_RECHECK
            return 0
        ready = [c for c in channels if self._next_post.get(c, 0.0) <= now]
        results = await asyncio.gather(*(self._guarded(c) for c in ready))
        return sum(results)

    async def pending(self) -> int:
        return await self.store.pending_count()

    async def _guarded(self, channel: str) -> int:
        async with self._limit:
            try:
                return await self._deliver_channel(channel)
            except BackendError as exc:  # the card could not be read: try again next round
                log.warning("delivery_backend_error", channel=channel, error=repr(exc))
                return 0

    async def _deliver_channel(self, channel: str) -> int:
        entries = await self.store.pending_entries(channel, limit=BATCH)
        if not entries:
            return 0
        in_doubt = [e for e in entries if e.state == "sending"]
        recovered = await self._recover(channel, in_doubt) if in_doubt else set()
        remaining = [e for e in entries if e.id not in recovered]
        if not remaining:
            return len(recovered)
        self._next_post[channel] = self._clock() + self.min_interval
        if len(remaining) == 1:
            sent = await self._single(remaining[0])
        else:
            sent = await self._digest(channel, remaining)
        return len(recovered) + sent

    # -- posting ----------------------------------------------------------------------------

    async def _single(self, entry: OutboxEntry) -> int:
        channel, tid, payload = entry.channel_id, entry.ticket_id, dict(entry.payload)
        if entry.kind == "dm":
            return await self._post([entry], channel, None, dm_message(tid, payload))
        card = await self.store.card(channel, tid)
        if entry.kind == "new_ticket" or card is None:
            message = await self._fresh_card(tid, payload, lead=entry.kind != "new_ticket")
            return await self._post([entry], channel, None, message, becomes_card=tid)
        sent = await self._post([entry], channel, card, change_message(entry.kind, tid, payload))
        if sent and entry.kind == "status":
            await self._refresh_card(channel, tid, card, payload)
        return sent

    async def _digest(self, channel: str, entries: Sequence[OutboxEntry]) -> int:
        items = [(e.kind, e.ticket_id, dict(e.payload)) for e in entries]
        sent = await self._post(entries, channel, None, digest_message(items))
        if sent:
            for entry in entries:
                if entry.kind == "status":
                    card = await self.store.card(channel, entry.ticket_id)
                    if card is not None:
                        await self._refresh_card(
                            channel, entry.ticket_id, card, dict(entry.payload)
                        )
        return sent

    async def _fresh_card(self, tid: int, payload: dict[str, Any], *, lead: bool) -> Message:
        customer = payload.get("customer_id")
        ticket, details = await gather_or_cancel(
            self.bruin.get_ticket(tid, client_id=customer if isinstance(customer, int) else None),
            self.bruin.get_ticket_details(tid),
        )
        card = ticket_card(ticket, details, portal_url=self.portal_url)
        if lead:  # a change on a ticket with no card here yet: say what changed on top
            first = change_message("status" if payload.get("new_status") else "note", tid, payload)
            return Message(text=first.text, blocks=first.blocks + card.blocks, public=True)
        return card

    async def _refresh_card(
        self, channel: str, tid: int, card_ts: str, payload: dict[str, Any]
    ) -> None:
        """Update the card in place with the ticket's current state (best effort)."""
        try:
            message = await self._fresh_card(tid, payload, lead=False)
            await self.slack.chat_update(channel=channel, ts=card_ts, **message.to_dict())
        except (SlackApiError, BackendError, aiohttp.ClientError) as exc:
            log.info("card_update_failed", channel=channel, ticket=tid, error=repr(exc))

    async def _post(
        self,
        entries: Sequence[OutboxEntry],
        channel: str,
        thread_ts: str | None,
        message: Message,
        *,
        becomes_card: int | None = None,
    ) -> int:
        ids = [e.id for e in entries]
        await self.store.mark_sending(ids, thread_ts=thread_ts)
        self._crash("marked")
        try:
            resp = await self.slack.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_ids": ids}},
                **message.to_dict(),
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown"))
            if error == "ratelimited" or error in ACCESS_LOST:
                return await self._held_back(ids, channel, error, exc)
            attempts = max(e.attempts for e in entries) + 1
            final = error in UNDELIVERABLE or attempts >= MAX_ATTEMPTS
            if final:
                await self.store.mark_failed(ids, error=error)
            else:
                await self.store.mark_pending(ids, error=error)
            log.warning("delivery_refused", channel=channel, error=error, ids=ids, final=final)
            return 0
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("delivery_in_doubt", channel=channel, ids=ids, error=repr(exc))
            return 0
        self._crash("posted")
        ts = str(resp.get("ts"))
        posted_channel = str(resp.get("channel") or channel)
        await self.store.mark_sent(
            ids, ts, card=(channel, becomes_card, ts) if becomes_card else None
        )
        self._crash("committed")
        log.info("delivered", channel=posted_channel, ids=ids, ts=ts)
        if self._on_sent is not None:
            for entry in entries:
                self._on_sent(entry.kind, 1)
        return len(ids)

    async def _held_back(self, ids: list[int], channel: str, error: str, exc: SlackApiError) -> int:
        """Slack said "not now" (still rate limited after the client's own retries) or "not
        any more" (access lost): the entries go back to the queue without spending an
        attempt, so a long outage loses nothing. A rate-limited channel waits Retry-After."""
        await self.store.mark_pending(ids, error=error, refund=True)
        if error == "ratelimited":
            wait = _retry_after(exc)
            self._next_post[channel] = self._clock() + max(wait, self.min_interval)
            log.warning("delivery_rate_limited", channel=channel, ids=ids, retry_after=wait)
        else:
            log.error("delivery_access_lost", channel=channel, ids=ids, error=error)
            if self.on_access_lost is not None:
                self.on_access_lost(error)
        return 0

    # -- recovery of in-doubt posts -------------------------------------------------------------

    async def _recover(self, channel: str, entries: Sequence[OutboxEntry]) -> set[int]:
        """Find our own earlier posts for in-doubt entries; record them as sent."""
        wanted = {e.id: e for e in entries}
        found: set[int] = set()
        try:
            messages = await self._history(channel, entries)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("recovery_lookup_failed", channel=channel, error=repr(exc))
            return found  # stay in doubt; the next round tries again
        for message in messages:
            meta = message.get("metadata") or {}
            if meta.get("event_type") != METADATA_EVENT:
                continue
            ids = [
                i for i in (meta.get("event_payload") or {}).get("outbox_ids", []) if i in wanted
            ]
            if not ids:
                continue
            ts = str(message.get("ts"))
            single = len(ids) == 1 and wanted[ids[0]].kind == "new_ticket"
            card = (channel, wanted[ids[0]].ticket_id, ts) if single else None
            await self.store.mark_sent(ids, ts, card=card)
            found |= set(ids)
        lost = [i for i in wanted if i not in found]
        if lost:  # definitely not posted: back to the queue
            await self.store.mark_pending(lost)
        log.info("recovered", channel=channel, posted=sorted(found), reposting=lost)
        return found

    async def _history(self, channel: str, entries: Sequence[OutboxEntry]) -> list[dict[str, Any]]:
        target = channel
        if channel.startswith(("U", "W")):  # a DM addressed by user id
            opened = await self.slack.conversations_open(users=channel)
            target = str((opened.get("channel") or {}).get("id") or channel)
        oldest = min(aware(e.created_at) for e in entries) - dt.timedelta(minutes=2)
        messages: list[dict[str, Any]] = []
        roots = {e.thread_ts for e in entries}
        for root in roots:
            if root:
                resp = await self.slack.conversations_replies(
                    channel=target, ts=root, include_all_metadata=True, limit=200
                )
            else:
                resp = await self.slack.conversations_history(
                    channel=target,
                    oldest=f"{oldest.timestamp():.6f}",
                    include_all_metadata=True,
                    limit=200,
                )
            messages.extend(resp.get("messages") or [])
        return messages


def _retry_after(exc: SlackApiError) -> float:
    """Slack's Retry-After (seconds) on a 429, bounded to [1, 300]; 1 when absent or
    unusable (parsed as the backend clients parse it: a NaN never becomes a wait)."""
    headers = getattr(exc.response, "headers", None) or {}
    raw = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    seconds = parse_retry_after(None if raw is None else str(raw))
    return min(max(seconds or 1.0, 1.0), 300.0)
