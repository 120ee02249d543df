"""Scheduled digests (``/ticket digest``): one message with the channel's matching open
tickets and, below, the stale ones (no change for longer than the digest's ``stale=``), each
with a Nudge button."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.clients.bruin.models import Ticket
from bot.render.blocks import Block, Message, button, context, header, section, ticket_url
from bot.render.text import Mrkdwn, link, md, md_join, when
from bot.render.values import DigestNudge

__all__ = [
    "ACTION_DIGEST_NUDGE",
    "OPEN_LINES",
    "STALE_LINES",
    "DigestTicket",
    "describe_schedule",
    "digest_summary",
    "format_age",
]

ACTION_DIGEST_NUDGE = "digest_nudge"
OPEN_LINES = 25
"""Open tickets listed by line; the rest are counted."""
STALE_LINES = 15
"""Stale tickets shown with a Nudge button (one block each, within Slack's 50)."""


@dataclass(frozen=True)
class DigestTicket:
    ticket: Ticket
    updated: dt.datetime | None
    """The newest change the ticket shows (a note, a detail line), else its creation."""


def format_age(minutes: int) -> str:
    """``90`` -> ``1h30m``, ``1440`` -> ``24h``, ``2880`` -> ``48h``."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}m"
    return f"{hours}h{rest}m" if rest else f"{hours}h"


def describe_schedule(days: str, at_minute: int) -> str:
    """``daily at 09:00``, ``weekdays at 17:30``."""
    hour, minute = divmod(at_minute, 60)
    return f"{days} at {hour:02d}:{minute:02d}"


def _line(item: DigestTicket, portal_url: str) -> Mrkdwn:
    ticket = item.ticket
    parts: list[object] = [
        link(ticket_url(portal_url, ticket.ticket_id), str(ticket.ticket_id)),
        ticket.status_label,
    ]
    if ticket.category:
        parts.append(ticket.category)
    if ticket.address:
        parts.append(ticket.address.one_line())
    parts.append(md("updated {}", when(item.updated)))
    return md_join(" · ", parts)


def digest_summary(
    items: Sequence[DigestTicket],
    *,
    schedule: str,
    filters: str,
    stale_minutes: int,
    now: dt.datetime,
    portal_url: str,
    zone_name: str,
) -> Message:
    """The digest for one slot. ``items`` are the matching open tickets, newest change first
    or in any order (sorted here)."""
    cutoff = now - dt.timedelta(minutes=stale_minutes)
    ordered = sorted(items, key=lambda i: (i.updated is None, i.updated), reverse=True)
    stale = [i for i in ordered if i.updated is None or i.updated < cutoff]
    stale.sort(key=lambda i: (i.updated is not None, i.updated))  # the oldest first
    age = format_age(stale_minutes)
    text = md(
        "Ticket digest: {} open, {} without a change for over {}", len(items), len(stale), age
    )
    blocks: list[Block] = [
        header(f"Ticket digest: {len(items)} open, {len(stale)} stale"),
        context(md("{} · {} · {} ({})", schedule, filters, when(now), zone_name)),
    ]
    if not items:
        blocks.append(section(md("No open tickets match. :tada:")))
        return Message(text=text, blocks=blocks, public=True)
    shown = [_line(i, portal_url) for i in ordered[:OPEN_LINES]]
    blocks.append(section(md("*Open tickets*\n{}", md_join("\n", shown))))
    if len(ordered) > OPEN_LINES:
        blocks.append(
            context(md("…and {} more: /ticket list status=open", len(ordered) - OPEN_LINES))
        )
    if stale:
        blocks.append(section(md("*Stale: no change for over {}*", age)))
        for item in stale[:STALE_LINES]:
            nudge = button(
                "Nudge",
                ACTION_DIGEST_NUDGE,
                value=DigestNudge.new(item.ticket.ticket_id).encode(),
            )
            blocks.append(section(_line(item, portal_url), accessory=nudge))
        if len(stale) > STALE_LINES:
            blocks.append(context(md("…and {} more stale tickets.", len(stale) - STALE_LINES)))
        blocks.append(
            context(
                md('Nudge adds the note "Nudge: any update?" to the ticket, signed with your name.')
            )
        )
    return Message(text=text, blocks=blocks, public=True)
