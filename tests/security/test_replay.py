"""Issue 19 item 3: a signed Slack request replayed within the 5-minute window is answered
200 and nothing is done — on the replica that served it and on any other sharing the store.
Redeliveries Slack itself makes (new timestamp and signature) are unaffected."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.runner import RunningBot, running_bot
from bot.sandbox import RunningSandbox
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_signing import (
    app_mention_event,
    event_body,
    signed_headers,
    slash_command_body,
)
from tests.slack.conftest import FORM, SECRET, Answer, Harness, bot_settings, wait_for


async def send(
    http: aiohttp.ClientSession, base: str, body: bytes, headers: dict[str, str]
) -> Answer:
    async with http.post(base + "/slack/events", data=body, headers=headers) as resp:
        return Answer(resp.status, await resp.text())


async def settled(h: Harness) -> None:
    await wait_for(lambda: len(h.bot.server.bot.inflight) == 0)


def note_body(h: Harness, text: str) -> bytes:
    url = h.slack.response_url(user_id="U0CALLER")
    return slash_command_body(command="/note", text=text, response_url=url)


async def test_a_replayed_slash_command_writes_one_note(harness: Harness) -> None:
    body = note_body(harness, "add 4503 replayed three times")
    headers = signed_headers(body, secret=SECRET, content_type=FORM)
    answers = [await send(harness.http, harness.base, body, headers) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    assert answers[1].text == answers[2].text == ""
    await wait_for(lambda: harness.sandbox.bruin.payloads("note.add"))
    await settled(harness)
    assert len(harness.sandbox.bruin.payloads("note.add")) == 1


async def test_the_same_command_signed_afresh_is_a_new_request(harness: Harness) -> None:
    body = note_body(harness, "add 4503 typed twice on purpose")
    now = signed_headers(body, secret=SECRET, content_type=FORM)
    later = signed_headers(
        body, secret=SECRET, content_type=FORM, timestamp=int(now["X-Slack-Request-Timestamp"]) + 1
    )
    assert (await send(harness.http, harness.base, body, now)).status == 200
    assert (await send(harness.http, harness.base, body, later)).status == 200
    await wait_for(lambda: len(harness.sandbox.bruin.payloads("note.add")) == 2)


async def test_a_replayed_signed_event_is_answered_once(harness: Harness) -> None:
    """Events are deduplicated by their event_id (one claim), replays included."""
    body = event_body(app_mention_event(text="<@U0BOT> note add 4503 once"), event_id="Ev0REPLAY")
    headers = signed_headers(body, secret=SECRET, content_type="application/json")
    for _ in range(3):
        assert (await send(harness.http, harness.base, body, headers)).status == 200
    await wait_for(lambda: harness.sandbox.bruin.payloads("note.add"))
    await wait_for(lambda: len(harness.bot.server.bot.inflight) == 0)
    assert len(harness.sandbox.bruin.payloads("note.add")) == 1


async def test_a_request_that_failed_may_be_sent_again(harness: Harness) -> None:
    """A 5xx did nothing, so the claim is released: the identical request is served later."""
    body = event_body(app_mention_event(text="<@U0BOT> ticket show 4503"), event_id="Ev0AFTERDRAIN")
    headers = signed_headers(body, secret=SECRET, content_type="application/json")
    inflight = harness.bot.server.bot.inflight
    inflight.draining = True
    try:
        assert (await send(harness.http, harness.base, body, headers)).status == 503
    finally:
        inflight.draining = False
    assert (await send(harness.http, harness.base, body, headers)).status == 200
    await wait_for(lambda: harness.slack.calls_to("chat.postMessage"))


@pytest.fixture
async def two_replicas(
    slack: FakeSlack, sandbox: RunningSandbox
) -> AsyncIterator[tuple[RunningBot, RunningBot]]:
    settings = bot_settings(sandbox.url, slack)  # same CHATOPS_DATA_DIR: one shared store
    async with (
        running_bot(settings, host="127.0.0.1", port=0) as first,
        running_bot(settings, host="127.0.0.1", port=0) as second,
    ):
        yield first, second


async def test_a_replay_to_another_replica_is_dropped(
    two_replicas: tuple[RunningBot, RunningBot], slack: FakeSlack, sandbox: RunningSandbox
) -> None:
    url = slack.response_url(user_id="U0CALLER")
    body = slash_command_body(command="/note", text="add 4503 across replicas", response_url=url)
    headers = signed_headers(body, secret=SECRET, content_type=FORM)
    async with aiohttp.ClientSession() as http:
        for bot in two_replicas:
            answer = await send(http, f"http://127.0.0.1:{bot.port}", body, headers)
            assert answer.status == 200
    await wait_for(lambda: sandbox.bruin.payloads("note.add"))
    await wait_for(lambda: all(len(bot.server.bot.inflight) == 0 for bot in two_replicas))
    assert len(sandbox.bruin.payloads("note.add")) == 1
