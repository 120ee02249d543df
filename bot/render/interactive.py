"""Block Kit for the interactive surfaces: card buttons, the create preview, outage answers,
the App Home tab. Button values are written with the codecs of ``bot.render.values``, which
read them back too; actions that write carry a fresh nonce (the idempotency key).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bot.clients.bruin.models import Ticket, TicketDetails
from bot.render.blocks import (
    ACTION_OPEN_LINK,
    ACTION_SHOW_TICKET,
    Block,
    Message,
    button,
    context,
    fields,
    header,
    section,
    ticket_url,
)
from bot.render.kit import (
    CONFIRM_TEXT_MAX,
    CONFIRM_TITLE_MAX,
    Element,
    actions,
    confirm,
    divider,
    view,
)
from bot.render.text import (
    Mrkdwn,
    channel_link,
    code,
    enforce,
    escape,
    md,
    md_join,
    quote,
    truncate,
    when,
)
from bot.render.values import TicketButton, show_value

__all__ = [
    "ACTION_CARD_NOTE",
    "ACTION_CARD_REOPEN",
    "ACTION_CARD_RESOLVE",
    "ACTION_CARD_UNWATCH",
    "ACTION_CARD_WATCH",
    "ACTION_OPEN_CREATE_FORM",
    "ACTION_OUTAGE_NOTE",
    "ACTION_PREVIEW_CANCEL",
    "ACTION_PREVIEW_CREATE",
    "CONFIRM_TEXT_MAX",
    "CONFIRM_TITLE_MAX",
    "HomeTicket",
    "card_buttons",
    "create_preview",
    "home_view",
    "open_form_prompt",
    "outage_existing",
    "subscription_line",
    "with_banner",
]

ACTION_CARD_NOTE = "ticket_card_note"
ACTION_CARD_RESOLVE = "ticket_card_resolve"
ACTION_CARD_REOPEN = "ticket_card_reopen"
ACTION_CARD_WATCH = "ticket_card_watch"
ACTION_CARD_UNWATCH = "ticket_card_unwatch"
ACTION_PREVIEW_CREATE = "ticket_preview_create"
ACTION_PREVIEW_CANCEL = "ticket_preview_cancel"
ACTION_OUTAGE_NOTE = "ticket_outage_note"
ACTION_OPEN_CREATE_FORM = "ticket_new_form"

HOME_MAX_BLOCKS = 100

HomeTicket = tuple[int, Ticket | None]
"""A ticket opened from Slack, with its current record (None when Bruin did not answer)."""


def card_buttons(ticket: Ticket, details: TicketDetails, *, watching: bool | None) -> list[Element]:
    """Add note, Resolve or Reopen (each with a confirm dialog), and Watch / Unwatch
    (``watching`` None: this surface cannot watch, e.g. the console)."""
    tid = ticket.ticket_id
    value = TicketButton.new(tid).encode()
    closed = ticket.status_label.lower() == "closed"
    states = [(d.detail_status or "").upper() for d in details.details]
    open_lines = sum(1 for s in states if s not in {"R", "C"})
    resolved_lines = sum(1 for s in states if s == "R")
    out = [button("Add note", ACTION_CARD_NOTE, value=TicketButton(tid, "").encode())]
    if not closed and open_lines:
        lines = f"{open_lines} open service line" + ("s" if open_lines != 1 else "")
        out.append(
            button(
                "Resolve",
                ACTION_CARD_RESOLVE,
                value=value,
                confirm=confirm(
                    f"Resolve ticket {tid}?",
                    f"This marks the {lines} of ticket {tid} resolved in Bruin, signed with "
                    "your name. It is a real change.",
                    "Resolve",
                ),
            )
        )
    elif not closed and resolved_lines:
        out.append(
            button(
                "Reopen",
                ACTION_CARD_REOPEN,
                value=value,
                confirm=confirm(
                    f"Reopen ticket {tid}?",
                    f"This reopens the resolved service lines of ticket {tid} in Bruin.",
                    "Reopen",
                ),
            )
        )
    if watching is True:
        out.append(button("Unwatch", ACTION_CARD_UNWATCH, value=value))
    elif watching is False:
        out.append(button("Watch", ACTION_CARD_WATCH, value=value))
    return out


def with_banner(card: Message, banner: Mrkdwn, *, public: bool = True) -> Message:
    """``card`` under one line saying what just happened (built with ``md``; a plain
    ``str`` is escaped as text)."""
    banner = escape(banner)
    return Message(text=banner, blocks=[section(banner), *card.blocks], public=public, ok=card.ok)


def create_preview(
    *,
    service_number: str,
    category: str,
    category_label: str,
    description: str,
    value: str,
    contact: str,
    real_bruin: bool = True,
) -> Message:
    """``/ticket new <sn> <description…>``: what Create would send, with Create / Cancel.
    Against the real Bruin (which has no test environment) a line says Create is real."""
    blocks: list[Block] = [
        header("New ticket · preview"),
        fields(
            [
                ("Service number", code(service_number)),
                ("Category", md("{} — {}", category, category_label)),
                ("Site contact", escape(contact)),
            ]
        ),
        section(md("*Description*\n{}", quote(description, 2000))),
    ]
    if real_bruin:
        warning = (
            "Bruin has no test environment: *Create* opens a real ticket, signed with your name."
        )
        blocks.append(context(md(warning)))
    blocks.append(
        actions(
            [
                button("Create", ACTION_PREVIEW_CREATE, value=value, style="primary"),
                button("Cancel", ACTION_PREVIEW_CANCEL, value=value),
            ]
        )
    )
    return Message(text=md("Preview of a new ticket for {}", service_number), blocks=blocks)


def outage_existing(sentence: str, *, ticket_id: int, value: str) -> Message:
    """The outage endpoint found a ticket: say which, offer to add the description to it.
    ``sentence`` is text (it names a service number a person typed): escaped here."""
    return Message(
        text=escape(sentence),
        blocks=[
            section(md(":information_source: {}", sentence)),
            actions(
                [
                    button("Add as note", ACTION_OUTAGE_NOTE, value=value, style="primary"),
                    button("Show ticket", ACTION_SHOW_TICKET, value=show_value(ticket_id)),
                ]
            ),
        ],
    )


def open_form_prompt() -> Message:
    """Where a form cannot open by itself (a mention, a DM): a button that opens it."""
    return Message(
        text=md("Open the new-ticket form"),
        blocks=[
            section(
                md(
                    "Create a ticket with the form, or type "
                    "`/ticket new <service-number> <description…>`."
                )
            ),
            actions([button("New ticket…", ACTION_OPEN_CREATE_FORM, value="form")]),
        ],
    )


def subscription_line(
    channel_id: str,
    *,
    status: str | None,
    category: str | None,
    site: str | None,
    customer_id: int,
) -> Mrkdwn:
    """One channel subscription as the App Home lists it: ``<#C…> · filters · customer``.
    The filters are what a person typed (``category=…``): escaped, never a link."""
    what = " ".join(
        f"{k}={v}" for k, v in (("status", status), ("category", category), ("site", site)) if v
    )
    return md(
        "{} · {} · customer {}", channel_link(channel_id), what or "every new ticket", customer_id
    )


def home_view(
    tickets: Sequence[HomeTicket],
    subscriptions: Sequence[Mrkdwn],
    *,
    portal_url: str,
    updated: dt.datetime,
    read_only: str = "",
) -> dict[str, Any]:
    """The App Home tab: the person's tickets from Slack and the channel subscriptions
    (lines built by :func:`subscription_line`; a plain ``str`` is escaped as text). With
    ``read_only`` (the person may not write) no New ticket button, and that sentence."""
    blocks: list[Block] = [header("chatops-bot")]
    if read_only:
        blocks.append(section(md(":lock: {}", read_only)))
    else:
        new = button("New ticket…", ACTION_OPEN_CREATE_FORM, value="home", style="primary")
        blocks.append(actions([new]))
    blocks.append(header("Tickets you opened from Slack"))
    if not tickets and read_only:
        blocks.append(section(md("None.")))
    elif not tickets:
        blocks.append(section(md("None yet. `/ticket new` in a channel, or *New ticket…* above.")))
    for ticket_id, ticket in tickets[:40]:
        link = button("Open in Bruin", ACTION_OPEN_LINK, url=ticket_url(portal_url, ticket_id))
        if ticket is None:
            line = md("*{}* · _Bruin did not answer; status unknown_", ticket_id)
        else:
            parts = [md("*{}*", ticket_id), escape(ticket.status_label)]
            if ticket.category:
                parts.append(escape(ticket.category))
            if ticket.address:
                parts.append(escape(truncate(ticket.address.one_line(), 80)))
            parts.append(when(ticket.created_at))
            line = md_join(" · ", parts)
        blocks.append(section(line, accessory=link))
    blocks.append(divider())
    blocks.append(header("Channel subscriptions"))
    if not subscriptions:
        blocks.append(section(md("No channel is subscribed. `/ticket subscribe` in a channel.")))
    for sub_line in subscriptions[:40]:
        blocks.append(section(sub_line))
    blocks.append(context(md("Updated {}", when(updated))))
    return dict(enforce(view("home", blocks[:HOME_MAX_BLOCKS])))
