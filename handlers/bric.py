"""/bric: Bric projects, clients, running timers and time off (help comes from docstrings).

Bric is a project and time-tracking service: there are no tickets here, only what Bric has.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, ClassVar, Protocol

from pydantic import Field, create_model

from bot.core.aio import gather_or_cancel
from bot.core.caller import Caller
from bot.core.deps import Services
from bot.core.grammar import Date, FreeText, Request, UsageError
from bot.core.registry import Registry, usage_of
from bot.render.blocks import Message
from bot.render.bric import (
    client_list,
    project_list,
    running_timers,
    time_off_added,
    time_off_list,
)

__all__ = [
    "BricClocked",
    "BricProjects",
    "TimeoffAdd",
    "TimeoffList",
]

EVENT_NAME_MAX = 255
"""Longest event name stored at Bric, audit included (a Rails string column)."""
_DATE_LIKE = re.compile(r"^\d{1,4}-\d{1,2}-\d{1,2}$")


class _Named(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


class BricProjects(Request):
    client: str | None = Field(None, max_length=100, examples=["Northwind"])
    type: str | None = Field(None, max_length=100, examples=["Retainer"])


class BricClients(Request):
    pass


class BricClocked(Request):
    project: str | None = Field(None, max_length=100, examples=["Website"])


# ``from`` is a Python keyword, so this request is built rather than declared.
_FROM: dict[str, Any] = {"from": (Date | None, None)}
TimeoffList = create_model("TimeoffList", __base__=Request, **_FROM)


class TimeoffAdd(Request):
    positional: ClassVar[tuple[str, ...]] = ("start",)
    rest: ClassVar[str | None] = "event_name"
    start: Date
    event_name: Annotated[FreeText, Field(examples=["Office closed"])]
    """``[end] <event name…>``: the end date is split off in the handler."""


def _pick(items: Sequence[_Named], value: str, noun: str, usage: str) -> _Named:
    """One item by id or by name (exact, else a unique substring); UsageError otherwise."""
    text = value.strip()
    if text.isdigit():
        for item in items:
            if item.id == int(text):
                return item
        raise UsageError(f"No Bric {noun} has id {text}.", usage=usage)
    needle = text.lower()
    exact = [i for i in items if i.name.lower() == needle]
    if len(exact) == 1:
        return exact[0]
    found = exact or [i for i in items if needle in i.name.lower()]
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(f"No Bric {noun} matches {text[:40]!r}.", usage=usage)
    names = ", ".join(sorted(i.name for i in found)[:5])
    raise UsageError(
        f"Several Bric {noun}s match {text[:40]!r} ({names}); be more specific.", usage=usage
    )


def _usage(handler: Callable[..., Any]) -> str:
    return usage_of(handler)[0]


async def projects(req: BricProjects, caller: Caller, services: Services) -> Message:
    """/bric projects [client=…] [type=…]: Bric projects, by client or project type
    (name or id)"""
    bric = services.bric
    usage = _usage(projects)
    clients, types = await gather_or_cancel(
        bric.list_clients() if req.client else _nothing(),
        bric.list_project_types() if req.type else _nothing(),
    )
    client = _pick(clients, req.client, "client", usage) if req.client else None
    ptype = _pick(types, req.type, "project type", usage) if req.type else None
    found = await bric.list_projects(
        client_id=client.id if client else None, project_type_id=ptype.id if ptype else None
    )
    filters = " ".join(
        f"{key}={item.name}" for key, item in (("client", client), ("type", ptype)) if item
    )
    return project_list(sorted(found, key=lambda p: p.name.lower()), filters=filters)


async def clients(req: BricClients, caller: Caller, services: Services) -> Message:
    """/bric clients: Bric clients with their projects"""
    found = await services.bric.list_clients()
    return client_list(sorted(found, key=lambda c: c.name.lower()))


async def clocked(req: BricClocked, caller: Caller, services: Services) -> Message:
    """/bric clocked [project=…]: who has a timer running on what, right now"""
    bric = services.bric
    project = None
    if req.project:
        project = _pick(await bric.list_projects(), req.project, "project", _usage(clocked))
    timers = await bric.list_clocked_times(project_id=project.id if project else None)
    running = [t for t in timers if t.running]
    now = dt.datetime.now(dt.UTC)
    return running_timers(running, now=now, project=project.name if project else None)


async def timeoff_list(req: Request, caller: Caller, services: Services) -> Message:
    """/bric timeoff list [from=YYYY-MM-DD]: holidays and time off from a date (default
    today), soonest first"""
    since: dt.date = getattr(req, "from", None) or dt.datetime.now(dt.UTC).date()
    blocks = await services.bric.list_time_blocks()
    ahead = [b for b in blocks if (b.last_day or dt.date.max) >= since]
    floor = dt.date.min
    ahead.sort(key=lambda b: (b.first_day or floor, b.id))
    return time_off_list(ahead, since=since)


async def timeoff_add(req: TimeoffAdd, caller: Caller, services: Services) -> Message:
    """/bric timeoff add <start> [end] <event name…>: add company-wide time off (a holiday,
    an office closure), signed with your name"""
    usage = _usage(timeoff_add)
    first, _, rest = req.event_name.partition(" ")
    end: dt.date | None = None
    name = req.event_name
    if _DATE_LIKE.match(first):
        try:
            end = dt.date.fromisoformat(first)
        except ValueError:
            raise UsageError(
                "The end date must be a date in the form YYYY-MM-DD, e.g. 2025-12-26.",
                usage=usage,
            ) from None
        name = rest.strip()
    if not name:
        raise UsageError(
            'The event name is missing: give non-empty text, e.g. "Office closed".', usage=usage
        )
    if end is not None and end < req.start:
        raise UsageError(
            f"The end date {end.isoformat()} is before the start date {req.start.isoformat()}.",
            usage=usage,
        )
    # The audit goes on the same line as the name: Bric's event_name is a one-line label
    # (its calendar and /bric timeoff list show it as a title), where the newline that
    # Caller.signed puts before a note's audit line would be lost or rejected. The words
    # are the same as a note's: "<name> — via Slack by <display name> (<user id>)".
    stored = f"{' '.join(name.split())} {caller.audit_line()}"
    if len(stored) > EVENT_NAME_MAX:
        room = EVENT_NAME_MAX - len(caller.audit_line()) - 1
        raise UsageError(
            f"The event name is too long ({len(name)} characters; at most {room}).", usage=usage
        )
    block = await services.bric.create_time_block(
        start_date=req.start, end_date=end, event_name=stored
    )
    return time_off_added(block, author=caller.display_name)


async def _nothing() -> list[_Named]:
    return []


def register(registry: Registry) -> None:
    family = registry.family("/bric", title="Bric (projects and time)")
    family.example("/bric clocked", "/bric timeoff list from=2026-12-01")
    family.add("projects", BricProjects, projects)
    family.add("clients", BricClients, clients)
    family.add("clocked", BricClocked, clocked)
    family.add("timeoff list", TimeoffList, timeoff_list)
    family.add("timeoff add", TimeoffAdd, timeoff_add, write=True)
