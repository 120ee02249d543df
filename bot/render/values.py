"""Button values: each codec writes a value and reads it back, in one place.

Values carry only what a button needs to name its object (a ticket id, a description, a
list's filters) and a nonce for idempotency. They never carry a customer, a user or a
reply URL: those come from the signed request. In Slack every value is also sealed with a
MAC (``bot.slack.seal``) on the way out and checked on the way in, so a forged value is
refused before any of these readers runs.

Readers raise ValueError for anything they did not write.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.forms import BUTTON_VALUE_MAX, SEAL_ROOM, pack, unpack

__all__ = [
    "ACTION_LIST_MORE",
    "ACTION_SHOW_TICKET",
    "VALUE_ROOM",
    "DigestNudge",
    "OutageNote",
    "Preview",
    "TicketButton",
    "list_more_value",
    "new_nonce",
    "read_list_more_value",
    "read_show_value",
    "show_or_more_command",
    "show_value",
]

VALUE_ROOM = BUTTON_VALUE_MAX - SEAL_ROOM
"""The longest button value we write (the seal takes the rest)."""

ACTION_SHOW_TICKET = "ticket_show"
"""Show (a list row): re-runs ``/ticket show`` with :func:`show_value`."""
ACTION_LIST_MORE = "ticket_list_more"
"""More (a paged list): re-runs ``/ticket list`` with :func:`list_more_value`."""


def new_nonce() -> str:
    """A fresh idempotency key for one rendering of a write button."""
    return secrets.token_urlsafe(9)


def _ticket_id(text: object) -> int:
    value = int(str(text))
    if not 0 < value < 2**31:
        raise ValueError("ticket id out of range")
    return value


@dataclass(frozen=True)
class TicketButton:
    """A card button on one ticket: ``"<ticket id>:<nonce>"``."""

    ticket_id: int
    nonce: str

    @classmethod
    def new(cls, ticket_id: int) -> TicketButton:
        return cls(ticket_id, new_nonce())

    def encode(self) -> str:
        """``"<id>:<nonce>"``; just ``"<id>"`` for a button that writes nothing itself."""
        return f"{self.ticket_id}:{self.nonce}" if self.nonce else str(self.ticket_id)

    @classmethod
    def decode(cls, value: str) -> TicketButton:
        head, _, nonce = value.partition(":")
        if not head.isdigit():
            raise ValueError(f"bad ticket button value {value[:40]!r}")
        ticket_id = _ticket_id(head)
        return cls(ticket_id, nonce or head)


@dataclass(frozen=True)
class DigestNudge:
    """Nudge (a stale ticket in a scheduled digest): ``"<ticket id>:<nonce>"``. The nonce is
    made once per digest post, so the first click on a ticket's Nudge adds the note and
    later clicks on the same button add nothing."""

    ticket_id: int
    nonce: str

    @classmethod
    def new(cls, ticket_id: int) -> DigestNudge:
        return cls(ticket_id, new_nonce())

    def encode(self) -> str:
        return f"{self.ticket_id}:{self.nonce}"

    @classmethod
    def decode(cls, value: str) -> DigestNudge:
        head, sep, nonce = value.partition(":")
        if not head.isdigit() or not sep or not nonce:
            raise ValueError(f"bad nudge value {value[:40]!r}")
        return cls(_ticket_id(head), nonce)


@dataclass(frozen=True)
class Preview:
    """Create / Cancel under a ``/ticket new <sn> <description…>`` preview."""

    service_number: str
    category: str
    description: str
    nonce: str

    def encode(self) -> str:
        data = {"n": self.nonce, "s": self.service_number, "c": self.category}
        return pack(data | {"d": self.description}, limit=VALUE_ROOM)

    @classmethod
    def decode(cls, value: str) -> Preview:
        data = unpack(value)
        found = cls(*(str(data.get(k) or "") for k in ("s", "c", "d", "n")))
        if not (found.nonce and found.service_number and found.description):
            raise ValueError("bad preview value")
        return found


@dataclass(frozen=True)
class OutageNote:
    """ "Add as note" under an outage answer: the description, onto the existing ticket."""

    ticket_id: int
    description: str
    nonce: str

    def encode(self) -> str:
        data = {"t": self.ticket_id, "d": self.description, "n": self.nonce}
        return pack(data, limit=VALUE_ROOM)

    @classmethod
    def decode(cls, value: str) -> OutageNote:
        data = unpack(value)
        found = cls(_ticket_id(data.get("t") or 0), str(data.get("d") or ""), str(data.get("n")))
        if not found.description or not data.get("n"):
            raise ValueError("bad outage note value")
        return found


def show_value(ticket_id: int) -> str:
    return str(ticket_id)


def read_show_value(value: str) -> int:
    return _ticket_id(value.strip())


def list_more_value(filters: Mapping[str, Any]) -> str:
    return json.dumps(dict(filters), separators=(",", ":"))


def read_list_more_value(value: str) -> dict[str, Any]:
    try:
        found = json.loads(value or "{}")
    except ValueError as exc:
        raise ValueError("bad list value") from exc
    if not isinstance(found, dict):
        raise ValueError("bad list value")
    return found


def show_or_more_command(action_id: str, value: str) -> str | None:
    """The ``/ticket`` text a Show (a list row) or More (the next page) button re-runs."""
    if action_id == ACTION_SHOW_TICKET:
        return f"show {read_show_value(value)}"
    if action_id == ACTION_LIST_MORE:
        filters = read_list_more_value(value)
        return "list " + " ".join(f'{k}="{v}"' for k, v in filters.items())
    return None
