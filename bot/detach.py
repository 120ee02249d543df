"""Answer Slack at the moment a listener acks, and let the rest run in the background.

bolt's default (``process_before_response=False``) polls every 10 ms for the ack, so no
ack leaves in under 10 ms (bench/). With ``process_before_response=True`` bolt answers
when the listener returns; :func:`detach` makes "returns" mean "has called ack()": the
listener runs as its own task (tracked by the in-flight set, so shutdown waits for it),
and the wrapper returns as soon as ``ack`` was called or the listener ended.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

__all__ = ["Detaching", "detach"]

log = structlog.get_logger(__name__)

Listener = Callable[..., Awaitable[Any]]
_REGISTRARS = frozenset({"command", "action", "view", "shortcut", "options", "event"})


def detach(fn: Listener) -> Listener:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> None:
        acked = asyncio.Event()
        real_ack = kwargs.get("ack")
        if real_ack is not None:

            async def ack(*a: Any, **kw: Any) -> Any:
                try:
                    return await real_ack(*a, **kw)
                finally:
                    acked.set()

            kwargs["ack"] = ack
        task = asyncio.ensure_future(fn(*args, **kwargs))
        task.add_done_callback(functools.partial(_report, respond=kwargs.get("respond")))
        waiter = asyncio.ensure_future(acked.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]  # before the ack: bolt's handler

    return wrapper


def _report(task: asyncio.Task[Any], *, respond: Any) -> None:
    """A failure after the ack: log it all, tell the person one sentence (no traceback)."""
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        return
    ref = uuid.uuid4().hex[:8]
    log.error("listener_failed_after_ack", ref=ref, error=repr(exc), exc_info=exc)
    if respond is not None and getattr(respond, "response_url", None):
        reply = respond(
            text=f"Something went wrong on our side (reference {ref}); please try again.",
            response_type="ephemeral",
            replace_original=False,
        )
        asyncio.ensure_future(reply).add_done_callback(_ignore)


def _ignore(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


class Detaching:
    """Wraps an AsyncApp so every listener registered through it is :func:`detach`-ed."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._app, name)
        if name not in _REGISTRARS:
            return method

        def register(*args: Any, **kwargs: Any) -> Callable[[Listener], Any]:
            decorator = method(*args, **kwargs)
            return lambda fn: decorator(detach(fn))

        return register
