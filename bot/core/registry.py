"""What the bot can do, registered by each handler module's ``register(registry)``.

* command families (``/ticket``) and their subcommands, with help from docstrings;
* actions: button ``action_id`` -> handler (the button's value codec lives beside the
  builder that writes it, in ``bot.render.interactive``);
* forms: a modal's ``callback_id`` -> its definition, pre-write check and write.

Nothing is registered at import time; ``handlers.build_registry()`` makes a fresh one.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.caller import Caller
from bot.core.deps import Services
from bot.core.forms import Form, Values
from bot.core.gate import WriteGate
from bot.core.grammar import Request, Tokens, UsageError
from bot.render.blocks import Message

__all__ = [
    "ActionHandler",
    "CommandFamily",
    "Created",
    "FormKind",
    "Interaction",
    "Outcome",
    "Outputs",
    "Param",
    "Registry",
    "Step",
    "Subcommand",
    "usage_of",
]

Handler = Callable[[Any, Caller, Services], Awaitable[Message]]


def usage_of(handler: Callable[..., Any]) -> tuple[str, str]:
    """``(usage, summary)`` from a handler's docstring: ``"/ticket show <id>: a card"``."""
    doc = inspect.getdoc(handler) or ""
    first = " ".join(doc.split("\n\n", 1)[0].split())
    usage, _, summary = first.partition(": ")
    return usage, summary


@dataclass(frozen=True)
class Subcommand:
    name: str
    request: type[Request]
    handler: Handler
    usage: str
    summary: str
    write: bool = False


class CommandFamily:
    """One slash command (``/ticket``) and its subcommands.

    Help comes from handler docstrings: the first paragraph reads
    ``"/ticket show <id>: show a ticket with its notes"``.
    """

    def __init__(self, command: str, *, title: str, default: str | None = None) -> None:
        self.command = command
        self.title = title
        self.default = default
        self.subcommands: dict[str, Subcommand] = {}
        self.examples: tuple[str, ...] = ()
        """Two real commands the help shows under the family (``family.example(...)``)."""

    def example(self, *commands: str) -> None:
        for command in commands:
            if not command.startswith(self.command + " ") and command != self.command:
                raise ValueError(f"{command!r} is not a {self.command} example")
        self.examples = (*self.examples, *commands)

    def add(
        self, name: str, request: type[Request], handler: Handler, *, write: bool = False
    ) -> None:
        usage, summary = usage_of(handler)
        if not usage.startswith(self.command):
            raise ValueError(f"{handler.__name__}: docstring must start with '{self.command}'")
        if name in self.subcommands:
            raise ValueError(f"{self.command} {name} is registered twice")
        self.subcommands[name] = Subcommand(name, request, handler, usage, summary, write)

    def usage_lines(self, *, writes: bool = True) -> list[str]:
        """One line per subcommand; without ``writes``, the ones that change nothing."""
        return [
            f"{s.usage} — {s.summary}" for s in self.subcommands.values() if writes or not s.write
        ]

    def reads_examples(self) -> tuple[str, ...]:
        """The examples that run a read (for someone who may not write)."""
        return tuple(e for e in self.examples if not self._writes(e))

    def _writes(self, example: str) -> bool:
        words = example.split()[1:3]
        pair = " ".join(words).lower()
        name = words[0].lower() if words else ""
        sub = self.subcommands.get(pair) or self.subcommands.get(name)
        if sub is None and self.default is not None:
            sub = self.subcommands.get(self.default)
        return bool(sub and sub.write)

    def resolve(self, tokens: Tokens) -> tuple[Subcommand, Tokens]:
        words = tokens.words
        name = words[0].lower() if words else ""
        pair = " ".join(w.lower() for w in words[:2])
        if len(words) >= 2 and pair in self.subcommands:  # two-word subcommands: "timeoff add"
            return self.subcommands[pair], tokens.tail().tail()
        if name in self.subcommands and name != self.default:
            return self.subcommands[name], tokens.tail()
        if self.default is not None:
            return self.subcommands[self.default], tokens
        if not name:
            raise UsageError(f"{self.command} needs a subcommand.", usage=self._all_usage())
        candidates = {n.split()[0]: n for n in self.subcommands}
        guess = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
        hint = f" Did you mean `{self.command} {candidates[guess[0]]}`?" if guess else ""
        raise UsageError(
            f"Unknown subcommand {words[0][:40]!r} for {self.command}.{hint}",
            usage=self._all_usage(),
        )

    def _all_usage(self) -> str:
        return " | ".join(s.usage for s in self.subcommands.values())


