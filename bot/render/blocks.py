"""Block Kit builders: every message the bot sends is built here with slack_sdk's models.

Backend text is escaped and cut within Slack's limits (named constants in
:mod:`bot.render.text`); ``Message.to_dict()`` runs slack_sdk's own validation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.clients.bruin.models import (
    InventoryItem,
    Site,
    Ticket,
    TicketDetails,
    TicketNote,
)
from bot.render.text import (
    BUTTON_TEXT_MAX,
    FIELD_MAX,
    HEADER_MAX,
    SECTION_MAX,
    escape,
    fmt_time,
    plain,
    truncate,
)

__all__ = [
    "ACTION_LIST_MORE",
    "ACTION_OPEN_LINK",
    "ACTION_SHOW_TICKET",
    "MAX_BLOCKS",
    "Message",
    "button",
    "context",
    "error_message",
    "fields",
    "header",
    "help_message",
    "inventory_list",
    "md",
    "note_added",
    "notes_list",
    "section",
    "site_card",
    "site_list",
    "ticket_card",
    "ticket_list",
]

MAX_BLOCKS = 50
NOTE_PREVIEW = 600
ACTION_SHOW_TICKET = "ticket_show"
ACTION_LIST_MORE = "ticket_list_more"
ACTION_OPEN_LINK = "open_link"


@dataclass(frozen=True)
class Message:
    """What a command answers: fallback ``text`` plus blocks; ``public`` = in channel."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    public: bool = False
    ok: bool = True
    card_of: int | None = None
    """The ticket whose card this is: once posted in a channel, its updates thread there."""

    def to_dict(self) -> dict[str, Any]:
        blocks = self.blocks[:MAX_BLOCKS]
        return {
            "text": truncate(self.text, SECTION_MAX),
            "blocks": [b.to_dict() for b in blocks],
        }


def md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=truncate(text, SECTION_MAX))


def section(text: str) -> SectionBlock:
    return SectionBlock(text=md(text))


def fields(pairs: Iterable[tuple[str, str]]) -> SectionBlock:
    items = [MarkdownTextObject(text=truncate(f"*{k}*\n{v}", FIELD_MAX)) for k, v in pairs]
    return SectionBlock(fields=items[:10])


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=truncate(text, HEADER_MAX), emoji=True))


def context(*parts: str) -> ContextBlock:
    return ContextBlock(elements=[md(p) for p in parts if p][:10])


def button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    url: str | None = None,
    style: str | None = None,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=truncate(text, BUTTON_TEXT_MAX)),
        action_id=action_id,
        value=value,
        url=url,
        style=style,
        confirm=confirm,
    )


def ticket_url(portal_url: str, ticket_id: int) -> str:
    return f"{portal_url.rstrip('/')}/ticket/{ticket_id}"


def _status_icon(label: str) -> str:
    key = label.lower()
    if key in {"resolved", "closed"}:
        return ":white_check_mark:"
    if key == "new":
        return ":new:"
    if key == "draft":
        return ":memo:"
    return ":large_orange_circle:"


def _note_line(note: TicketNote) -> str:
    who = escape(note.creator or "unknown")
    body = plain(note.text, NOTE_PREVIEW).replace("\n", "\n>")
    return f"*{fmt_time(note.created_at)}* · {who}\n>{body}"


def ticket_card(
    ticket: Ticket,
    details: TicketDetails,
    *,
    portal_url: str,
    buttons: Sequence[ButtonElement] = (),
    notes_shown: int = 3,
) -> Message:
    """The full card of ``/ticket show``."""
    status = ticket.status_label
    blocks: list[Block] = [header(f"Ticket {ticket.ticket_id} · {status}")]
    category = " ".join(p for p in (ticket.category, ticket.topic and f"({ticket.topic})") if p)
    site = ticket.address.one_line() if ticket.address else ""
    updated = max(
        (
            moment
            for moment in [
                *(d.last_updated_at for d in details.details),
                *(n.created_at for n in details.notes),
            ]
            if moment is not None
        ),
        default=None,
    )
    pairs = [
        ("Status", f"{_status_icon(status)} {escape(status)}"),
        ("Category", escape(category) or "—"),
        ("Site", escape(site) or "—"),
        ("Created", f"{fmt_time(ticket.created_at)}\nby {escape(ticket.created_by or '—')}"),
        ("Updated", fmt_time(updated or ticket.created_at)),
    ]
    if ticket.severity:
        pairs.append(("Severity", escape(ticket.severity)))
    blocks.append(fields(pairs))
    if details.details:
        lines = []
        for d in details.details:
            task = f" — {escape(d.current_task_name.strip())}" if d.current_task_name else ""
            lines.append(f"• `{escape(d.service_number or '?')}` {d.status_label}{task}")
        blocks.append(section("*Service numbers*\n" + "\n".join(lines)))
    notes = details.notes_newest_first()
    if notes:
        blocks.append(DividerBlock())
        shown = notes[:notes_shown]
        blocks.append(section(f"*Latest notes* ({len(shown)} of {len(notes)})"))
        blocks.extend(section(_note_line(n)) for n in shown)
    elif ticket.creation_note:
        blocks.append(section(f"*Description*\n>{plain(ticket.creation_note, NOTE_PREVIEW)}"))
    link = ticket_url(portal_url, ticket.ticket_id)
    elements = [*buttons, button("Open in Bruin", ACTION_OPEN_LINK, url=link)]
    blocks.append(ActionsBlock(elements=elements[:25]))
    summary = f"Ticket {ticket.ticket_id} · {status} · {category or 'no category'}"
    return Message(text=summary, blocks=blocks, card_of=ticket.ticket_id)


