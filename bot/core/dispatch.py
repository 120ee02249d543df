"""The command core, independent of Slack: text in, :class:`Message` out.

A request walks one line: command text -> grammar -> (read budget | write gate) -> handler
(client call -> model -> render). Slack (``bot.slack.app``) and the terminal console
(``bot.console.app``) are two front ends over the same :class:`Dispatcher`.

Each run also has an outcome for the metrics (``chatops_commands_total``): ``ok``;
``usage`` when the person's input did not fit (the grammar, a value, an id that does not
exist); ``refused`` when the write gate said no (not a writer, over the rate limit);
``error`` when a backend or the bot failed. An alert on ``error`` means something broke.
"""

from __future__ import annotations

from typing import Literal

import structlog

from bot.clients.errors import BackendError, NotFound
from bot.core.caller import Caller, Profile, Surface
from bot.core.deps import NotConfigured, Services
from bot.core.gate import Refused, Write, WriteGate, failure_sentence
from bot.core.grammar import Request, UsageError, bind, tokenize
from bot.core.registry import CommandFamily, Registry, Subcommand
from bot.render.blocks import Message, error_message, help_message

__all__ = [
    "READ_ONLY",
    "Caller",
    "CommandFamily",
    "CommandOutcome",
    "Dispatcher",
    "NotConfigured",
    "Profile",
    "Services",
    "Subcommand",
    "Surface",
]

log = structlog.get_logger(__name__)

CommandOutcome = Literal["ok", "usage", "refused", "error"]
"""How a command ended, for the metrics; see the module docstring."""

READ_ONLY = (
    "You can look tickets, inventory and sites up. To add notes, open, resolve or close "
    "tickets, ask a Slack admin to add you (or a user group you are in) to CHATOPS_WRITERS."
)
_NOTE = (
    "Filters are key=value; quote text with spaces: "
    '/ticket list site="Alum Creek". Dates are YYYY-MM-DD.'
)


def _write_of(family: CommandFamily, sub: Subcommand, request: Request) -> Write:
    ticket_id = getattr(request, "ticket_id", None)
    return Write(
        operation=f"{family.command} {sub.name}",
        ticket_id=ticket_id if isinstance(ticket_id, int) else None,
        backend="bric" if family.command == "/bric" else "bruin",
    )


class Dispatcher:
    """Routes ``(command, text)`` to a family's subcommand and turns failures into messages."""

    def __init__(self, registry: Registry, gate: WriteGate | None = None) -> None:
        self.families = registry.families
        self.gate = gate or WriteGate()

    def help(self, family: CommandFamily | None = None, *, writer: bool = True) -> Message:
        """Every command's usage, or one family's (``/bric`` or ``/note`` alone), with two
        examples each. Someone who may not write sees only what reads, and who to ask."""
        shown = [family] if family is not None else list(self.families.values())
        sections = [(f.title, f.usage_lines(writes=writer)) for f in shown]
        examples = [(f.title, f.examples if writer else f.reads_examples()) for f in shown]
        return help_message(
            [(title, lines) for title, lines in sections if lines],
            note=_NOTE,
            examples=examples,
            read_only="" if writer else READ_ONLY,
        )

    async def help_for(self, caller: Caller, family: CommandFamily | None = None) -> Message:
        """:meth:`help` as it fits ``caller``."""
        return self.help(family, writer=await self.gate.can_write(caller))

    async def dispatch(
        self, command: str, text: str, caller: Caller, services: Services
    ) -> Message:
        """Run one command; never raises for anything a person or a backend can cause."""
        message, _ = await self.dispatch_with_outcome(command, text, caller, services)
        return message

    async def dispatch_with_outcome(
        self, command: str, text: str, caller: Caller, services: Services
    ) -> tuple[Message, CommandOutcome]:
        """:meth:`dispatch`, with how it ended (for ``chatops_commands_total``)."""
        family = self.families.get(command)
        if family is None:
            known = ", ".join(self.families)
            sentence = f"Unknown command {command[:40]!r}; try one of {known}."
            return error_message(sentence), "usage"
        writing = False
        try:
            tokens = tokenize(text)
            if tokens.words[:1] == ("help",):
                return await self.help_for(caller), "ok"
            if not tokens.items and family.default is None:
                return await self.help_for(caller, family), "ok"
            sub, rest = family.resolve(tokens)
            request = bind(sub.request, rest, usage=sub.usage)
            writing = sub.write
            if not writing:
                self.gate.admit_read(caller)
                message = await sub.handler(request, caller, services)
            else:
                message = await self.gate.run(
                    services,
                    caller,
                    _write_of(family, sub, request),
                    lambda who: sub.handler(request, who, services),
                )
        except UsageError as exc:
            return error_message(exc.message, usage=exc.usage), "usage"
        except Refused as exc:
            return error_message(failure_sentence(exc)), "refused"
        except NotConfigured as exc:
            return error_message(failure_sentence(exc)), "error"
        except BackendError as exc:
            log.warning(
                "backend_error",
                error=repr(exc),
                command=command,
                backend=exc.backend,
                status=exc.status,
                trace_id=exc.trace_id,
            )
            # A write's lost answer may hide a done write: never invite a blind retry.
            sentence = failure_sentence(exc) if writing else exc.user_message()
            # A ticket or site that does not exist is what the person typed, not a failure.
            return error_message(sentence), "usage" if isinstance(exc, NotFound) else "error"
        return message, "ok" if message.ok else "error"