@dataclass(frozen=True)
class Interaction:
    """One person working through a button, a form or a shortcut: who, with what, through
    which gate. ``caller.channel_id`` comes from the signed request, never from a value."""

    caller: Caller
    services: Services
    gate: WriteGate


@dataclass(frozen=True)
class Created:
    """A ticket a form created, and whether the person asked for updates in the channel."""

    ticket_id: int
    watch: bool = False


@dataclass(frozen=True)
class Outcome:
    """What a click or a submission did, for the front end to show its own way.

    ``replace`` updates the message that held the button; ``announce`` is posted in the
    channel only when that message was not public (an ephemeral card); ``post`` is always
    posted in the channel (the result of a write); ``reply`` is for the person only;
    ``form`` opens a form; ``created`` names the ticket a form created.
    """

    replace: Message | None = None
    delete: bool = False
    post: Message | None = None
    announce: Message | None = None
    reply: Message | None = None
    form: Form | None = None
    created: Created | None = None


@dataclass(frozen=True)
class Param:
    """An input or output of a workflow step, as the manifest's ``functions`` lists it."""

    name: str
    type: str
    title: str
    description: str
    required: bool = True


Outputs = dict[str, str]


@dataclass(frozen=True)
class Step:
    """A Workflow Builder custom step: what Workflow Builder shows, and what runs."""

    callback_id: str
    title: str
    description: str
    inputs: tuple[Param, ...]
    outputs: tuple[Param, ...]
    handler: Callable[[Interaction, Mapping[str, Any]], Awaitable[Outputs]]
    writes: bool = True


ActionHandler = Callable[[Interaction, str], Awaitable[Outcome]]
"""``(interaction, button value) -> Outcome``; a malformed value raises ValueError."""


@dataclass(frozen=True)
class FormKind:
    """A modal: how to rebuild it for validation, what to check before the ack (fast; no
    write), and the write itself (after the submission is claimed)."""

    spec: Callable[[Values, Mapping[str, object]], Form]
    check: Callable[[Interaction, Values, Mapping[str, object]], Awaitable[dict[str, str]]]
    write: Callable[[Interaction, Values, Mapping[str, object]], Awaitable[Outcome]]


class Registry:
    """Filled by ``register(registry)`` of each handler module; read by the front ends."""

    def __init__(self) -> None:
        self._families: dict[str, CommandFamily] = {}
        self.actions: dict[str, ActionHandler] = {}
        self.forms: dict[str, FormKind] = {}
        self.steps: dict[str, Step] = {}
        """Workflow Builder custom steps by callback_id."""
        self.link_actions: set[str] = set()

    def family(self, command: str, *, title: str = "", default: str | None = None) -> CommandFamily:
        """The family of ``command``, created on first use (``/ticket``'s subcommands come
        from two modules)."""
        found = self._families.get(command)
        if found is None:
            found = self._families[command] = CommandFamily(
                command, title=title or command, default=default
            )
        elif title and found.title == command:
            found.title = title
        return found

    @property
    def families(self) -> Mapping[str, CommandFamily]:
        return self._families

    def action(self, action_id: str, handler: ActionHandler) -> None:
        if action_id in self.actions:
            raise ValueError(f"action {action_id!r} is registered twice")
        self.actions[action_id] = handler

    def link(self, action_id: str) -> None:
        """A URL button: Slack still sends the click, which is only acknowledged."""
        self.link_actions.add(action_id)

    def step(self, callback_id: str, step: Step) -> None:
        if callback_id in self.steps:
            raise ValueError(f"step {callback_id!r} is registered twice")
        self.steps[callback_id] = step

    def form(self, callback_id: str, kind: FormKind) -> None:
        if callback_id in self.forms:
            raise ValueError(f"form {callback_id!r} is registered twice")
        self.forms[callback_id] = kind
