"""/ticket: show, list, create and work Bruin tickets (help comes from the docstrings below).

Every write is signed with the caller's audit line (SPEC §5); the buttons, modals and
shortcuts of ``handlers.ticket_actions`` call these same functions.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Sequence
from typing import Annotated, Any, ClassVar, Literal

import structlog
from pydantic import Field
from sqlalchemy.exc import SQLAlchemyError

from bot.clients.bruin import OPEN, RESOLVED
from bot.clients.bruin.models import OutageOutcome, Ticket, TicketStatus, Topic
from bot.clients.errors import BackendError
from bot.core.aio import gather_or_cancel
from bot.core.caller import Caller
from bot.core.deps import Services
from bot.core.forms import BUTTON_VALUE_MAX
from bot.core.grammar import FreeText, Lower, Request, TicketId, UsageError
from bot.core.registry import Registry
from bot.render.blocks import Message, error_message, section, ticket_card, ticket_list
from bot.render.interactive import (
    card_buttons,
    create_preview,
    open_form_prompt,
    outage_existing,
    with_banner,
)
from bot.render.text import Mrkdwn, code, md
from bot.render.values import OutageNote, Preview, new_nonce

__all__ = [
    "QUICK_TEXT_MAX",
    "TicketClose",
    "TicketList",
    "TicketNew",
    "TicketOutage",
    "TicketResolve",
    "TicketShow",
    "card_for",
    "card_with_banner",
    "default_topic",
    "record_created",
    "register",
]

log = structlog.get_logger(__name__)

QUICK_TEXT_MAX = 1500
"""Longest description ``/ticket new <sn> …`` and ``/ticket outage`` take: it rides in a
button value (2000 characters) until the person clicks; the form takes longer text."""


def _quick_text(text: str, *, hint: str) -> str:
    """``text`` if it fits a button value once packed (quotes and newlines grow when
    escaped), checked before anything is written; else a UsageError with ``hint``."""
    packed = len(json.dumps(text, ensure_ascii=False))
    if len(text) > QUICK_TEXT_MAX or packed > BUTTON_VALUE_MAX - 200:
        raise UsageError(
            f"That description is {len(text)} characters; at most {QUICK_TEXT_MAX} here. {hint}"
        )
    return text


SERVICE_NUMBER = "one of your service numbers (see /inventory; at most 64 characters)"
LIST_MAX = 25
"""Most tickets one ``/ticket list`` page shows (Slack caps a message at 50 blocks)."""

StatusName = Annotated[Literal["open", "resolved", "closed", "all"], Lower]
CategoryFilter = Annotated[
    str | None,
    Field(max_length=64, description="a category code such as VAS or VOO", examples=["VAS"]),
]
"""``category=`` of the commands that filter tickets (subscribe, digest)."""
SiteFilter = Annotated[
    str | None,
    Field(
        max_length=100,
        description="a site number or part of a site's name (at most 100 characters)",
        examples=["Tampa"],
    ),
]
"""``site=`` of the commands that filter tickets (subscribe, digest)."""

STATUS_SETS: dict[str, tuple[TicketStatus, ...]] = {
    "open": OPEN,
    "resolved": RESOLVED,
    "closed": (TicketStatus.CLOSED,),
    "all": (),
}


class TicketShow(Request):
    positional: ClassVar[tuple[str, ...]] = ("ticket_id",)
    ticket_id: TicketId


_SN = "VC07700012345"
_PROBLEM = "circuit down since 9:00"


class TicketNew(Request):
    positional: ClassVar[tuple[str, ...]] = ("service_number",)
    rest: ClassVar[str | None] = "description"
    service_number: str | None = Field(
        None, min_length=1, max_length=64, description=SERVICE_NUMBER, examples=[_SN]
    )
    description: Annotated[FreeText | None, Field(examples=[_PROBLEM])] = None


class TicketOutage(Request):
    positional: ClassVar[tuple[str, ...]] = ("service_number",)
    rest: ClassVar[str | None] = "description"
    service_number: str = Field(
        min_length=1, max_length=64, description=SERVICE_NUMBER, examples=[_SN]
    )
    description: Annotated[FreeText, Field(examples=[_PROBLEM])]


class TicketResolve(Request):
    positional: ClassVar[tuple[str, ...]] = ("ticket_id",)
    rest: ClassVar[str | None] = "reason"
    ticket_id: TicketId
    service: str | None = Field(
        None, min_length=1, max_length=64, description=SERVICE_NUMBER, examples=[_SN]
    )
    reason: Annotated[FreeText | None, Field(examples=["carrier replaced the card"])] = None


class TicketClose(Request):
    positional: ClassVar[tuple[str, ...]] = ("ticket_id",)
    rest: ClassVar[str | None] = "note"
    ticket_id: TicketId
    note: Annotated[FreeText, Field(examples=["confirmed fixed with the store"])]


class TicketList(Request):
    status: StatusName = "open"
    site: str | None = Field(
        None,
        max_length=100,
        description="a site number or part of a site's name (at most 100 characters)",
        examples=["Tampa"],
    )
    service: str | None = Field(
        None, min_length=1, max_length=64, description=SERVICE_NUMBER, examples=[_SN]
    )
    category: str | None = Field(
        None, max_length=40, description="a category code such as VAS or VOO", examples=["VAS"]
    )
    limit: int = Field(10, ge=1, le=LIST_MAX)
    offset: int = Field(0, ge=0, le=100_000, examples=[20])


async def show(req: TicketShow, caller: Caller, services: Services) -> Message:
    """/ticket show <id>: a ticket's card with status, site, service numbers and latest notes"""
    return await card_for(services, caller, req.ticket_id)


