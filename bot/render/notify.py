"""Notification messages: thread replies, status lines, creator DMs and burst digests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.render.blocks import (
    ACTION_SHOW_TICKET,
    Block,
    Message,
    button,
    context,
    header,
    section,
)
from bot.render.text import Mrkdwn, escape, md, quote

__all__ = ["change_message", "digest_message", "dm_message"]

NOTE_PREVIEW = 800
DIGEST_LINES = 30
DIGEST_PREVIEW = 200
"""Digests stay well under the ~13k characters where Slack answers msg_blocks_too_long."""


def _summary(ticket_id: int, payload: dict[str, Any]) -> str:
    """The change's one-line summary: plain text (``bot.notify.intake`` writes it from
    backend text: a note's creator, a status), escaped wherever it is shown."""
    return str(payload.get("summary") or f"Ticket {ticket_id} changed")


def _line(
    kind: str, ticket_id: int, payload: dict[str, Any], preview: int = NOTE_PREVIEW
) -> Mrkdwn:
    summary = _summary(ticket_id, payload)
    if kind == "note":
        note = payload.get("note")
        text = note.get("text") if isinstance(note, dict) else None
        return md(":memo: {}\n{}", summary, quote(str(text or ""), preview))
    if kind == "status":
        return md(":arrows_counterclockwise: {}", summary)
    if kind == "new_ticket":
        return md(":new: {}", summary)
    return escape(summary)


def change_message(kind: str, ticket_id: int, payload: dict[str, Any]) -> Message:
    """One change, posted in the thread under the ticket's card (or as its first message)."""
    block = section(
        _line(kind, ticket_id, payload),
        accessory=button("Show", ACTION_SHOW_TICKET, value=str(ticket_id)),
    )
    return Message(text=escape(_summary(ticket_id, payload)), blocks=[block], public=True)


def dm_message(ticket_id: int, payload: dict[str, Any]) -> Message:
    text = md("A ticket you opened from Slack changed: {}", str(payload.get("summary") or ""))
    block = section(
        md(":bell: {}", text),
        accessory=button("Show", ACTION_SHOW_TICKET, value=str(ticket_id)),
    )
    return Message(text=text, blocks=[block], public=True)


def digest_message(entries: Sequence[tuple[str, int, dict[str, Any]]]) -> Message:
    """A burst becomes one message listing the changes (Slack allows ~1 post/s/channel)."""
    title = f"{len(entries)} ticket updates"
    blocks: list[Block] = [header(title)]
    shown = list(entries)[:DIGEST_LINES]
    for kind, ticket_id, payload in shown:
        blocks.append(section(_line(kind, ticket_id, payload, DIGEST_PREVIEW)))
    if len(entries) > len(shown):
        more = len(entries) - len(shown)
        blocks.append(context(md("…and {} more; see /ticket list", more)))
    return Message(text=escape(title), blocks=blocks, public=True)
