"""Bruin ticket links that preview themselves (``link_shared``), and ``#<id>`` mentions in
channels that opted in (``/ticket config unfurl=on``).

Rules people asked other ticket apps for: a message with 3 or more ticket links gets no
previews; the same ticket is not previewed again in the same channel within 30 minutes; a
ticket of another customer than the channel's gets none (it reads as "not found"); a Bruin
error never shows up as a preview (it is logged).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog

from bot.clients.errors import BackendError
from bot.core.caller import Caller
from bot.core.deps import NotConfigured, Services
from bot.render.blocks import Message
from bot.render.unfurl import ticket_unfurl

__all__ = ["MAX_LINKS", "REPEAT_SECONDS", "UnfurlPolicy", "ticket_links", "ticket_mentions"]

log = structlog.get_logger(__name__)

MAX_LINKS = 3
"""A message with this many ticket links or more is a list, not a conversation: no previews."""
REPEAT_SECONDS = 30 * 60


def ticket_links(urls: Sequence[str], portal_url: str) -> list[tuple[str, int]]:
    """``(url, ticket id)`` for each link to ``<portal>/ticket/<id>`` (the bot's own links)."""
    base = re.escape(portal_url.rstrip("/"))
    pattern = re.compile(rf"^{base}/ticket/(\d{{1,10}})(?:[/?#].*)?$", re.IGNORECASE)
    found = []
    for url in urls:
        match = pattern.match(url.strip())
        if match and 0 < int(match.group(1)) < 2**31:
            found.append((url, int(match.group(1))))
    return found


_MENTION = re.compile(r"(?<![\w&/#<|])#(\d{3,10})\b")


def ticket_mentions(text: str) -> list[int]:
    """Ticket ids written as ``#4503`` in a message, each once, in order (not inside links,
    channel references or entities)."""
    found: list[int] = []
    for match in _MENTION.finditer(text or ""):
        ticket_id = int(match.group(1))
        if 0 < ticket_id < 2**31 and ticket_id not in found:
            found.append(ticket_id)
    return found


@dataclass
class UnfurlPolicy:
    """Which links get a preview; remembers what was previewed where (per process: with N
    replicas a ticket can be previewed up to N times in 30 minutes)."""

    clock: Callable[[], float] = time.monotonic
    _shown: dict[tuple[str, int], float] = field(default_factory=dict)

    def _recent(self, channel: str, ticket_id: int) -> bool:
        at = self._shown.get((channel, ticket_id))
        return at is not None and self.clock() - at < REPEAT_SECONDS

    async def previews(
        self, services: Services, caller: Caller, urls: Sequence[str]
    ) -> dict[str, Message]:
        """link_shared: a card per Bruin ticket link, keyed by the link."""
        return await self._cards(services, caller, ticket_links(urls, services.portal_url))

    async def mentions(self, services: Services, caller: Caller, text: str) -> list[Message]:
        """``#<id>`` in a message: a card per ticket, under the same rules."""
        ids = ticket_mentions(text)
        cards = await self._cards(services, caller, [(f"#{t}", t) for t in ids])
        return list(cards.values())

    async def _cards(
        self, services: Services, caller: Caller, links: Sequence[tuple[str, int]]
    ) -> dict[str, Message]:
        if not links or len({t for _, t in links}) >= MAX_LINKS:
            return {}
        out: dict[str, Message] = {}
        for url, ticket_id in links:
            if self._recent(caller.channel_id, ticket_id):
                continue
            try:
                ticket = await services.scoped_ticket(caller, ticket_id)
                details = await services.bruin.get_ticket_details(ticket_id)
            except (BackendError, NotConfigured) as exc:  # not found, another customer, down
                log.info("unfurl_skipped", ticket=ticket_id, error=type(exc).__name__)
                continue
            out[url] = ticket_unfurl(ticket, details, portal_url=services.portal_url)
            self._shown[(caller.channel_id, ticket_id)] = self.clock()
        if len(self._shown) > 10_000:
            cutoff = self.clock() - REPEAT_SECONDS
            self._shown = {k: v for k, v in self._shown.items() if v > cutoff}
        return out