async def card_for(
    services: Services, caller: Caller, ticket_id: int, *, customer: int | None = None
) -> Message:
    """The ticket's card as read now, with Add note / Resolve / Watch for the caller's channel
    (no Watch where nothing can be watched: no store, no channel, the console)."""
    bruin = services.bruin
    if customer is None:
        customer = await services.customer_for(caller)
    reads: list[Awaitable[Any]] = [
        bruin.get_ticket(ticket_id, client_id=customer),
        bruin.get_ticket_details(ticket_id),
    ]
    store = services.store
    if store is not None and caller.channel_id and caller.surface != "console":
        reads.append(store.is_watching(caller.channel_id, ticket_id))  # beside, not after
    ticket, details, *watch = await gather_or_cancel(*reads)
    watching: bool | None = watch[0] if watch else None
    buttons = card_buttons(ticket, details, watching=watching)
    return ticket_card(ticket, details, portal_url=services.portal_url, buttons=buttons)


def default_topic(topics: Sequence[Topic]) -> Topic | None:
    """The category a quick ``/ticket new`` uses: the first repair (REP) "Service Affecting
    Trouble" (VAS) topic Bruin offers for the service number, else its outage topic (VOO).

    A typed one-line report rarely says whether the service is down, and VAS is the
    conservative reading; a full outage has its own command, ``/ticket outage``.
    """

    def pick(code: str) -> Topic | None:
        return next(
            (
                t
                for t in topics
                if t.category.upper() == code and (t.call_type or "REP").upper() == "REP"
            ),
            None,
        )

    return pick("VAS") or pick("VOO")


def _name(caller: Caller) -> str:
    return caller.display_name or caller.user_id


async def new(req: TicketNew, caller: Caller, services: Services) -> Message:
    """/ticket new [<service-number> <description…>]: alone, the create form; with a service
    number and description, a preview with Create / Cancel (every Bruin write is real)"""
    if req.service_number is None:
        return open_form_prompt()
    if req.description is None:
        raise UsageError(
            "The description is missing: add it after the service number, e.g. /ticket new "
            f'{req.service_number[:64]} "{_PROBLEM}", or run /ticket new alone for the form.'
        )
    _quick_text(req.description, hint="Run /ticket new alone for the form.")
    customer = await services.customer_for(caller)
    topics = await services.bruin.get_topics(service_number=req.service_number, client_id=customer)
    topic = default_topic(topics)
    if topic is None:
        raise UsageError(
            f"Bruin offers no repair category for {req.service_number}; run /ticket new alone "
            "to pick one."
        )
    # The customer is not in the value: Create re-derives it from the channel.
    value = Preview(req.service_number, topic.category, req.description, new_nonce()).encode()
    return create_preview(
        contact=(
            "asked when you choose Create"
            if caller.surface == "console"
            else "you (name and email from your Slack profile)"
        ),
        service_number=req.service_number,
        category=topic.category,
        category_label=topic.category_description or topic.call_type_description or "",
        description=req.description,
        value=value,
        # The bundled sandbox (BRUIN_SANDBOX) writes nothing real: no warning there.
        real_bruin=not services.settings.bruin_sandbox,
    )


_EXISTING = {
    OutageOutcome.EXISTS_IN_PROGRESS: "Ticket {t} is already in progress for {sn}, so Bruin "
    "opened no new one.",
    OutageOutcome.EXISTS_RESOLVED: "Ticket {t} for {sn} is resolved, so Bruin opened no new one.",
    OutageOutcome.REOPENED: "Bruin reopened resolved ticket {t} for {sn} instead of opening a "
    "new one.",
    OutageOutcome.DETAIL_ADDED: "Bruin added {sn} to ticket {t} at the same location instead "
    "of opening a new one.",
}


