"""Workflow Builder steps: "Open a Bruin ticket", "Add a note to a Bruin ticket" and "Look
up a Bruin ticket", as custom steps (Slack's ``function_executed``).

Each step is data (its inputs and outputs, which the manifest's ``functions`` lists) plus a
handler that runs through the same write gate as the commands: the writers check, the
channel's customer scope, one audit event. The person on the audit line is the workflow's
invoking user, taken from the ``interactivity`` input Slack fills in (an input a workflow
author types could name anyone, so it is never used for that).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.clients.bruin.models import Contact
from bot.core.caller import Caller
from bot.core.gate import Write
from bot.core.grammar import UsageError
from bot.core.registry import Interaction, Outputs, Param, Registry, Step
from bot.render.blocks import ticket_url
from handlers import note, ticket_actions

__all__ = ["STEPS", "invoker", "register"]

USER = "slack#/types/user_id"
CHANNEL = "slack#/types/channel_id"
INTERACTIVITY = "slack#/types/interactivity"


def invoker(inputs: Mapping[str, Any]) -> str:
    """The user who ran the workflow, as Slack filled the interactivity input."""
    interactivity = inputs.get("interactivity")
    user = (interactivity or {}).get("interactor", {}) if isinstance(interactivity, dict) else {}
    found = user.get("id") if isinstance(user, dict) else None
    return str(found) if found else ""


def _text(inputs: Mapping[str, Any], name: str, *, limit: int = 3000) -> str:
    value = str(inputs.get(name) or "").strip()
    if not value:
        raise UsageError(f"The step needs {name.replace('_', ' ')}.")
    if len(value) > limit:
        raise UsageError(f"{name.replace('_', ' ')} is {len(value)} characters; at most {limit}.")
    return value


def _ticket_id(inputs: Mapping[str, Any]) -> int:
    raw = str(inputs.get("ticket_id") or "").strip().lstrip("#")
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise UsageError(f"ticket id must be a ticket number, like 4503 (got {raw[:20]!r}).")
    return int(raw)


async def _open_ticket(turn: Interaction, inputs: Mapping[str, Any]) -> Outputs:
    services = turn.services
    number = _text(inputs, "service_number", limit=100)
    description = _text(inputs, "description")

    async def create(caller: Caller) -> int:
        profile = caller.profile
        contact = Contact(
            name=(profile.real_name if profile else None) or caller.display_name,
            email=profile.email if profile else None,
            phone=profile.phone if profile else None,
        )
        if not (contact.email or contact.phone):
            raise UsageError(
                "Bruin needs an email or a phone for the site contact; the person who ran "
                "the workflow has neither in their Slack profile."
            )
        return await ticket_actions.create_ticket(
            services,
            caller,
            customer=await services.customer_for(caller),
            service_number=number,
            category=None,
            description=description,
            contact=contact,
        )

    ticket_id = await turn.gate.run(services, turn.caller, Write("/ticket new"), create)
    return {"ticket_id": str(ticket_id), "ticket_url": ticket_url(services.portal_url, ticket_id)}


async def _add_note(turn: Interaction, inputs: Mapping[str, Any]) -> Outputs:
    services = turn.services
    ticket_id = _ticket_id(inputs)
    text = _text(inputs, "note")

    async def add(caller: Caller) -> Any:
        return await note.add(note.NoteAdd(ticket_id=ticket_id, text=text), caller, services)

    await turn.gate.run(services, turn.caller, Write("/note add", ticket_id=ticket_id), add)
    return {"ticket_id": str(ticket_id), "ticket_url": ticket_url(services.portal_url, ticket_id)}


async def _look_up(turn: Interaction, inputs: Mapping[str, Any]) -> Outputs:
    services = turn.services
    ticket_id = _ticket_id(inputs)
    found = await services.scoped_ticket(turn.caller, ticket_id)
    return {
        "ticket_id": str(ticket_id),
        "status": found.status_label,
        "category": found.category or "",
        "site": found.address.one_line() if found.address else "",
        "ticket_url": ticket_url(services.portal_url, ticket_id),
    }


_RAN_BY = Param(
    "interactivity", INTERACTIVITY, "Run by", "Who ran the workflow (their name is on the change)"
)
_CHANNEL = Param(
    "channel_id", CHANNEL, "Channel", "The channel whose Bruin customer the ticket belongs to"
)
_TICKET = Param("ticket_id", "string", "Ticket", "The Bruin ticket number, like 4503")
_TICKET_OUT = Param("ticket_id", "string", "Ticket", "The Bruin ticket number")
_URL_OUT = Param("ticket_url", "string", "Link", "The ticket in the Bruin portal")

STEPS = (
    Step(
        "open_bruin_ticket",
        "Open a Bruin ticket",
        "Open a repair ticket in Bruin for a service number, signed with your name",
        (
            _RAN_BY,
            _CHANNEL,
            Param("service_number", "string", "Service number", "e.g. VC07700012345"),
            Param("description", "string", "Description", "What is wrong (the ticket's note)"),
        ),
        (_TICKET_OUT, _URL_OUT),
        _open_ticket,
    ),
    Step(
        "add_bruin_note",
        "Add a note to a Bruin ticket",
        "Add a note, signed with your name, to a Bruin ticket",
        (_RAN_BY, _CHANNEL, _TICKET, Param("note", "string", "Note", "The note's text")),
        (_TICKET_OUT, _URL_OUT),
        _add_note,
    ),
    Step(
        "look_up_bruin_ticket",
        "Look up a Bruin ticket",
        "A Bruin ticket's status, category and site",
        (_CHANNEL, _TICKET),
        (
            _TICKET_OUT,
            Param("status", "string", "Status", "e.g. In progress"),
            Param("category", "string", "Category", "The ticket's category"),
            Param("site", "string", "Site", "The site's address"),
            _URL_OUT,
        ),
        _look_up,
        writes=False,
    ),
)


def register(registry: Registry) -> None:
    for step in STEPS:
        registry.step(step.callback_id, step)
