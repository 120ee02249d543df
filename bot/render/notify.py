"""Notification messages: thread replies, status lines, creator DMs and burst digests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block

from bot.render.blocks import (
    ACTION_SHOW_TICKET,
    Message,
    button,
    context,
    header,
    section,
)
from bot.render.text import escape, plain

__all__ = ["change_message", "digest_message", "dm_message"]

NOTE_PREVIEW = 800
DIGEST_LINES = 30
DIGEST_PREVIEW = 200
"""Digests stay well under the ~13k characters where Slack answers msg_blocks_too_long."""


def _line(kind: str, ticket_id: int, payload: dict[str, Any], preview: int = NOTE_PREVIEW) -> str:
    summary = escape(str(payload.get("summary") or f"Ticket {ticket_id} changed"))
    if kind == "note":
        note = payload.get("note") or {}
        text = plain(str(note.get("text") or ""), preview).replace("\n", "\n>")
        return f":memo: {summary}\n>{text}"
    if kind == "status":
        return f":arrows_counterclockwise: {summary}"
    if kind == "new_ticket":
        return f":new: {summary}"
    return summary


def change_message(kind: str, ticket_id: int, payload: dict[str, Any]) -> Message:
    """One change, posted in the thread under the ticket's card (or as its first message)."""
    block = section(_line(kind, ticket_id, payload))
    block.accessory = button("Show", ACTION_SHOW_TICKET, value=str(ticket_id))
    text = str(payload.get("summary") or f"Ticket {ticket_id} changed")
    return Message(text=text, blocks=[block], public=True)


def dm_message(ticket_id: int, payload: dict[str, Any]) -> Message:
    new = str(payload.get("summary") or "")
    text = f"A ticket you opened from Slack changed: {new}"
    block = section(f":bell: {escape(text)}")
    block.accessory = button("Show", ACTION_SHOW_TICKET, value=str(ticket_id))
    return Message(text=text, blocks=[block], public=True)


def digest_message(entries: Sequence[tuple[str, int, dict[str, Any]]]) -> Message:
    """A burst becomes one message listing the changes (Slack allows ~1 post/s/channel)."""
    title = f"{len(entries)} ticket updates"
    blocks: list[Block] = [header(title)]
    shown = list(entries)[:DIGEST_LINES]
    for kind, ticket_id, payload in shown:
        blocks.append(section(_line(kind, ticket_id, payload, DIGEST_PREVIEW)))
    if len(entries) > len(shown):
        blocks.append(context(f"…and {len(entries) - len(shown)} more; see /ticket list"))
    return Message(text=title, blocks=blocks, public=True)