async def outage(req: TicketOutage, caller: Caller, services: Services) -> Message:
    """/ticket outage <service-number> <description…>: open a repair ticket, or say which
    ticket already covers that service number and offer to add a note to it"""
    _quick_text(req.description, hint="Shorten it, or use /ticket new alone for the form.")
    customer = await services.customer_for(caller)
    profile = caller.profile
    result = await services.bruin.create_outage_ticket(
        service_number=req.service_number,
        description=caller.signed(req.description),
        contact_email=profile.email if profile else None,
        client_id=customer,
    )
    outcome = result.outcome
    sn = result.service_number or req.service_number
    if outcome is OutageOutcome.UNAVAILABLE:
        return error_message("Bruin's outage feature is unavailable right now; try /ticket new.")
    if outcome is OutageOutcome.FAILED:
        reason = result.error_message or f"error code {result.error_code}"
        return error_message(f"Bruin did not open an outage ticket for {sn}: {reason}")
    if outcome in _EXISTING:
        value = OutageNote(result.ticket_id, req.description, new_nonce()).encode()
        sentence = _EXISTING[outcome].format(t=result.ticket_id, sn=sn)
        return outage_existing(sentence, ticket_id=result.ticket_id, value=value)
    log.info("outage_ticket_created", ticket=result.ticket_id, user=caller.user_id)
    await record_created(services, caller, result.ticket_id, customer)
    banner = md(
        ":rotating_light: {} opened outage ticket *{}* for {}.",
        _name(caller),
        result.ticket_id,
        code(sn),
    )
    return await card_with_banner(services, caller, result.ticket_id, banner, customer=customer)


async def record_created(services: Services, caller: Caller, ticket_id: int, customer: int) -> None:
    """Remember a ticket opened from Slack (the App Home lists them; status DMs follow them).
    The ticket exists whatever happens here, so a store failure is logged, not raised."""
    if services.store is None or caller.surface == "console":
        return
    try:
        await services.store.record_slack_ticket(
            ticket_id,
            customer_id=customer,
            user_id=caller.user_id,
            channel_id=caller.channel_id or None,
        )
    except SQLAlchemyError as exc:
        log.error("record_slack_ticket_failed", ticket=ticket_id, error=repr(exc))


async def card_with_banner(
    services: Services,
    caller: Caller,
    ticket_id: int,
    banner: Mrkdwn,
    *,
    customer: int | None = None,
) -> Message:
    """The fresh card under ``banner``; the banner alone when the write went through but the
    card cannot be read back (the write must not look failed)."""
    try:
        card = await card_for(services, caller, ticket_id, customer=customer)
    except BackendError as exc:
        log.warning("card_reread_failed", ticket=ticket_id, error=repr(exc))
        return Message(text=banner, blocks=[section(banner)], public=True)
    return with_banner(card, banner)


def _open_lines(
    ticket_id: int, lines: Sequence[tuple[int, str, str]], service: str | None
) -> list[int]:
    """Detail ids to resolve: open lines (not R/C), all or the one with ``service``."""
    wanted = [(d, sn, st) for d, sn, st in lines if st not in {"R", "C"}]
    if service is None:
        if not wanted:
            raise UsageError(f"Ticket {ticket_id} has no open service lines to resolve.")
        return [d for d, _, _ in wanted]
    named = [(d, sn, st) for d, sn, st in lines if sn.lower() == service.lower()]
    if not named:
        known = ", ".join(sn for _, sn, _ in lines) or "none"
        raise UsageError(f"Ticket {ticket_id} has no service number {service!r} (it has: {known}).")
    chosen = [d for d, _, st in named if st not in {"R", "C"}]
    if not chosen:
        raise UsageError(f"{service} on ticket {ticket_id} is not open.")
    return chosen


async def resolve(req: TicketResolve, caller: Caller, services: Services) -> Message:
    """/ticket resolve <id> [service=…] [reason…]: resolve the open service lines (all, or the
    one named), adding the reason as a signed note"""
    bruin = services.bruin
    details = await bruin.get_ticket_details(req.ticket_id)
    lines = [
        (d.detail_id, d.service_number or "", (d.detail_status or "").upper())
        for d in details.details
    ]
    chosen = _open_lines(req.ticket_id, lines, req.service)
    for detail_id in chosen:
        await bruin.set_detail_status(req.ticket_id, detail_id, "R")
    numbers = [sn for d, sn, _ in lines if d in chosen and sn]
    if req.reason:
        await bruin.add_note(req.ticket_id, caller.signed(req.reason), service_numbers=numbers)
    log.info("ticket_resolved", ticket=req.ticket_id, lines=len(chosen), user=caller.user_id)
    count = f"{len(chosen)} service line" + ("s" if len(chosen) != 1 else "")
    reason = md(": {}", req.reason) if req.reason else md(".")
    banner = md(
        ":white_check_mark: {} resolved {} of ticket *{}*{}",
        _name(caller),
        count,
        req.ticket_id,
        reason,
    )
    return await card_with_banner(services, caller, req.ticket_id, banner)


