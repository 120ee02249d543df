"""Answer Slack at the moment a listener acks, and let the rest run in the background.

bolt's default (``process_before_response=False``) polls every 10 ms for the ack, so no
ack leaves in under 10 ms (bench/). With ``process_before_response=True`` bolt answers
when the listener returns; :func:`detach` makes "returns" mean "has acked": the listener
runs as its own task (tracked by the in-flight set, so shutdown waits for it).

Two modes:

* **ack first** (commands, events, actions, shortcuts: their listeners ack with no
  payload, as their first step): the wrapper acks, starts the listener and returns at
  once. The ack leaves in the same event-loop turn the request was read in; waiting for
  the listener's own ``ack()`` cost three more turns, and under load each turn is several
  milliseconds (bench/: that wait was most of the ack p95). Such a listener's ``ack`` is
  then a no-op that refuses a payload, so a future listener that needs one fails its tests
  instead of losing it silently.
* **ack by the listener** (view submissions, options: the ack carries the answer): the
  wrapper returns when the listener has called ``ack(...)`` or ended.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

__all__ = ["ACK_FIRST", "Listeners", "detach"]

log = structlog.get_logger(__name__)

Listener = Callable[..., Awaitable[Any]]
Registrar = Callable[[Listener], Listener]
ACK_FIRST = frozenset({"command", "action", "shortcut", "event", "function"})
"""The kinds of listener :class:`Listeners` registers ack-first."""


async def _already_acked(*args: Any, **kwargs: Any) -> None:
    if args or kwargs:
        raise TypeError(
            "this listener is acked before it runs (bot.slack.detach.ACK_FIRST); "
            "it cannot ack with a payload"
        )


Tracker = Callable[[asyncio.Task[Any]], None]
Reporter = Callable[[str, str], Awaitable[Any]]
"""``(response_url, sentence)``: tells the person a listener failed after its ack."""


def detach(
    fn: Listener,
    *,
    ack_first: bool = False,
    track: Tracker | None = None,
    report: Reporter | None = None,
) -> Listener:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> None:
        real_ack = kwargs.get("ack")
        if ack_first:
            if real_ack is not None:
                await real_ack()
                kwargs["ack"] = _already_acked
            _start(fn, args, kwargs, track, report)
            return
        loop = asyncio.get_running_loop()
        acked: asyncio.Future[None] = loop.create_future()

        def settle(_: object = None) -> None:
            if not acked.done():
                acked.set_result(None)

        if real_ack is not None:

            async def ack(*a: Any, **kw: Any) -> Any:
                try:
                    return await real_ack(*a, **kw)
                finally:
                    settle()

            kwargs["ack"] = ack
        task = _start(fn, args, kwargs, track, report)
        task.add_done_callback(settle)
        await acked
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]  # before the ack: bolt's handler

    return wrapper


def _start(
    fn: Listener,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    track: Tracker | None,
    report: Reporter | None,
) -> asyncio.Task[Any]:
    task = asyncio.ensure_future(fn(*args, **kwargs))
    if track is not None:
        track(task)
    task.add_done_callback(functools.partial(_report, url=_response_url(kwargs), report=report))
    return task


def _response_url(kwargs: dict[str, Any]) -> str:
    for name in ("command", "body"):
        found = kwargs.get(name)
        if isinstance(found, dict) and isinstance(found.get("response_url"), str):
            return str(found["response_url"])
    return ""


def _report(task: asyncio.Task[Any], *, url: str, report: Reporter | None) -> None:
    """A failure after the ack: log it all, tell the person one sentence (no traceback)."""
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        return
    ref = uuid.uuid4().hex[:8]
    log.error("listener_failed_after_ack", ref=ref, error=repr(exc), exc_info=exc)
    if report is not None and url:
        sentence = f"Something went wrong on our side (reference {ref}); please try again."
        asyncio.ensure_future(report(url, sentence)).add_done_callback(_ignore)


def _ignore(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


class Listeners:
    """Registers listeners on a bolt ``AsyncApp``, each :func:`detach`-ed: one method per
    kind of listener the bot has (no proxy over the app). Commands, events, actions,
    shortcuts and workflow steps ack first; views and options ack by the listener.

    bolt's own lazy listeners (``ack=…, lazy=[…]``) were measured in its place (bench/,
    ``--variant bolt-lazy``): ~0.3-0.4 ms more CPU per command (bolt deep-copies each
    request and its context for the lazy run, so the bot, the client and the shared aiohttp
    session had to be made "copyable"), and their tasks are not tracked for the drain."""

    def __init__(
        self, app: AsyncApp, *, track: Tracker | None = None, report: Reporter | None = None
    ) -> None:
        self.app = app
        self._track = track
        self._report = report

    def command(self, command: str) -> Registrar:
        return self._registrar(self.app.command(command), ack_first=True)

    def event(self, event: str) -> Registrar:
        return self._registrar(self.app.event(event), ack_first=True)

    def action(self, action_id: str) -> Registrar:
        return self._registrar(self.app.action(action_id), ack_first=True)

    def shortcut(self, callback_id: str) -> Registrar:
        return self._registrar(self.app.shortcut(callback_id), ack_first=True)

    def function(self, callback_id: str) -> Registrar:
        return self._registrar(self.app.function(callback_id), ack_first=True)

    def view(self, callback_id: str) -> Registrar:
        return self._registrar(self.app.view(callback_id), ack_first=False)

    def options(self, action_id: str) -> Registrar:
        return self._registrar(self.app.options(action_id), ack_first=False)

    def _registrar(self, register: Callable[..., Any], *, ack_first: bool) -> Registrar:
        def add(fn: Listener) -> Listener:
            register(detach(fn, ack_first=ack_first, track=self._track, report=self._report))
            return fn

        return add
