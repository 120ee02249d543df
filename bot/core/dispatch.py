"""The command core, independent of Slack: text in, :class:`Message` out.

A request walks one line: command text -> grammar -> authorize -> handler (client call ->
model -> render). Slack (``bot.slack.app``) and the terminal console (``bot.console.app``) are two
front ends over the same :class:`Dispatcher`.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import structlog

from bot.clients.bric import BricClient
from bot.clients.bruin import BruinClient
from bot.clients.errors import BackendError, TransportError, UpstreamUnavailable
from bot.config import Settings
from bot.core.audit import audit
from bot.core.grammar import Request, Tokens, UsageError, bind, tokenize
from bot.render.blocks import Message, error_message, help_message
from bot.store import Store

if TYPE_CHECKING:
    from bot.notify.service import NotifierService

__all__ = [
    "Caller",
    "CommandFamily",
    "Dispatcher",
    "NotConfigured",
    "Profile",
    "Services",
    "Subcommand",
    "Surface",
]

log = structlog.get_logger(__name__)

Surface = Literal["slash", "mention", "dm", "button", "modal", "shortcut", "home", "console"]


@dataclass(frozen=True)
class Profile:
    """What a front end knows of the person beyond the name: the contact on new tickets."""

    real_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Caller:
    """Who asked, from where. Every write names this person (SPEC §5)."""

    user_id: str
    display_name: str
    channel_id: str = ""
    surface: Surface = "slash"
    profile: Profile | None = None

    def audit_line(self) -> str:
        via = "the chatops-bot console" if self.surface == "console" else "Slack"
        name = self.display_name.replace("\n", " ").strip() or self.user_id
        return f"— via {via} by {name} ({self.user_id})"

    def signed(self, text: str) -> str:
        """``text`` followed by the audit line, as stored at the backend."""
        return f"{text.rstrip()}\n{self.audit_line()}"


class NotConfigured(Exception):
    """A backend has no credentials; the message says how to configure it."""


@dataclass
class Services:
    """What handlers may use; built once per process by the front end."""

    settings: Settings
    bruin_client: BruinClient | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    bric_client: BricClient | None = None
    store: Store | None = None
    notifier: NotifierService | None = None

    async def customer_for(self, caller: Caller) -> int:
        """The Bruin customer of the caller's channel (``/ticket config``), else the default."""
        if self.store is not None and caller.channel_id:
            bound = await self.store.channel_customer(caller.channel_id)
            if bound:
                return bound
        return self.bruin.customer_id

    @property
    def state(self) -> Store:
        if self.store is None:
            raise NotConfigured("This command needs the bot's store, which is not open here.")
        return self.store

    @property
    def bruin(self) -> BruinClient:
        if self.bruin_client is None:
            raise NotConfigured(
                "Bruin is not configured: set BRUIN_OAUTH_CLIENT_ID, BRUIN_OAUTH_CLIENT_SECRET "
                "and BRUIN_CUSTOMER_ID (see the README)."
            )
        return self.bruin_client

    @property
    def bric(self) -> BricClient:
        if self.bric_client is None:
            raise NotConfigured(
                "Bric is not configured: set BRIC_EMAIL and BRIC_TOKEN_SECRET (or BRIC_PASSWORD "
                "and BRIC_COMPANY so the bot can create a token); see the README."
            )
        return self.bric_client

    @property
    def portal_url(self) -> str:
        return self.settings.bruin_portal_url


Handler = Callable[[Any, Caller, Services], Awaitable[Message]]


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
        self.examples: list[str] = []

    def add(
        self, name: str, request: type[Request], handler: Handler, *, write: bool = False
    ) -> None:
        doc = inspect.getdoc(handler) or ""
        first = " ".join(doc.split("\n\n", 1)[0].split())
        usage, _, summary = first.partition(": ")
        if not usage.startswith(self.command):
            raise ValueError(f"{handler.__name__}: docstring must start with '{self.command}'")
        self.subcommands[name] = Subcommand(name, request, handler, usage, summary, write)

    def usage_lines(self) -> list[str]:
        return [f"{s.usage} — {s.summary}" for s in self.subcommands.values()]

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


Authorizer = Callable[[Caller, Subcommand], Awaitable[str | None]]
"""Returns None when the caller may run the subcommand, else the refusal sentence."""


async def allow_everyone(caller: Caller, sub: Subcommand) -> str | None:
    return None


async def as_is(caller: Caller) -> Caller:
    return caller


class Dispatcher:
    """Routes ``(command, text)`` to a family's subcommand and turns failures into messages."""

    def __init__(
        self,
        families: Sequence[CommandFamily],
        *,
        authorize: Authorizer = allow_everyone,
        identify: Callable[[Caller], Awaitable[Caller]] = as_is,
    ) -> None:
        """``identify`` fills in the caller's display name, looked up only for writes."""
        self.families = {f.command: f for f in families}
        self._authorize = authorize
        self._identify = identify

    def help(self) -> Message:
        sections = [(f.title, f.usage_lines()) for f in self.families.values()]
        return help_message(
            sections,
            note="Filters are key=value; quote text with spaces: "
            '/note add 4503 "called the carrier". Dates are YYYY-MM-DD.',
        )

    async def _write(
        self,
        family: CommandFamily,
        sub: Subcommand,
        request: Request,
        caller: Caller,
        services: Services,
    ) -> Message:
        """A write: identify, authorize, run, and leave one audit event however it ends."""
        caller = await self._identify(caller)
        record: dict[str, Any] = {
            "user": caller.user_id,
            "channel": caller.channel_id,
            "surface": caller.surface,
            "backend": "bric" if family.command == "/bric" else "bruin",
            "operation": f"{family.command} {sub.name}",
            "object_id": next(
                (getattr(request, f) for f in ("ticket_id", "site_id") if hasattr(request, f)),
                None,
            ),
        }
        refusal = await self._authorize(caller, sub)
        if refusal is not None:
            audit(**record, outcome="refused")
            return error_message(refusal)
        try:
            message = await sub.handler(request, caller, services)
        except UsageError:
            audit(**record, outcome="invalid")
            raise
        except (TransportError, UpstreamUnavailable) as exc:
            # The answer was lost, not necessarily the write: never invite a blind retry.
            audit(**record, outcome="error", detail=type(exc).__name__)
            return error_message(
                f"{exc.user_message()} The change may have gone through: check before trying again."
            )
        except BackendError as exc:
            audit(**record, outcome="error", detail=type(exc).__name__)
            raise
        audit(**record, outcome="ok" if message.ok else "error")
        return message

    async def dispatch(
        self, command: str, text: str, caller: Caller, services: Services
    ) -> Message:
        """Run one command; never raises for anything a person or a backend can cause."""
        family = self.families.get(command)
        if family is None:
            known = ", ".join(self.families)
            return error_message(f"Unknown command {command[:40]!r}; try one of {known}.")
        try:
            tokens = tokenize(text)
            if tokens.words[:1] == ("help",) or (not tokens.items and family.default is None):
                return self.help()
            sub, rest = family.resolve(tokens)
            request = bind(sub.request, rest, usage=sub.usage)
            if not sub.write:
                return await sub.handler(request, caller, services)
            return await self._write(family, sub, request, caller, services)
        except UsageError as exc:
            return error_message(exc.message, usage=exc.usage)
        except NotConfigured as exc:
            return error_message(str(exc))
        except BackendError as exc:
            log.warning(
                "backend_error",
                error=repr(exc),
                command=command,
                backend=exc.backend,
                status=exc.status,
                trace_id=exc.trace_id,
            )
            return error_message(exc.user_message())
