"""The bot's messages: every card, list and answer of the commands, as :class:`Message`.

Built with the plain-dict builders of :mod:`bot.render.kit` (re-exported here: ``section``,
``fields``, ``header``, ``context``, ``button``, ``mrkdwn``), so each block is the JSON
Slack receives, built once. Text is :class:`~bot.render.text.Mrkdwn` wherever Slack reads
markup (mrkdwn objects and a message's top-level ``text``): built with
:func:`~bot.render.text.md` and the constructors of :mod:`bot.render.text`, so backend and
user text is escaped by construction. The builders take Mrkdwn; a plain ``str`` given
instead is escaped as text (shown literally, never read as a mention or a link).
``plain_text`` (headers, buttons) is cleaned of control and bidi characters. Everything is
cut within Slack's limits (named constants in :mod:`bot.render.text` and
:mod:`bot.render.kit`); ``Message.to_dict()`` escapes, at the boundary, any mrkdwn a block
built around the builders carries as a plain ``str``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.clients.bruin.models import (
    InventoryItem,
    Site,
    Ticket,
    TicketDetails,
    TicketNote,
)
from bot.render.kit import (
    Block,
    Element,
    actions,
    button,
    context,
    divider,
    fields,
    header,
    mrkdwn,
    section,
)
from bot.render.text import (
    SECTION_MAX,
    Mrkdwn,
    code,
    enforce,
    escape,
    md,
    md_join,
    quote,
    truncate,
    when,
)
from bot.render.values import (
    ACTION_LIST_MORE,
    ACTION_SHOW_TICKET,
    VALUE_ROOM,
    list_more_value,
    show_value,
)

__all__ = [
    "ACTION_LIST_MORE",
    "ACTION_OPEN_LINK",
    "ACTION_SHOW_TICKET",
    "MAX_BLOCKS",
    "Block",
    "Message",
    "button",
    "context",
    "error_message",
    "fields",
    "header",
    "help_message",
    "inventory_list",
    "last_update",
    "md",
    "mrkdwn",
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
ACTION_OPEN_LINK = "open_link"


@dataclass(frozen=True)
class Message:
    """What a command answers: fallback ``text`` plus blocks; ``public`` = in channel.

    ``text`` is mrkdwn (Slack parses it for mentions and links, and shows it in
    notifications): give it Mrkdwn; a plain ``str`` is escaped as text here. ``blocks`` are
    Block Kit dicts (:mod:`bot.render.kit`), shared between messages (a card under a
    banner): build new ones rather than change them.
    """

    text: Mrkdwn
    blocks: list[Block] = field(default_factory=list)
    public: bool = False
    ok: bool = True
    card_of: int | None = None
    """The ticket whose card this is: once posted in a channel, its updates thread there."""

    def __post_init__(self) -> None:
        given: object = self.text  # typed Mrkdwn; a plain str from untyped code is text
        if not isinstance(given, Mrkdwn):
            object.__setattr__(self, "text", escape(given))

    def to_dict(self) -> dict[str, Any]:
        """``{"text", "blocks"}`` as Slack takes them: the first 50 blocks, each passed
        through :func:`~bot.render.text.enforce` (the builders' blocks come through as they
        are; a plain ``str`` in a mrkdwn object of a block built around them is escaped)."""
        return {
            "text": truncate(escape(self.text), SECTION_MAX),
            "blocks": [enforce(b) for b in self.blocks[:MAX_BLOCKS]],
        }


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


def _note_line(note: TicketNote) -> Mrkdwn:
    return md(
        "*{}* · {}\n{}",
        when(note.created_at),
        note.creator or "unknown",
        quote(note.text, NOTE_PREVIEW),
    )


def last_update(ticket: Ticket, details: TicketDetails) -> dt.datetime | None:
    """The newest change the ticket shows: a detail line's update or a note, else creation."""
    moments = [
        *(d.last_updated_at for d in details.details),
        *(n.created_at for n in details.notes),
    ]
    return max((m for m in moments if m is not None), default=None) or ticket.created_at


