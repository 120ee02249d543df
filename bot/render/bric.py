"""Block Kit cards of the ``/bric`` commands, in the ticket cards' visual language.

Built only from :mod:`bot.render.blocks`' public helpers (header, section, fields,
context) and :mod:`bot.render.text`'s ``md``: every piece of Bric text is escaped and cut
within Slack's limits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.clients.bric.models import Client, ClockedTime, Project, TimeBlock
from bot.render.blocks import MAX_BLOCKS, Block, Message, context, fields, header, section
from bot.render.text import (
    SECTION_MAX,
    Mrkdwn,
    clean,
    code,
    escape,
    md,
    md_join,
    plain,
    truncate,
    when,
)

__all__ = [
    "client_list",
    "project_list",
    "running_timers",
    "time_off_added",
    "time_off_list",
]

LINE_MAX = 400
"""Longest single line of a list (escaped), so one odd record cannot fill a section."""
LIST_LIMIT = 40


def _chunks(lines: Sequence[Mrkdwn]) -> list[Block]:
    """Lines packed into as few sections as Slack's 3000-character limit allows."""
    blocks: list[Block] = []
    chunk: list[Mrkdwn] = []
    size = 0
    for line in lines:
        line = truncate(line, LINE_MAX)
        if chunk and size + len(line) + 1 > SECTION_MAX - 10:
            blocks.append(section(md_join("\n", chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(section(md_join("\n", chunk)))
    return blocks


def _list(title: str, lines: Sequence[Mrkdwn], *, empty: str, count: str) -> Message:
    """A header (plain text, like the ticket cards'), the lines, and a count; ``title``,
    ``empty`` and ``count`` are text (escaped here: titles may carry Bric names)."""
    blocks: list[Block] = [header(title)]
    if not lines:
        blocks.append(section(escape(empty)))
        return Message(text=md("{}: none", title), blocks=blocks)
    blocks.extend(_chunks(lines))
    blocks.append(context(escape(count)))
    return Message(text=md("{}: {}", title, count), blocks=blocks[:MAX_BLOCKS])


def _day(value: dt.date | None) -> str:
    return value.strftime("%a %Y-%m-%d") if value else "—"


def _days(first: dt.date | None, last: dt.date | None) -> str:
    if first is None or last is None or first == last:
        return _day(first or last)
    return f"{_day(first)} → {_day(last)}"


def _plural(count: int, noun: str) -> str:
    """``1 project``, ``2 projects``, ``1 entry``, ``2 entries``."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"


def _more(shown: int, total: int, noun: str) -> str:
    if shown < total:
        return f"{shown} of {_plural(total, noun)} (narrow with a filter)"
    return _plural(total, noun)


def project_list(projects: Sequence[Project], *, filters: str = "") -> Message:
    """``/bric projects``: name, code, client, type and plan status per project."""
    title = f"Bric projects · {filters}" if filters else "Bric projects"
    lines = []
    for p in list(projects)[:LIST_LIMIT]:
        parts = [md("*{}*{}", p.name, md(" {}", code(p.code)) if p.code else md(""))]
        parts.append(escape(p.client.name if p.client else "no client"))
        if p.project_type:
            billable = "" if p.project_type.billable is not False else " (non-billable)"
            parts.append(md("{}{}", p.project_type.name, billable))
        if p.status:
            parts.append(escape(p.status))
        lines.append(md("• {}", md_join(" · ", parts)))
    count = _more(len(lines), len(projects), "project")
    return _list(title, lines, empty="No Bric projects match.", count=count)


def client_list(clients: Sequence[Client]) -> Message:
    """``/bric clients``: where each client is and its projects."""
    lines = []
    for c in list(clients)[:LIST_LIMIT]:
        head = md_join(
            " · ", (p for p in (md("*{}*", c.name), escape(c.place()), escape(c.phone)) if p)
        )
        names = md_join(", ", (p.name for p in c.projects))
        projects = _plural(len(c.projects), "project")
        lines.append(md("{}\n      {}{}", head, projects, md(": {}", names) if names else md("")))
    count = _more(len(lines), len(clients), "client")
    return _list("Bric clients", lines, empty="Bric has no clients yet.", count=count)


def running_timers(
    timers: Sequence[ClockedTime], *, now: dt.datetime, project: str | None = None
) -> Message:
    """``/bric clocked``: who has a timer running on what, with the minutes so far."""
    title = f"Running timers · {project}" if project else "Running timers"
    ordered = sorted(timers, key=lambda t: t.elapsed_minutes(now), reverse=True)
    lines = []
    for t in ordered[:LIST_LIMIT]:
        who = t.person.full_name if t.person else "someone"
        what = t.project.name if t.project else "a project"
        role = f" ({t.person_role.name})" if t.person_role and t.person_role.name else ""
        since = md(" · since {}", when(t.started_at)) if t.started_at else md("")
        minutes = t.elapsed_minutes(now)
        lines.append(md("• *{}* on *{}*{} · {} min{}", who, what, role, minutes, since))
    shown = f"{len(lines)} of {len(timers)}" if len(lines) < len(timers) else str(len(timers))
    count = md("{} running · as of {}", shown, when(now))
    return _list(title, lines, empty="Nobody has a timer running right now.", count=count)


def time_off_list(blocks: Sequence[TimeBlock], *, since: dt.date) -> Message:
    """``/bric timeoff list``: holidays and time off from ``since``, soonest first."""
    lines = []
    for b in list(blocks)[:LIST_LIMIT]:
        who = "company-wide" if b.company_wide else (b.person.full_name if b.person else "")
        name = clean(b.event_name) or "(no name)"
        lines.append(md("• *{}* · {} · {}", name, _days(b.first_day, b.last_day), who))
    count = _more(len(lines), len(blocks), "entry")
    title = f"Time off from {since.isoformat()}"
    return _list(title, lines, empty="No time off from that date.", count=count)


def time_off_added(block: TimeBlock, *, author: str) -> Message:
    """Posted in channel after ``/bric timeoff add`` (the stored name carries the audit)."""
    name = block.event_name
    pairs = [
        ("Event", plain(name, 500) or escape("—")),
        ("Dates", escape(_days(block.first_day, block.last_day))),
        ("Scope", escape("company-wide" if block.company_wide else "one person")),
        ("Added by", escape(author or "—")),
    ]
    blocks: list[Block] = [
        header("Time off added in Bric"),
        fields(pairs),
        context(md("Bric time block {}", block.id)),
    ]
    days = _days(block.first_day, block.last_day)
    return Message(
        text=md("{} added time off in Bric: {}", author, days),
        blocks=blocks,
        public=True,
    )
