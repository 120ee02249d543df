"""/ticket digest daily|weekdays|off|list: scheduled summaries of a channel's open tickets,
and the Nudge button on their stale tickets.

The notifier posts them (``bot.notify.digests``: exactly once per slot, by the replica
holding the poller lease); this module only keeps the schedules and handles Nudge, which
adds a signed note through the one write gate.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from bot.core.caller import Caller
from bot.core.deps import Services
from bot.core.gate import Write
from bot.core.grammar import Lower, Request, UsageError
from bot.core.registry import Interaction, Outcome, Registry
from bot.notify.digests import describe_filters
from bot.render.blocks import Block, Message, context, header, section
from bot.render.digests import ACTION_DIGEST_NUDGE, describe_schedule, format_age
from bot.render.text import escape, md, md_join
from bot.render.values import DigestNudge
from handlers import note, ticket
from handlers.subscriptions import set_by, this_channel
from handlers.ticket_actions import button_write

__all__ = ["NUDGE_TEXT", "DigestList", "DigestOff", "DigestSet", "register"]

NUDGE_TEXT = "Nudge: any update?"
"""The note Nudge adds; the audit line (— via Slack by …) is appended as for every note."""
MAX_PER_CHANNEL = 5
STALE_MAX_MINUTES = 30 * 24 * 60
_STALE = re.compile(r"^(\d{1,5})([mhd])$")


class DigestSet(Request):
    positional: ClassVar[tuple[str, ...]] = ("at",)
    at: str = Field(
        pattern=r"^([01]?\d|2[0-3]):[0-5]\d$",
        description="a time of day as HH:MM, 24-hour, in the bot's zone (CHATOPS_TIMEZONE)",
        examples=["09:00"],
    )
    status: Annotated[Literal["open", "new", "inprogress", "inreview", "draft"], Lower] = Field(
        "open",
        description="open (every open ticket), or one open status: new, inprogress, "
        "inreview or draft",
        examples=["inprogress"],
    )
    category: ticket.CategoryFilter = None
    site: ticket.SiteFilter = None
    stale: str = Field(
        "24h",
        pattern=r"^\d{1,5}[mhdMHD]$",
        description="how long without a change makes a ticket stale, like 90m, 24h or 2d",
        examples=["48h"],
    )


class DigestOff(Request):
    positional: ClassVar[tuple[str, ...]] = ("number",)
    number: int | None = Field(
        None,
        gt=0,
        lt=2**31,
        description="a digest number from /ticket digest list",
        examples=[2],
    )


class DigestList(Request):
    pass


def _minutes(stale: str) -> int:
    found = _STALE.match(stale.lower())
    if found is None:
        raise UsageError(f"stale={stale} is not an age like 90m, 24h or 2d.")
    value = int(found.group(1)) * {"m": 1, "h": 60, "d": 1440}[found.group(2)]
    if not 1 <= value <= STALE_MAX_MINUTES:
        raise UsageError("stale= must be between 1m and 30d.")
    return value


def _zone(services: Services) -> str:
    zone = services.settings.display_zone
    return "UTC" if zone is dt.UTC else str(zone)


def _reply(text: str, *, public: bool = True) -> Message:
    shown = escape(text)
    return Message(text=shown, blocks=[section(shown)], public=public)


async def _set(req: DigestSet, caller: Caller, services: Services, days: str) -> Message:
    channel = this_channel(caller)
    store = services.state
    if len(await store.list_digests(channel)) >= MAX_PER_CHANNEL:
        raise UsageError(
            f"This channel has {MAX_PER_CHANNEL} digests already; "
            "/ticket digest off <n> removes one."
        )
    customer = await services.customer_for(caller)
    stale = _minutes(req.stale)
    hour, minute = (int(p) for p in req.at.split(":"))
    site = req.site
    if site and not site.isdigit():
        site = str(await ticket.resolve_site(services, site, customer))
    status = None if req.status == "open" else req.status
    digest = await store.add_digest(
        channel_id=channel,
        customer_id=customer,
        days=days,
        at_minute=hour * 60 + minute,
        status=status,
        category=req.category,
        site=site,
        stale_minutes=stale,
        by=caller.user_id,
    )
    return _reply(
        f"Digest #{digest.id}: {describe_schedule(days, digest.at_minute)} "
        f"({_zone(services)}, the bot's zone CHATOPS_TIMEZONE) this channel gets a summary of "
        f"customer {customer}'s {describe_filters(status, req.category, site, stale)} "
        f"tickets, stale ones (no change for over {format_age(stale)}) with a Nudge button. "
        f"{caller.display_name} set this up; /ticket digest off {digest.id} stops it."
    )


async def digest_daily(req: DigestSet, caller: Caller, services: Services) -> Message:
    """/ticket digest daily <HH:MM> [status=…] [category=…] [site=…] [stale=24h]: every day at
    that time (the bot's zone, CHATOPS_TIMEZONE) a summary of this channel's open tickets,
    the stale ones with a Nudge button"""
    return await _set(req, caller, services, "daily")


async def digest_weekdays(req: DigestSet, caller: Caller, services: Services) -> Message:
    """/ticket digest weekdays <HH:MM> [status=…] [category=…] [site=…] [stale=24h]: the same,
    Monday to Friday only"""
    return await _set(req, caller, services, "weekdays")


async def digest_off(req: DigestOff, caller: Caller, services: Services) -> Message:
    """/ticket digest off [n]: stop digest n here (all of this channel's without n)"""
    channel = this_channel(caller)
    ids = [req.number] if req.number is not None else None
    removed = await services.state.remove_digests(channel, ids)
    if not removed:
        which = f"digest #{req.number}" if req.number is not None else "digest"
        raise UsageError(f"This channel has no {which}; see /ticket digest list.")
    return _reply(f"Stopped {removed} digest{'s' if removed != 1 else ''} in this channel.")


async def digest_list(req: DigestList, caller: Caller, services: Services) -> Message:
    """/ticket digest list: this channel's scheduled digests"""
    channel = this_channel(caller)
    digests = await services.state.list_digests(channel)
    blocks: list[Block] = [header("Digests in this channel")]
    if digests:
        lines = [
            md(
                "*#{}* · {} · {} · customer {} · by {}",
                d.id,
                describe_schedule(d.days, d.at_minute),
                describe_filters(d.status, d.category, d.site, d.stale_minutes),
                d.customer_id,
                set_by(d.created_by),
            )
            for d in digests
        ]
        blocks.append(section(md_join("\n", lines)))
    else:
        blocks.append(section(md("None yet: try /ticket digest weekdays 09:00 stale=24h.")))
    blocks.append(
        context(md("Times are in the bot's zone, {} (CHATOPS_TIMEZONE).", _zone(services)))
    )
    return Message(text=md("{} digests", len(digests)), blocks=blocks)


async def _nudge(interaction: Interaction, value: str) -> Outcome:
    """Nudge (a stale ticket in a digest): the note "Nudge: any update?", signed."""
    found = DigestNudge.decode(value)
    services = interaction.services

    async def add(caller: Caller) -> Message:
        return await note.add(
            note.NoteAdd(ticket_id=found.ticket_id, text=NUDGE_TEXT), caller, services
        )

    write = Write(
        "/note add", ticket_id=found.ticket_id, key=f"{ACTION_DIGEST_NUDGE}:{found.nonce}"
    )
    done = await button_write(interaction, write, add)
    if done == Outcome():  # a repeat click: the key was claimed before
        return Outcome(
            reply=_reply(f"Ticket {found.ticket_id} was nudged from this digest already.")
        )
    if isinstance(done, Outcome):
        return done
    done_text = md(":wave: Nudged ticket *{}*: the note is signed with your name.", found.ticket_id)
    return Outcome(reply=Message(text=done_text, blocks=[section(done_text)]))


def register(registry: Registry) -> None:
    """Scheduled digests: subcommands of /ticket (``handlers.ticket`` registers the family
    first), and the Nudge button."""
    family = registry.family("/ticket")
    family.add("digest daily", DigestSet, digest_daily, write=True)
    family.add("digest weekdays", DigestSet, digest_weekdays, write=True)
    family.add("digest off", DigestOff, digest_off, write=True)
    family.add("digest list", DigestList, digest_list)
    registry.action(ACTION_DIGEST_NUDGE, _nudge)
