"""The compact card a Bruin ticket link unfurls into: status, category, site, last update
and Open in Bruin, small enough to sit under someone else's message."""

from __future__ import annotations

from bot.clients.bruin.models import Ticket, TicketDetails
from bot.render.blocks import (
    ACTION_OPEN_LINK,
    Block,
    Message,
    button,
    context,
    last_update,
    section,
    ticket_url,
)
from bot.render.kit import actions
from bot.render.text import escape, md, md_join, when

__all__ = ["ticket_unfurl"]


def ticket_unfurl(ticket: Ticket, details: TicketDetails, *, portal_url: str) -> Message:
    status = ticket.status_label
    site = ticket.address.one_line() if ticket.address else ""
    parts = [md("*Ticket {}* · {}", ticket.ticket_id, status)]
    if ticket.category:
        parts.append(escape(ticket.category))
    if site:
        parts.append(escape(site))
    blocks: list[Block] = [
        section(md_join(" · ", parts)),
        context(md("Updated {}", when(last_update(ticket, details)))),
        actions(
            [
                button(
                    "Open in Bruin", ACTION_OPEN_LINK, url=ticket_url(portal_url, ticket.ticket_id)
                )
            ]
        ),
    ]
    return Message(text=md("Ticket {} · {}", ticket.ticket_id, status), blocks=blocks)
