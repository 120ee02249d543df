"""The one write gate every surface passes: slash, mention, DM, thread, button, modal,
shortcut, Home and the console.

``await gate.run(services, caller, Write(...), work)`` does, in this order:

1. authorize - CHATOPS_WRITERS (a front end supplies the check; the console allows all);
2. rate - the per-person write budget;
3. scope - a write on a ticket reads it as the channel's customer first: a ticket of another
   customer is "not found", exactly as ``/ticket show`` says;
4. claim - a write with an idempotency key (a button click, a form submission) claims it in
   the store, so a double click or a redelivery writes once;
5. identify - the caller's display name and profile (for the audit line and contact);
6. run - the handler's work, with the identified caller;
7. audit - one audit event however it ended; and where the change was made, so the
   notifier does not echo it back into that channel.

Stops are exceptions: :class:`Refused` (authorization or rate limit), :class:`Duplicate`
(the key was claimed before), ``NotFound`` (out of scope), and whatever the work raised
(``UsageError``, ``NotConfigured``, ``BackendError``). :func:`failure_sentence` words any of
them for the person.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

import structlog

from bot.clients.errors import ApiError, BackendError, BusyError, NotFound
from bot.core.audit import Outcome as AuditOutcome
from bot.core.audit import audit
from bot.core.caller import Caller
from bot.core.deps import NotConfigured, Services
from bot.core.grammar import UsageError

__all__ = [
    "CLAIM_KIND",
    "Duplicate",
    "RateLimiter",
    "Refused",
    "Write",
    "WriteGate",
    "failure_sentence",
    "no_effect",
]

log = structlog.get_logger(__name__)

T = TypeVar("T")
CLAIM_KIND = "ui_action"

Authorizer = Callable[[Caller], Awaitable[str | None]]
"""None when the caller may write, else the refusal sentence."""
Identifier = Callable[[Caller], Awaitable[Caller]]


STORE_WAIT = 2.0
"""Seconds a write waits for its idempotency claim before it is refused."""
STORE_DOWN = "The bot's database is not answering, so nothing was changed; try again in a minute."


class Refused(Exception):
    """The caller may not do this now: not a writer, over the rate limit, or the store that
    keeps writes exactly-once and audited is not answering."""

    def __init__(self, sentence: str, *, reason: Literal["writer", "rate", "store"]) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.reason = reason


class Duplicate(Exception):
    """The write's idempotency key was claimed before: a double click or a redelivery."""


@dataclass(frozen=True)
class Write:
    """What a write is, for the gate: its name in the audit trail, the ticket it touches
    (scope-checked), the backend, and an idempotency key where the surface has one."""

    operation: str
    ticket_id: int | None = None
    backend: Literal["bruin", "bric"] = "bruin"
    key: str | None = None
    scoped: bool = True


class RateLimiter:
    """Per-person token buckets: ``per_minute`` actions, refilled evenly; 0 means no limit.

    Held in memory per process: with N replicas a person gets at most N times the budget,
    which is still far from the runaway loops this guards against.
    """

    def __init__(
        self, per_minute: int, *, clock: Callable[[], float] = time.monotonic, size: int = 50_000
    ) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._size = size
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, user_id: str) -> float | None:
        """None when allowed (one token taken), else the seconds until one is free."""
        if self.per_minute <= 0:
            return None
        now = self._clock()
        rate = self.per_minute / 60.0
        tokens, at = self._buckets.get(user_id, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - at) * rate)
        if tokens < 1.0:
            self._buckets[user_id] = (tokens, now)
            return (1.0 - tokens) / rate
        if len(self._buckets) >= self._size and user_id not in self._buckets:
            self._buckets.clear()  # bounded memory; a reset only ever lets people through
        self._buckets[user_id] = (tokens - 1.0, now)
        return None


def _too_fast(wait: float) -> str:
    seconds = max(1, round(wait))
    return f"You are going faster than the bot allows; try again in {seconds} s."


async def allow_everyone(caller: Caller) -> str | None:
    return None


async def as_is(caller: Caller) -> Caller:
    return caller