def ticket_list(
    tickets: Sequence[Ticket],
    *,
    title: str,
    total: int | None,
    more_value: dict[str, Any] | None,
    offset: int = 0,
) -> Message:
    """A compact list, newest first, with a Show button per ticket and More when paged."""
    blocks: list[Block] = [header(title)]
    if not tickets:
        blocks.append(section("No tickets match."))
        return Message(text=f"{title}: none", blocks=blocks)
    for t in tickets:
        site = t.address.one_line() if t.address else ""
        parts = [f"*{t.ticket_id}*", _status_icon(t.status_label) + " " + escape(t.status_label)]
        if t.category:
            parts.append(escape(t.category))
        if site:
            parts.append(escape(truncate(site, 80)))
        parts.append(fmt_time(t.created_at))
        blocks.append(
            SectionBlock(
                text=md(" · ".join(parts)),
                accessory=button("Show", ACTION_SHOW_TICKET, value=str(t.ticket_id)),
            )
        )
    shown_to = offset + len(tickets)
    count = f"{offset + 1}–{shown_to} of {total}" if total is not None else f"{len(tickets)} shown"
    blocks.append(context(count))
    if more_value is not None:
        blocks.append(
            ActionsBlock(elements=[button("More", ACTION_LIST_MORE, value=json.dumps(more_value))])
        )
    return Message(text=f"{title}: {count}", blocks=blocks)


def notes_list(ticket_id: int, notes: Sequence[TicketNote], *, limit: int = 20) -> Message:
    title = f"Notes on ticket {ticket_id}"
    blocks: list[Block] = [header(title)]
    if not notes:
        blocks.append(section("No notes yet."))
    shown = list(notes)[:limit]
    blocks.extend(section(_note_line(n)) for n in shown)
    if len(notes) > len(shown):
        blocks.append(context(f"{len(shown)} newest of {len(notes)} notes"))
    return Message(text=f"{title}: {len(notes)}", blocks=blocks)


def note_added(ticket_id: int, stored_text: str, *, author: str) -> Message:
    """Posted in channel after a note is written (the audit line is part of the note)."""
    body = plain(stored_text, NOTE_PREVIEW).replace("\n", "\n>")
    return Message(
        text=f"{author} added a note to ticket {ticket_id}",
        blocks=[
            section(f":memo: *{escape(author)}* added a note to ticket *{ticket_id}*\n>{body}"),
        ],
        public=True,
    )


def inventory_list(items: Sequence[InventoryItem], *, search: str | None, limit: int) -> Message:
    title = f"Inventory matching “{search}”" if search else "Inventory"
    blocks: list[Block] = [header(title)]
    if not items:
        blocks.append(section("Nothing matches."))
        return Message(text=f"{title}: none", blocks=blocks)
    lines = []
    for item in list(items)[:limit]:
        where = item.site_label or (item.address.one_line() if item.address else "")
        product = item.product_category or item.product_type or ""
        lines.append(
            f"• `{escape(item.service_number)}` {escape(product)} · {item.status_label}"
            + (f" · {escape(where)}" if where else "")
        )
    # Chunk into sections within the 3000-character limit.
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > SECTION_MAX - 10:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(truncate(line, 300))
    if chunk:
        blocks.append(section("\n".join(chunk)))
    more = f" (first {limit}; narrow the search)" if len(items) > limit else ""
    blocks.append(context(f"{min(len(items), limit)} of {len(items)} service numbers{more}"))
    return Message(text=f"{title}: {len(items)}", blocks=blocks[:MAX_BLOCKS])


def site_list(sites: Sequence[Site], *, search: str | None, limit: int = 25) -> Message:
    title = f"Sites matching “{search}”" if search else "Sites"
    blocks: list[Block] = [header(title)]
    if not sites:
        blocks.append(section("No sites match."))
        return Message(text=f"{title}: none", blocks=blocks)
    for site in list(sites)[:limit]:
        address = site.address.one_line() if site.address else ""
        blocks.append(section(f"*{site.site_id}* · {escape(site.label or '')}\n{escape(address)}"))
    blocks.append(context(f"{min(len(sites), limit)} of {len(sites)} sites"))
    return Message(text=f"{title}: {len(sites)}", blocks=blocks)


def site_card(site: Site) -> Message:
    blocks: list[Block] = [header(f"Site {site.site_id} · {site.label or ''}")]
    address = site.address.one_line() if site.address else ""
    contact = " · ".join(
        escape(p) for p in (site.contact_name, site.contact_phone, site.contact_email) if p
    )
    pairs = [
        ("Address", escape(address) or "—"),
        ("Time zone", escape(site.time_zone or "—")),
        ("Contact", contact or "—"),
        ("Business hours", escape((site.business_hours or "—").replace(",", "\n"))),
    ]
    if site.identifier:
        pairs.append(("Identifier", escape(site.identifier)))
    blocks.append(fields(pairs))
    return Message(text=f"Site {site.site_id} {site.label or ''}".strip(), blocks=blocks)


def help_message(sections: Sequence[tuple[str, Sequence[str]]], *, note: str = "") -> Message:
    """Usage for every command: ``sections`` is (title, usage lines)."""
    blocks: list[Block] = [header("chatops-bot commands")]
    for title, lines in sections:
        blocks.append(section(f"*{escape(title)}*\n" + "\n".join(escape(x) for x in lines)))
    if note:
        blocks.append(context(escape(note)))
    return Message(text="chatops-bot commands", blocks=blocks)


def error_message(sentence: str, *, usage: str | None = None) -> Message:
    """One clear sentence (ephemeral), with the usage line when it helps."""
    blocks: list[Block] = [section(f":warning: {escape(sentence)}")]
    if usage:
        blocks.append(context(f"Usage: `{escape(usage)}`"))
    return Message(text=sentence, blocks=blocks, ok=False)
