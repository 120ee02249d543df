"""/ticket: show and list Bruin tickets (help comes from the docstrings below)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from bot.aio import gather_or_cancel
from bot.clients.bruin import OPEN, RESOLVED
from bot.clients.bruin.models import Ticket, TicketStatus
from bot.commands import Caller, CommandFamily, Services
from bot.render.blocks import Message, ticket_card, ticket_list
from handlers.grammar import Request, TicketId, UsageError

__all__ = ["FAMILY", "TicketList", "TicketShow"]

STATUS_SETS: dict[str, tuple[TicketStatus, ...]] = {
    "open": OPEN,
    "resolved": RESOLVED,
    "closed": (TicketStatus.CLOSED,),
    "all": (),
}


class TicketShow(Request):
    positional: ClassVar[tuple[str, ...]] = ("ticket_id",)
    ticket_id: TicketId


class TicketList(Request):
    status: Literal["open", "resolved", "closed", "all"] = "open"
    site: str | None = Field(None, max_length=100)
    service: str | None = Field(None, max_length=100)
    category: str | None = Field(None, max_length=40)
    limit: int = Field(10, ge=1, le=25)
    offset: int = Field(0, ge=0, le=100_000)


async def show(req: TicketShow, caller: Caller, services: Services) -> Message:
    """/ticket show <id>: a ticket's card with status, site, service numbers and latest notes"""
    bruin = services.bruin
    ticket, details = await gather_or_cancel(
        bruin.get_ticket(req.ticket_id), bruin.get_ticket_details(req.ticket_id)
    )
    return ticket_card(ticket, details, portal_url=services.portal_url)


async def list_(req: TicketList, caller: Caller, services: Services) -> Message:
    """/ticket list [status=open|resolved|closed|all] [site=…] [service=…] [category=…]
    [limit=N]: tickets, newest first"""
    bruin = services.bruin
    statuses = STATUS_SETS[req.status]
    tickets: list[Ticket]
    if req.site:
        site_id = await _resolve_site(services, req.site)
        tickets = await bruin.list_tickets(
            statuses=statuses,
            site_id=site_id,
            service_number=req.service,
            category=req.category,
        )
    else:
        tickets = await bruin.list_all_tickets_basic(
            statuses=statuses, service_number=req.service, category=req.category, page_size=500
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


async def _resolve_site(services: Services, site: str) -> int:
    if site.isdigit():
        return int(site)
    needle = site.lower()
    sites = await services.bruin.list_sites()
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


FAMILY = CommandFamily("/ticket", title="Tickets")
FAMILY.add("show", TicketShow, show)
FAMILY.add("list", TicketList, list_)
