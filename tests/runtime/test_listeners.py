"""bot.slack.detach.Listeners: every kind of listener the bot registers goes to bolt's own
registrar of that kind, detach-ed (ack first, or ack by the listener), tracked."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from slack_bolt.async_app import AsyncApp

from bot.slack.detach import Listeners


class FakeApp:
    """Records what each bolt registrar was called with and the listener it got."""

    def __init__(self) -> None:
        self.registered: list[tuple[str, Any, Any]] = []

    def __getattr__(self, kind: str) -> Any:
        def registrar(constraint: Any) -> Any:
            return lambda fn: self.registered.append((kind, constraint, fn))

        return registrar


class Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    async def ack(self, *args: Any, **kwargs: Any) -> None:
        self.events.append(("ack", args, kwargs))


@pytest.mark.parametrize(
    ("kind", "ack_first"),
    [
        ("command", True),
        ("event", True),
        ("action", True),
        ("shortcut", True),
        ("function", True),
        ("view", False),
        ("options", False),
    ],
)
async def test_each_kind_goes_to_its_registrar_and_acks_as_it_should(
    kind: str, ack_first: bool
) -> None:
    app = FakeApp()
    tracked: list[asyncio.Task[Any]] = []
    listeners = Listeners(cast(AsyncApp, app), track=tracked.append)
    rec = Recorder()
    started = asyncio.Event()

    async def listener(ack: Any) -> None:
        rec.events.append("listener started")
        started.set()
        if not ack_first:
            await ack(response_action="clear")

    returned = getattr(listeners, kind)("the-id")(listener)
    assert returned is listener  # usable as a plain decorator
    ((registered_kind, constraint, wrapped),) = app.registered
    assert (registered_kind, constraint) == (kind, "the-id")
    assert wrapped is not listener
    await wrapped(ack=rec.ack)
    await asyncio.wait_for(started.wait(), 10)  # a hang guard only
    await asyncio.gather(*tracked)
    assert len(tracked) == 1
    if ack_first:  # acked before the listener started, with no payload
        assert rec.events == [("ack", (), {}), "listener started"]
    else:  # the listener's own ack, with its payload
        assert rec.events == ["listener started", ("ack", (), {"response_action": "clear"})]


async def test_an_ack_first_listener_cannot_ack_with_a_payload() -> None:
    app = FakeApp()
    tracked: list[asyncio.Task[Any]] = []
    Listeners(cast(AsyncApp, app), track=tracked.append).command("/ticket")(_acks_with_text)
    ((_, _, wrapped),) = app.registered
    await wrapped(ack=Recorder().ack)
    (task,) = tracked
    with pytest.raises(TypeError, match="acked before it runs"):
        await task


async def _acks_with_text(ack: Any) -> None:
    await ack(text="too late for a payload")
