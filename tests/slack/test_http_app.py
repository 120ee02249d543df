"""The Slack app over HTTP, as Slack drives it: signed requests, acks, replies, events."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.sandbox import Fault
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_signing import (
    app_mention_event,
    block_actions_payload,
    message_im_event,
    url_verification_body,
)
from tests.slack.conftest import SECRET, Harness, dumps, sealed, wait_for


async def test_slash_command_is_acked_then_answered_ephemerally(harness: Harness) -> None:
    resp, key = await harness.command("/ticket", "show 4503")
    assert resp.status == 200
    reply = await harness.reply(key)
    assert reply["response_type"] == "ephemeral"
    assert "Ticket 4503 · In progress" in dumps(reply)
    assert "&lt;!channel&gt;" in dumps(reply)
    assert "<!channel>" not in dumps(reply)


async def test_note_is_posted_in_channel_and_signed_with_the_slack_name(
    harness: Harness,
) -> None:
    _, key = await harness.command("/note", 'add 4503 "carrier on site"')
    posts = await wait_for(lambda: harness.slack.calls_to("chat.postMessage"))
    assert posts[0].params["channel"] == "C0OPS"
    assert "carrier on site" in dumps(posts[0].params)
    stored = harness.sandbox.bruin.payloads("note.add")[-1]["note"]
    assert stored == "carrier on site\n— via Slack by dana (U0CALLER)"
    assert harness.replies(key) == []


async def test_write_falls_back_to_response_url_where_the_bot_is_not_a_member(
    harness: Harness,
) -> None:
    _, key = await harness.command("/note", "add 4503 from general", channel_id="C0GENERAL")
    reply = await harness.reply(key)
    assert reply["response_type"] == "in_channel"
    assert "from general" in dumps(reply)
    failed = harness.slack.calls_to("chat.postMessage")
    assert failed
    assert failed[0].error == "not_in_channel"


async def test_slow_backend_shows_working_then_replaces_it(harness: Harness) -> None:
    harness.sandbox.bruin.faults.set("ticket.details", Fault(latency=2.6, times=1))
    resp, key = await harness.command("/ticket", "show 4503")
    assert resp.status == 200
    # The HTTP answer (the ack) came back before the backend did.
    assert not harness.replies(key)
    working = await harness.reply(key, count=1)
    assert working["text"] == "Working on it…"
    final = await harness.reply(key, count=2)
    assert final["replace_original"] is True
    assert "Ticket 4503" in dumps(final)


async def test_usage_error_is_ephemeral_with_did_you_mean(harness: Harness) -> None:
    _, key = await harness.command("/ticket", "shwo 4503")
    reply = await harness.reply(key)
    assert reply["response_type"] == "ephemeral"
    assert "Did you mean `/ticket show`?" in reply["text"]
    assert not harness.sandbox.bruin.called("ticket.details")


async def test_backend_error_is_one_sentence_with_trace_id(harness: Harness) -> None:
    harness.sandbox.bruin.faults.set("ticket.details", Fault(status=404))
    _, key = await harness.command("/ticket", "show 4503")
    reply = await harness.reply(key)
    assert reply["text"].startswith("Ticket 4503 was not found (Bruin traceId ")
    assert reply["text"].endswith(").")
    assert "Bruin traceId" in reply["text"]
    assert "Traceback" not in dumps(reply)


@pytest.mark.parametrize(
    ("secret", "age"),
    [("forged-secret-xxxxxxxxxxxxxxxx", 0), (SECRET, 6 * 60)],
    ids=["forged signature", "six-minute-old timestamp"],
)
async def test_bad_signatures_are_refused_before_any_backend_call(
    harness: Harness, secret: str, age: int
) -> None:
    calls_before = len(harness.sandbox.bruin.calls)
    resp, key = await harness.command(
        "/note", "add 4503 forged", secret=secret, timestamp=int(time.time()) - age
    )
    assert resp.status == 401
    assert len(harness.sandbox.bruin.calls) == calls_before
    assert not harness.sandbox.bruin.called("note.add")
    assert harness.replies(key) == []


async def test_ssl_check_and_url_verification(harness: Harness) -> None:
    resp = await harness.post_signed(b"ssl_check=1&token=legacy")
    assert resp.status == 200
    body = url_verification_body("challenge-123")
    async with harness.http.post(
        harness.base + "/slack/events",
        data=body,
        headers={"Content-Type": "application/json", **_sign(body)},
    ) as resp:
        assert resp.status == 200
        assert "challenge-123" in await resp.text()


def _sign(body: bytes) -> dict[str, str]:
    from tests.fakes.slack_signing import sign

    return sign(body, secret=SECRET)


async def test_mention_answers_in_thread_and_retries_are_not_handled_twice(
    harness: Harness,
) -> None:
    event = app_mention_event(text="<@U0BOT> ticket show 4503", ts="1700000000.000100")
    resp = await harness.event(event, event_id="Ev0MENTION1")
    assert resp.status == 200
    posts = await wait_for(lambda: harness.slack.calls_to("chat.postMessage"))
    assert posts[0].params["thread_ts"] == "1700000000.000100"
    assert "Ticket 4503" in dumps(posts[0].params)
    retry = await harness.event(event, event_id="Ev0MENTION1", retry_num=1)
    assert retry.status == 200
    await _settle()
    assert len(harness.slack.calls_to("chat.postMessage")) == 1


async def test_dm_command_is_answered_in_the_dm(harness: Harness) -> None:
    harness.slack.add_dm("U0CALLER")
    event = message_im_event(text="ticket show 4503", channel_id="D0CALLER")
    assert (await harness.event(event, event_id="Ev0DM1")).status == 200
    posts = await wait_for(lambda: harness.slack.calls_to("chat.postMessage"))
    assert posts[0].params["channel"] == "D0CALLER"
    assert "Ticket 4503" in dumps(posts[0].params)


async def test_bad_mention_gets_an_ephemeral_hint(harness: Harness) -> None:
    event = app_mention_event(text="<@U0BOT> tickt show 4503")
    await harness.event(event, event_id="Ev0MENTION2")
    ephemeral = await wait_for(lambda: harness.slack.calls_to("chat.postEphemeral"))
    assert "tickt" in dumps(ephemeral[0].params)
    assert not harness.slack.calls_to("chat.postMessage")


async def test_show_button_on_a_list_opens_the_card(harness: Harness) -> None:
    url = harness.slack.response_url("btn1", user_id="U0CALLER")
    payload: dict[str, Any] = block_actions_payload(
        action_id="ticket_show",
        block_id="b1",
        response_url=url,
        message_ts="1700000000.000200",
        value=sealed("ticket_show", "4503"),
    )
    assert (await harness.action(payload)).status == 200
    reply = await harness.reply("btn1")
    assert "Ticket 4503" in dumps(reply)


async def test_chat_post_message_429_is_waited_out(harness: Harness) -> None:
    harness.slack.rate_limit_next("chat.postMessage", retry_after=1)
    await harness.command("/note", "add 4503 after a 429")
    posts = await wait_for(
        lambda: [c for c in harness.slack.calls_to("chat.postMessage") if c.status == 200]
    )
    assert "after a 429" in dumps(posts[0].params)
    assert len(harness.sandbox.bruin.payloads("note.add")) == 1


async def test_health_readiness_and_metrics(harness: Harness) -> None:
    async with harness.http.get(harness.base + "/healthz") as resp:
        assert resp.status == 200
    async with harness.http.get(harness.base + "/readyz") as resp:
        assert resp.status == 200
    _, key = await harness.command("/ticket", "show 4503")
    await harness.reply(key)
    async with harness.http.get(harness.base + "/metrics") as resp:
        text = await resp.text()
    assert 'chatops_commands_total{command="/ticket",outcome="ok"} 1.0' in text
    assert "chatops_ack_seconds_bucket" in text
    assert 'operation="reading a ticket",status="200"' in text
    assert 'chatops_token_refreshes_total{backend="bruin"} 1.0' in text


async def test_oversized_bodies_are_refused(harness: Harness) -> None:
    resp = await harness.post_signed(b"text=" + b"x" * (600 * 1024))
    assert resp.status == 413


@pytest.mark.parametrize("overrides", [{"chatops_channels": ["C0OTHER"]}])
async def test_bot_stays_quiet_outside_its_channels(harness: Harness) -> None:
    answer, key = await harness.command("/ticket", "show 4503")
    assert answer.status == 200
    assert "not enabled in this channel" in answer.text
    await _settle()
    assert not harness.sandbox.bruin.called("ticket.details")
    assert harness.replies(key) == []


@pytest.mark.parametrize("overrides", [{"chatops_writers": ["U0SOMEONE"]}])
async def test_writers_gate_refuses_before_the_backend(harness: Harness) -> None:
    _, key = await harness.command("/note", "add 4503 not allowed")
    reply = await harness.reply(key)
    assert "not allowed to make changes" in reply["text"]
    assert "CHATOPS_WRITERS" in reply["text"]
    assert not harness.sandbox.bruin.called("note.add")


async def test_not_ready_until_slack_auth_passes(slack: FakeSlack, sandbox: Any) -> None:
    from bot.runner import running_bot
    from tests.slack.conftest import bot_settings

    slack.fail_next("auth.test", "invalid_auth", times=5)
    async with running_bot(bot_settings(sandbox.url, slack), host="127.0.0.1", port=0) as bot:
        assert not bot.server.ready
        assert "slack" in bot.server.problems


async def _settle() -> None:
    import asyncio

    await asyncio.sleep(0.3)


async def test_log_lines_carry_the_request_context(harness: Harness) -> None:
    import io
    import json
    import logging

    import structlog

    from bot.logging import configure_logging

    buf = io.StringIO()
    configure_logging("INFO", "json", stream=buf)
    try:
        harness.sandbox.bruin.faults.set("ticket.details", Fault(status=404))
        _, key = await harness.command("/ticket", "show 4503")
        await harness.reply(key)
    finally:
        logging.getLogger().handlers = []
        structlog.reset_defaults()
    lines = [json.loads(line) for line in buf.getvalue().splitlines() if line.startswith("{")]
    event = next(line for line in lines if line["event"] == "backend_error")
    assert event["user"] == "U0CALLER"
    assert event["channel"] == "C0OPS"
    assert event["command"] == "/ticket"
    assert event["trace_id"]


async def test_an_expired_response_url_falls_back_to_an_ephemeral_message(
    harness: Harness,
) -> None:
    harness.sandbox.bruin.faults.set("ticket.details", Fault(latency=0.3, times=1))
    _, key = await harness.command("/ticket", "show 4503")
    harness.slack.expire_response_url(key)
    ephemeral = await wait_for(lambda: harness.slack.calls_to("chat.postEphemeral"))
    assert ephemeral[0].params["user"] == "U0CALLER"
    assert ephemeral[0].params["channel"] == "C0OPS"
    assert "Ticket 4503" in dumps(ephemeral[0].params)


async def test_an_unexpected_failure_after_the_ack_is_one_sentence_not_a_traceback(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("internal detail that must not reach the user")

    monkeypatch.setattr(harness.bot.server.bot, "run", boom)
    answer, key = await harness.command("/ticket", "show 4503")
    assert answer.status == 200  # acked before the failure
    reply = await harness.reply(key)
    assert reply["text"].startswith("Something went wrong on our side (reference ")
    assert "internal detail" not in dumps(reply)