def ticket_card(
    ticket: Ticket,
    details: TicketDetails,
    *,
    portal_url: str,
    buttons: Sequence[Element] = (),
    notes_shown: int = 3,
) -> Message:
    """The full card of ``/ticket show``."""
    status = ticket.status_label
    blocks: list[Block] = [header(f"Ticket {ticket.ticket_id} · {status}")]
    category = " ".join(p for p in (ticket.category, ticket.topic and f"({ticket.topic})") if p)
    site = ticket.address.one_line() if ticket.address else ""
    updated = last_update(ticket, details)
    pairs = [
        ("Status", md("{} {}", _status_icon(status), status)),
        ("Category", escape(category or "—")),
        ("Site", escape(site or "—")),
        ("Created", md("{}\nby {}", when(ticket.created_at), ticket.created_by or "—")),
        ("Updated", when(updated)),
    ]
    if ticket.severity:
        pairs.append(("Severity", escape(ticket.severity)))
    blocks.append(fields(pairs))
    if details.details:
        lines = [
            md(
                "• {} {}{}",
                code(d.service_number or "?"),
                d.status_label,
                md(" — {}", d.current_task_name.strip()) if d.current_task_name else md(""),
            )
            for d in details.details
        ]
        blocks.append(section(md("*Service numbers*\n{}", md_join("\n", lines))))
    notes = details.notes_newest_first()
    if notes:
        blocks.append(divider())
        shown = notes[:notes_shown]
        blocks.append(section(md("*Latest notes* ({} of {})", len(shown), len(notes))))
        blocks.extend(section(_note_line(n)) for n in shown)
    elif ticket.creation_note:
        blocks.append(section(md("*Description*\n{}", quote(ticket.creation_note, NOTE_PREVIEW))))
    link = ticket_url(portal_url, ticket.ticket_id)
    elements = [*buttons, button("Open in Bruin", ACTION_OPEN_LINK, url=link)]
    blocks.append(actions(elements))
    summary = md("Ticket {} · {} · {}", ticket.ticket_id, status, category or "no category")
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
        blocks.append(section(md("No tickets match.")))
        return Message(text=md("{}: none", title), blocks=blocks)
    for t in tickets:
        site = t.address.one_line() if t.address else ""
        parts = [md("*{}*", t.ticket_id), md("{} {}", _status_icon(t.status_label), t.status_label)]
        if t.category:
            parts.append(escape(t.category))
        if site:
            parts.append(escape(truncate(site, 80)))
        parts.append(when(t.created_at))
        blocks.append(
            section(
                md_join(" · ", parts),
                accessory=button("Show", ACTION_SHOW_TICKET, value=show_value(t.ticket_id)),
            )
        )
    shown_to = offset + len(tickets)
    count = f"{offset + 1}–{shown_to} of {total}" if total is not None else f"{len(tickets)} shown"
    blocks.append(context(escape(count)))
    if more_value is not None:
        value = list_more_value(more_value)
        if len(value) <= VALUE_ROOM:
            blocks.append(actions([button("More", ACTION_LIST_MORE, value=value)]))
        else:  # a filter too long to fit in a button (Slack allows 2000 characters)
            blocks.append(context(md("More tickets match: narrow the filter to see them.")))
    return Message(text=md("{}: {}", title, count), blocks=blocks)


def notes_list(ticket_id: int, notes: Sequence[TicketNote], *, limit: int = 20) -> Message:
    title = f"Notes on ticket {ticket_id}"
    blocks: list[Block] = [header(title)]
    if not notes:
        blocks.append(section(md("No notes yet.")))
    shown = list(notes)[:limit]
    blocks.extend(section(_note_line(n)) for n in shown)
    if len(notes) > len(shown):
        blocks.append(context(md("{} newest of {} notes", len(shown), len(notes))))
    return Message(text=md("{}: {}", title, len(notes)), blocks=blocks)


def note_added(ticket_id: int, stored_text: str, *, author: str) -> Message:
    """Posted in channel after a note is written (the audit line is part of the note)."""
    return Message(
        text=md("{} added a note to ticket {}", author, ticket_id),
        blocks=[
            section(
                md(
                    ":memo: *{}* added a note to ticket *{}*\n{}",
                    author,
                    ticket_id,
                    quote(stored_text, NOTE_PREVIEW),
                )
            ),
        ],
        public=True,
    )


