"""/ticket subscribe|unsubscribe|subscriptions|watch|unwatch|config|notify: what a channel
hears about, and which Bruin customer it works with."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from bot.core.caller import Caller
from bot.core.deps import Services
from bot.core.grammar import Lower, Request, TicketId, UsageError
from bot.core.registry import Registry
from bot.render.blocks import Block, Message, context, header, section
from bot.render.text import Mrkdwn, escape, md, md_join, user_mention
from handlers import ticket

__all__ = [
    "Config",
    "Notify",
    "Subscribe",
    "Unsubscribe",
    "Watch",
    "register",
    "set_by",
    "this_channel",
]


class Subscribe(Request):
    status: ticket.StatusName | None = None
    category: ticket.CategoryFilter = None
    site: ticket.SiteFilter = None
    via: Literal["all", "others"] = Field(
        "all",
        description="all, or others to leave out tickets opened through the bot",
        examples=["others"],
    )


class Unsubscribe(Request):
    positional: ClassVar[tuple[str, ...]] = ("number",)
    number: int | None = Field(
        None,
        gt=0,
        lt=2**31,
        description="a subscription number from /ticket subscriptions",
        examples=[2],
    )


class Subscriptions(Request):
    pass


class Watch(Request):
    positional: ClassVar[tuple[str, ...]] = ("ticket_id",)
    ticket_id: TicketId


class Config(Request):
    customer: int | None = Field(
        None,
        gt=0,
        lt=2**31,
        description="a Bruin client id (a positive whole number)",
        examples=[40123],
    )
    unfurl: Literal["on", "off"] | None = Field(
        None, description="on or off: preview #<id> mentions in this channel", examples=["on"]
    )


class Notify(Request):
    positional: ClassVar[tuple[str, ...]] = ("setting",)
    setting: Annotated[Literal["on", "off"], Lower]


def _reply(text: str, *, public: bool = True) -> Message:
    shown = escape(text)  # the text quotes what people typed (category=…, their name)
    return Message(text=shown, blocks=[section(shown)], public=public)


def set_by(user_id: str) -> Mrkdwn | str:
    """A Slack user as a mention; anyone else (``console:dana``) by name, as text."""
    return user_mention(user_id) if re.fullmatch(r"[UW][A-Z0-9]+", user_id) else user_id


def this_channel(caller: Caller) -> str:
    if not caller.channel_id:
        raise UsageError("Run this in the channel that should get the updates.")
    return caller.channel_id


def _describe(status: str | None, category: str | None, site: str | None, via: str = "all") -> str:
    parts = [f"status={status}" if status else "", f"category={category}" if category else ""]
    parts.append(f"site={site}" if site else "")
    parts.append("via=others" if via == "others" else "")
    return " ".join(p for p in parts if p) or "every new ticket"


async def subscribe(req: Subscribe, caller: Caller, services: Services) -> Message:
    """/ticket subscribe [status=…] [category=…] [site=…] [via=all|others]: post new tickets
    matching the filter in this channel (via=others: not those opened through the bot)"""
    channel = this_channel(caller)
    customer = await services.customer_for(caller)
    site = req.site
    if site and not site.isdigit():
        site = str(await ticket.resolve_site(services, site, customer))
    sub = await services.state.add_subscription(
        channel_id=channel,
        customer_id=customer,
        status=req.status,
        category=req.category,
        site=site,
        by=caller.user_id,
        via=req.via,
    )
    what = _describe(req.status, req.category, site)
    if req.via == "others":
        what += " (not those opened through the bot)"
    return _reply(
        f"Subscribed (#{sub.id}): new tickets of customer {customer} matching {what} will be "
        f"posted here. {caller.display_name} set this up; /ticket unsubscribe {sub.id} stops it."
    )


async def unsubscribe(req: Unsubscribe, caller: Caller, services: Services) -> Message:
    """/ticket unsubscribe [n]: stop subscription n here (all of this channel's without n)"""
    channel = this_channel(caller)
    ids = [req.number] if req.number is not None else None
    removed = await services.state.remove_subscriptions(channel, ids)
    if not removed:
        which = f"#{req.number}" if req.number is not None else "any subscription"
        raise UsageError(f"This channel has no {which}; see /ticket subscriptions.")
    return _reply(f"Removed {removed} subscription{'s' if removed != 1 else ''} from this channel.")


async def subscriptions(req: Subscriptions, caller: Caller, services: Services) -> Message:
    """/ticket subscriptions: this channel's subscriptions and watched tickets"""
    channel = this_channel(caller)
    subs = await services.state.list_subscriptions(channel)
    watches = await services.state.list_watches(channel_id=channel)
    blocks: list[Block] = [header("Notifications in this channel")]
    if subs:
        lines = [
            md(
                "*#{}* · {} · customer {} · by {}",
                s.id,
                _describe(s.status, s.category, s.site, s.via),
                s.customer_id,
                set_by(s.created_by),
            )
            for s in subs
        ]
        blocks.append(section(md("*Subscriptions*\n{}", md_join("\n", lines))))
    if watches:
        watched = md_join(", ", (w.ticket_id for w in watches))
        blocks.append(section(md("*Watched tickets*\n{}", watched)))
    if not subs and not watches:
        blocks.append(
            section(md("Nothing yet: try /ticket subscribe status=open or /ticket watch <id>."))
        )
    blocks.append(
        context(md("New tickets come as cards; notes and status changes in their threads."))
    )
    return Message(text=md("{} subscriptions, {} watches", len(subs), len(watches)), blocks=blocks)


async def watch(req: Watch, caller: Caller, services: Services) -> Message:
    """/ticket watch <id>: post this ticket's new notes and status changes here, threaded"""
    channel = this_channel(caller)
    customer = await services.customer_for(caller)
    await services.bruin.get_ticket(req.ticket_id, client_id=customer)  # it must exist
    added = await services.state.add_watch(
        channel, req.ticket_id, customer_id=customer, by=caller.user_id
    )
    if services.notifier is not None:
        await services.notifier.baseline(req.ticket_id, customer_id=customer)
    if not added:
        return _reply(f"This channel already watches ticket {req.ticket_id}.", public=False)
    return _reply(
        f"Watching ticket {req.ticket_id}: new notes and status changes will be posted here, "
        "threaded under its card."
    )


async def unwatch(req: Watch, caller: Caller, services: Services) -> Message:
    """/ticket unwatch <id>: stop posting this ticket's changes here"""
    channel = this_channel(caller)
    if not await services.state.remove_watch(channel, req.ticket_id):
        raise UsageError(f"This channel does not watch ticket {req.ticket_id}.")
    return _reply(f"Stopped watching ticket {req.ticket_id} here.")


async def config(req: Config, caller: Caller, services: Services) -> Message:
    """/ticket config [customer=<Bruin client id>] [unfurl=on|off]: the customer account this
    channel's commands use, and whether #<id> mentions here get a ticket preview"""
    channel = this_channel(caller)
    if req.customer is None and req.unfurl is None:
        current = await services.customer_for(caller)
        previews = "on" if await services.state.channel_unfurl(channel) else "off"
        return _reply(
            f"This channel works with Bruin customer {current}; #<id> previews are {previews}.",
            public=False,
        )
    said = []
    if req.customer is not None:
        await services.bruin.list_sites(client_id=req.customer)  # the account must answer
        await services.state.set_channel_customer(channel, req.customer, by=caller.user_id)
        said.append(f"This channel now works with Bruin customer {req.customer}")
    if req.unfurl is not None:
        on = req.unfurl == "on"
        await services.state.set_channel_unfurl(channel, on, by=caller.user_id)
        said.append(
            "#<id> mentions here now get a ticket preview"
            if on
            else "#<id> mentions here no longer get a preview"
        )
    return _reply(f"{'; '.join(said)} (set by {caller.display_name}).")


async def notify(req: Notify, caller: Caller, services: Services) -> Message:
    """/ticket notify on|off: DMs when a ticket you opened from Slack changes status"""
    await services.state.set_notify(caller.user_id, req.setting == "on")
    state = "will" if req.setting == "on" else "will no longer"
    return _reply(f"You {state} get a DM when a ticket you opened changes status.", public=False)


def register(registry: Registry) -> None:
    """What a channel hears about: subcommands of /ticket (``handlers.ticket`` registers the
    family first)."""
    family = registry.family("/ticket")
    family.add("subscribe", Subscribe, subscribe, write=True)
    family.add("unsubscribe", Unsubscribe, unsubscribe, write=True)
    family.add("subscriptions", Subscriptions, subscriptions)
    family.add("watch", Watch, watch, write=True)
    family.add("unwatch", Watch, unwatch, write=True)
    family.add("config", Config, config, write=True)
    family.add("notify", Notify, notify)
