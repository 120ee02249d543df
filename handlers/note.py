"""/note: add and read notes on Bruin tickets."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from bot.clients.errors import (
    BackendError,
    BadResponse,
    TransportError,
    UpstreamUnavailable,
)
from bot.core.caller import Caller
from bot.core.deps import Services
from bot.core.grammar import FreeText, Request, TicketId
from bot.core.registry import Registry
from bot.render.blocks import Message, note_added, notes_list

__all__ = ["NoteAdd", "NoteList", "register"]


class NoteAdd(Request):
    positional: ClassVar[tuple[str, ...]] = ("ticket_id",)
    rest: ClassVar[str | None] = "text"
    ticket_id: TicketId
    text: Annotated[FreeText, Field(examples=["called the carrier"])]


class NoteList(Request):
    positional: ClassVar[tuple[str, ...]] = ("ticket_id",)
    ticket_id: TicketId


async def add(req: NoteAdd, caller: Caller, services: Services) -> Message:
    """/note add <ticket-id> <text…>: add a note (signed with your name) to a ticket"""
    stored = caller.signed(req.text)
    try:
        await services.bruin.add_note(req.ticket_id, stored)
    except (TransportError, UpstreamUnavailable, BadResponse):
        # The answer was lost or unreadable, not necessarily the write: check before anyone
        # retries, so a note is never added twice.
        if not await _note_exists(services, req.ticket_id, stored):
            raise
    return note_added(req.ticket_id, stored, author=caller.display_name)


async def _note_exists(services: Services, ticket_id: int, text: str) -> bool:
    try:
        details = await services.bruin.get_ticket_details(ticket_id)
    except BackendError:
        return False
    return any(note.text.strip() == text.strip() for note in details.notes)


async def list_(req: NoteList, caller: Caller, services: Services) -> Message:
    """/note list <ticket-id>: a ticket's notes, newest first"""
    await services.scoped_ticket(caller, req.ticket_id)  # another customer's: not found
    details = await services.bruin.get_ticket_details(req.ticket_id)
    return notes_list(req.ticket_id, details.notes_newest_first())


def register(registry: Registry) -> None:
    family = registry.family("/note", title="Notes")
    family.example('/note add 4503 "called the carrier, ETA 2 h"', "/note list 4503")
    family.add("add", NoteAdd, add, write=True)
    family.add("list", NoteList, list_)