def inventory_list(items: Sequence[InventoryItem], *, search: str | None, limit: int) -> Message:
    title = f"Inventory matching “{search}”" if search else "Inventory"
    blocks: list[Block] = [header(title)]
    if not items:
        blocks.append(section(md("Nothing matches.")))
        return Message(text=md("{}: none", title), blocks=blocks)
    lines = []
    for item in list(items)[:limit]:
        where = item.site_label or (item.address.one_line() if item.address else "")
        product = item.product_category or item.product_type or ""
        lines.append(
            md(
                "• {} {} · {}{}",
                code(item.service_number),
                product,
                item.status_label,
                md(" · {}", where) if where else md(""),
            )
        )
    # Chunk into sections within the 3000-character limit.
    chunk: list[Mrkdwn] = []
    for line in (truncate(line, 300) for line in lines):
        if chunk and sum(len(x) + 1 for x in chunk) + len(line) > SECTION_MAX - 10:
            blocks.append(section(md_join("\n", chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section(md_join("\n", chunk)))
    more = f" (first {limit}; narrow the search)" if len(items) > limit else ""
    shown = min(len(items), limit)
    blocks.append(context(md("{} of {} service numbers{}", shown, len(items), more)))
    return Message(text=md("{}: {}", title, len(items)), blocks=blocks[:MAX_BLOCKS])


def site_list(sites: Sequence[Site], *, search: str | None, limit: int = 25) -> Message:
    title = f"Sites matching “{search}”" if search else "Sites"
    blocks: list[Block] = [header(title)]
    if not sites:
        blocks.append(section(md("No sites match.")))
        return Message(text=md("{}: none", title), blocks=blocks)
    for site in list(sites)[:limit]:
        address = site.address.one_line() if site.address else ""
        blocks.append(section(md("*{}* · {}\n{}", site.site_id, site.label or "", address)))
    blocks.append(context(md("{} of {} sites", min(len(sites), limit), len(sites))))
    return Message(text=md("{}: {}", title, len(sites)), blocks=blocks)


def site_card(site: Site) -> Message:
    blocks: list[Block] = [header(f"Site {site.site_id} · {site.label or ''}")]
    address = site.address.one_line() if site.address else ""
    contact = md_join(
        " · ", (p for p in (site.contact_name, site.contact_phone, site.contact_email) if p)
    )
    pairs = [
        ("Address", escape(address or "—")),
        ("Time zone", escape(site.time_zone or "—")),
        ("Contact", contact or escape("—")),
        ("Business hours", escape((site.business_hours or "—").replace(",", "\n"))),
    ]
    if site.identifier:
        pairs.append(("Identifier", escape(site.identifier)))
    blocks.append(fields(pairs))
    return Message(text=escape(f"Site {site.site_id} {site.label or ''}".strip()), blocks=blocks)


def help_message(
    sections: Sequence[tuple[str, Sequence[str]]],
    *,
    note: str = "",
    examples: Sequence[tuple[str, Sequence[str]]] = (),
    read_only: str = "",
) -> Message:
    """Usage for every command: ``sections`` is (title, usage lines), both plain text;
    ``examples`` (title, commands) shown as code; ``read_only`` says how to get write access
    to someone who has none."""
    blocks: list[Block] = [header("chatops-bot commands")]
    shown = dict(examples)
    for title, lines in sections:
        text = md("*{}*\n{}", title, md_join("\n", lines))
        tries = shown.get(title) or ()
        if tries:
            text = md("{}\n*Try:* {}", text, md_join("  ·  ", [code(t) for t in tries]))
        blocks.append(section(text))
    if read_only:
        blocks.append(section(md(":lock: {}", read_only)))
    if note:
        blocks.append(context(escape(note)))
    return Message(text=md("chatops-bot commands"), blocks=blocks)


def error_message(sentence: str, *, usage: str | None = None) -> Message:
    """One clear sentence (ephemeral), with the usage line when it helps.

    ``sentence`` is text (escaped here; it may quote what a person typed or what a
    backend answered); Mrkdwn is kept as built."""
    shown = escape(sentence)
    blocks: list[Block] = [section(md(":warning: {}", shown))]
    if usage:
        blocks.append(context(md("Usage: {}", code(usage))))
    return Message(text=shown, blocks=blocks, ok=False)
