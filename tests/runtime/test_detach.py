"""Listeners answer Slack when acked; the rest runs after, tracked, failures reported."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.slack.detach import detach


class Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    async def ack(self, *args: Any, **kwargs: Any) -> None:
        self.events.append(("ack", args, kwargs))

    async def respond(self, **kwargs: Any) -> None:
        self.events.append(("respond", kwargs.get("text")))


async def test_ack_first_answers_before_the_listener_runs() -> None:
    rec = Recorder()

    async def listener(ack: Any) -> None:
        rec.events.append("listener started")
        await ack()  # a no-op now: already acked
        rec.events.append("listener done")

    await detach(listener, ack_first=True)(ack=rec.ack)
    assert rec.events == [("ack", (), {})]
    await asyncio.sleep(0.01)
    assert rec.events == [("ack", (), {}), "listener started", "listener done"]


async def test_ack_first_refuses_a_payload_and_tells_the_person() -> None:
    said: list[tuple[str, str]] = []

    async def report(url: str, sentence: str) -> None:
        said.append((url, sentence))

    async def listener(ack: Any, body: Any) -> None:
        await ack(options=[])

    body = {"response_url": "https://hooks.example/x"}
    await detach(listener, ack_first=True, report=report)(ack=Recorder().ack, body=body)
    await asyncio.sleep(0.01)
    assert len(said) == 1
    assert said[0][0] == "https://hooks.example/x"
    assert "Something went wrong on our side" in said[0][1]


async def test_ack_by_the_listener_passes_its_payload_and_waits_for_it() -> None:
    rec = Recorder()
    gate = asyncio.Event()

    async def listener(ack: Any) -> None:
        await gate.wait()
        await ack(response_action="errors", errors={"f": "bad"})
        rec.events.append("after ack")

    wrapped = asyncio.ensure_future(detach(listener)(ack=rec.ack))
    await asyncio.sleep(0.01)
    assert not wrapped.done()  # no ack yet: bolt has nothing to answer with
    gate.set()
    await asyncio.wait_for(wrapped, 1)
    assert rec.events[0] == ("ack", (), {"response_action": "errors", "errors": {"f": "bad"}})


async def test_a_failure_before_the_ack_goes_to_bolt() -> None:
    async def listener(ack: Any) -> None:
        raise RuntimeError("boom")

    rec = Recorder()
    with pytest.raises(RuntimeError, match="boom"):
        await detach(listener)(ack=rec.ack)
    assert rec.events == []