class WriteGate:
    """See the module docstring. One per process and front end."""

    def __init__(
        self,
        *,
        authorize: Authorizer = allow_everyone,
        identify: Identifier = as_is,
        reads: RateLimiter | None = None,
        writes: RateLimiter | None = None,
        on_limited: Callable[[str], None] | None = None,
    ) -> None:
        self._authorize = authorize
        self._identify = identify
        self._reads = reads or RateLimiter(0)
        self._writes = writes or RateLimiter(0)
        self._on_limited = on_limited

    async def identify(self, caller: Caller) -> Caller:
        return caller if caller.identified else await self._identify(caller)

    def admit_read(self, caller: Caller) -> None:
        """The per-person read budget; raises :class:`Refused` when it is spent."""
        self._admit(self._reads, caller, "read")

    def _admit(self, limiter: RateLimiter, caller: Caller, kind: str) -> None:
        wait = limiter.take(caller.user_id)
        if wait is not None:
            if self._on_limited is not None:
                self._on_limited(kind)
            log.info("rate_limited", user=caller.user_id, kind=kind, retry_after=round(wait, 1))
            raise Refused(_too_fast(wait), reason="rate")

    async def can_write(self, caller: Caller) -> bool:
        """Whether ``caller`` may write (for help and the Home tab: what to offer)."""
        return await self._authorize(caller) is None

    async def may_write(self, caller: Caller) -> None:
        """Authorization alone (before a form opens): raises :class:`Refused`."""
        refusal = await self._authorize(caller)
        if refusal is not None:
            raise Refused(refusal, reason="writer")

    async def check(self, services: Services, caller: Caller, write: Write) -> None:
        """Everything but the claim and the work: authorize, rate, scope. For a form's
        check before Slack's ack; :meth:`run` repeats it."""
        await self.may_write(caller)
        self._admit(self._writes, caller, "write")
        if write.ticket_id is not None and write.scoped:
            await services.scoped_ticket(caller, write.ticket_id)

    async def run(
        self,
        services: Services,
        caller: Caller,
        write: Write,
        work: Callable[[Caller], Awaitable[T]],
    ) -> T:
        record = functools.partial(
            audit,
            user=caller.user_id,
            channel=caller.channel_id,
            surface=caller.surface,
            backend=write.backend,
            operation=write.operation,
            object_id=write.ticket_id,
        )
        try:
            await self.check(services, caller, write)
        except Refused as exc:
            record(outcome="refused", detail=exc.reason)
            raise
        except NotFound:
            record(outcome="refused", detail="not_found_or_out_of_scope")
            raise
        except (BackendError, NotConfigured) as exc:
            record(outcome="error", detail=type(exc).__name__)
            raise
        store = services.store
        try:
            claimed = (
                write.key is None
                or store is None
                or await asyncio.wait_for(store.claim(CLAIM_KIND, write.key), STORE_WAIT)
            )
        except Exception as exc:  # the store is down (a database restart): change nothing
            log.error("write_claim_failed", operation=write.operation, error=type(exc).__name__)
            record(outcome="refused", detail="store_unavailable")
            raise Refused(STORE_DOWN, reason="store") from exc
        if not claimed:
            log.info("duplicate_write_dropped", key=write.key, operation=write.operation)
            raise Duplicate(str(write.key))
        try:
            result = await work(await self.identify(caller))
        except (UsageError, NotConfigured, BackendError) as exc:
            if write.key is not None and store is not None and no_effect(exc):
                await store.release(CLAIM_KIND, write.key)
            outcome: AuditOutcome = "invalid" if isinstance(exc, UsageError) else "error"
            record(outcome=outcome, detail=type(exc).__name__)
            raise
        ok = getattr(result, "ok", True)
        record(outcome="ok" if ok else "error")
        if ok:
            await _remember_origin(services, caller, write)
        return result


_ECHO_KINDS: dict[str, tuple[str, ...]] = {
    "/note add": ("note",),
    "/ticket resolve": ("status", "note"),  # the reason is a signed note
    "/ticket reopen": ("status",),
    "/ticket close": ("status", "note"),  # the closing note
}
"""Writes whose notification would echo back into the channel they were made in."""


async def _remember_origin(services: Services, caller: Caller, write: Write) -> None:
    """Note where a change was made, so the notifier does not post it back there."""
    kinds = _ECHO_KINDS.get(write.operation, ())
    store = services.store
    if not kinds or store is None or write.ticket_id is None or not caller.channel_id:
        return
    try:
        for kind in kinds:
            await store.record_origin(write.ticket_id, caller.channel_id, kind)
    except Exception as exc:  # the write is done (store down?); at worst its notification echoes
        log.warning("origin_not_recorded", ticket=write.ticket_id, error=repr(exc))


def no_effect(exc: BaseException) -> bool:
    """True when the failed write certainly changed nothing (never sent, or refused with a
    4xx): its idempotency claim is released so the person may try again. A timeout, a reset
    connection or a 5xx may have gone through, so those keep the claim."""
    if isinstance(exc, (UsageError, NotConfigured, BusyError, Refused)):
        return True
    return isinstance(exc, ApiError) and exc.status is not None and 400 <= exc.status < 500


def failure_sentence(exc: BaseException) -> str:
    """One sentence for a stopped or failed write; when it may have gone through, say so."""
    if isinstance(exc, Refused):
        return exc.sentence
    if isinstance(exc, UsageError):
        return exc.message
    if isinstance(exc, NotConfigured):
        return str(exc)
    if isinstance(exc, BackendError):
        if no_effect(exc) or isinstance(exc, NotFound):
            return exc.user_message()
        return f"{exc.user_message()} The change may have gone through: check before trying again."
    return "Something went wrong on our side; please try again."