async def reopen(req: TicketShow, caller: Caller, services: Services) -> Message:
    """/ticket reopen <id>: reopen a ticket's resolved service lines"""
    bruin = services.bruin
    details = await bruin.get_ticket_details(req.ticket_id)
    chosen = [d.detail_id for d in details.details if d.is_resolved]
    if not chosen:
        raise UsageError(f"Ticket {req.ticket_id} has no resolved service lines to reopen.")
    for detail_id in chosen:
        await bruin.set_detail_status(req.ticket_id, detail_id, "O")
    log.info("ticket_reopened", ticket=req.ticket_id, lines=len(chosen), user=caller.user_id)
    banner = md(":arrows_counterclockwise: {} reopened ticket *{}*.", _name(caller), req.ticket_id)
    return await card_with_banner(services, caller, req.ticket_id, banner)


async def close(req: TicketClose, caller: Caller, services: Services) -> Message:
    """/ticket close <id> <note…>: close a ticket with a signed closing note"""
    await services.bruin.close_ticket(req.ticket_id, caller.signed(req.note))
    log.info("ticket_closed", ticket=req.ticket_id, user=caller.user_id)
    banner = md(":lock: {} closed ticket *{}*: {}", _name(caller), req.ticket_id, req.note)
    return await card_with_banner(services, caller, req.ticket_id, banner)


async def list_(req: TicketList, caller: Caller, services: Services) -> Message:
    """/ticket list [status=open|resolved|closed|all] [site=…] [service=…] [category=…]
    [limit=1-25]: tickets, newest first (10 a page unless limit= says otherwise; at most 25)"""
    bruin = services.bruin
    customer = await services.customer_for(caller)
    statuses = STATUS_SETS[req.status]
    tickets: list[Ticket]
    if req.site:
        site_id = await resolve_site(services, req.site, customer)
        tickets = await bruin.list_tickets(
            client_id=customer,
            statuses=statuses,
            site_id=site_id,
            service_number=req.service,
            category=req.category,
        )
    else:
        tickets = await bruin.list_all_tickets_basic(
            client_id=customer,
            statuses=statuses,
            service_number=req.service,
            category=req.category,
            page_size=500,
        )
        tickets = sorted(
            tickets,
            key=lambda t: (t.created_at.timestamp() if t.created_at else 0, t.ticket_id),
            reverse=True,
        )
    page = tickets[req.offset : req.offset + req.limit]
    more = None
    if req.offset + req.limit < len(tickets):
        more = req.model_dump(exclude_defaults=True) | {"offset": req.offset + req.limit}
    filters = [f"{k}={v}" for k, v in req.model_dump(exclude={"limit", "offset"}).items() if v]
    title = f"Tickets · {' '.join(filters)}"
    return ticket_list(page, title=title, total=len(tickets), more_value=more, offset=req.offset)


async def resolve_site(services: Services, site: str, customer: int | None = None) -> int:
    """A site id from ``site=`` (an id, or a unique part of a site's name or address)."""
    if site.isdigit():
        return int(site)
    needle = site.lower()
    sites = await services.bruin.list_sites(client_id=customer)
    matches = [
        s
        for s in sites
        if needle in (s.label or "").lower()
        or needle in (s.address.one_line().lower() if s.address else "")
    ]
    if len(matches) == 1:
        return matches[0].site_id
    if not matches:
        raise UsageError(f"No site matches {site!r}; see /site list.")
    names = ", ".join(f"{s.site_id} ({s.label})" for s in matches[:5])
    raise UsageError(f"{len(matches)} sites match {site!r}: {names}. Use site=<site id>.")


def register(registry: Registry) -> None:
    family = registry.family("/ticket", title="Tickets")
    family.example("/ticket show 4503", "/ticket list status=open site=Tampa")
    family.add("show", TicketShow, show)
    family.add("list", TicketList, list_)
    family.add("new", TicketNew, new, write=True)
    family.add("outage", TicketOutage, outage, write=True)
    family.add("resolve", TicketResolve, resolve, write=True)
    family.add("reopen", TicketShow, reopen, write=True)
    family.add("close", TicketClose, close, write=True)
