"""FakeSlack driven by the real slack_sdk clients (Web API, webhook, Socket Mode)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes import slack_signing as ss
from tests.fakes.slack import FakeSlack, socket_envelope

TS_RE = re.compile(r"^\d{10}\.\d{6}$")

BUTTON_BLOCKS: list[dict[str, Any]] = [
    {
        "type": "section",
        "block_id": "ticket",
        "text": {"type": "mrkdwn", "text": "*Ticket 123* is open"},
        "accessory": {
            "type": "button",
            "action_id": "ack",
            "text": {"type": "plain_text", "text": "Ack"},
            "value": "123",
        },
    }
]

INPUT_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "new_ticket",
    "title": {"type": "plain_text", "text": "New ticket"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}


class ManualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeSlack]:
    async with FakeSlack(clock=clock) as running:
        yield running


@pytest.fixture
def web(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)


async def _error_of(coro: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await coro
    return info.value


# --------------------------------------------------------------------------------------------
# auth
# --------------------------------------------------------------------------------------------
async def test_auth_test_ok_with_scopes_header(fake: FakeSlack, web: AsyncWebClient) -> None:
    resp = await web.auth_test()
    assert resp["ok"] is True
    assert resp["user_id"] == "U0BOT"
    assert resp["team_id"] == "T0001"
    assert resp["bot_id"] == "B0BOT"
    assert "chat:write" in resp.headers["x-oauth-scopes"].split(",")
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    assert fake.calls_to("auth.test")[0].token == fake.bot_token


async def test_token_errors_and_unknown_method(fake: FakeSlack) -> None:
    bad = AsyncWebClient(token="xoxb-wrong", base_url=fake.api_url)
    err = await _error_of(bad.auth_test())
    assert err.response.status_code == 200
    assert err.response["error"] == "invalid_auth"

    anonymous = AsyncWebClient(base_url=fake.api_url)
    assert (await _error_of(anonymous.auth_test())).response["error"] == "not_authed"

    app_level = AsyncWebClient(token=fake.app_token, base_url=fake.api_url)
    err = await _error_of(app_level.chat_postMessage(channel="C0OPS", text="hi"))
    assert err.response["error"] == "not_allowed_token_type"

    web = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    assert (await _error_of(web.api_call("nope.nothing"))).response["error"] == "unknown_method"
    assert [c.error for c in fake.calls] == [
        "invalid_auth",
        "not_authed",
        "not_allowed_token_type",
        "unknown_method",
    ]


# --------------------------------------------------------------------------------------------
# messages
# --------------------------------------------------------------------------------------------
async def test_post_message_recorded_with_blocks_decoded(
    fake: FakeSlack, web: AsyncWebClient
) -> None:
    first = await web.chat_postMessage(channel="C0OPS", text="Ticket 123", blocks=BUTTON_BLOCKS)
    assert TS_RE.match(first["ts"])
    assert first["channel"] == "C0OPS"
    assert first["message"]["blocks"] == BUTTON_BLOCKS
    assert first["message"]["bot_id"] == "B0BOT"

    # Form-encoded body: blocks arrive as a JSON string and are decoded in the record.
    second = await web.api_call(
        "chat.postMessage",
        data={"channel": "C0OPS", "text": "again", "blocks": json.dumps(BUTTON_BLOCKS)},
    )
    assert float(second["ts"]) > float(first["ts"])

    calls = fake.calls_to("chat.postMessage")
    assert [c.params["blocks"] for c in calls] == [BUTTON_BLOCKS, BUTTON_BLOCKS]
    assert all(c.token == fake.bot_token for c in calls)
    assert [m.text for m in fake.messages_in("C0OPS")] == ["Ticket 123", "again"]


async def test_channel_membership_rules(fake: FakeSlack, web: AsyncWebClient) -> None:
    err = await _error_of(web.chat_postMessage(channel="C0GENERAL", text="hi"))
    assert err.response["error"] == "not_in_channel"
    err = await _error_of(web.chat_postMessage(channel="C0NOPE", text="hi"))
    assert err.response["error"] == "channel_not_found"
    fake.add_channel("C0SECRET", member=False, is_private=True)
    err = await _error_of(web.chat_postMessage(channel="C0SECRET", text="hi"))
    assert err.response["error"] == "channel_not_found"

    # A DM is unknown until opened.
    err = await _error_of(web.chat_postMessage(channel="D0CALLER", text="hi"))
    assert err.response["error"] == "channel_not_found"
    opened = await web.conversations_open(users="U0CALLER")
    assert opened["channel"]["id"] == "D0CALLER"
    assert (await web.chat_postMessage(channel="D0CALLER", text="hi"))["ok"]
    # Posting to a user id lands in the app DM.
    assert (await web.chat_postMessage(channel="U0CALLER", text="yo"))["channel"] == "D0CALLER"

    fake.add_channel("C0GENERAL", member=True)
    assert (await web.chat_postMessage(channel="C0GENERAL", text="hi"))["ok"]
    info = await web.conversations_info(channel="C0GENERAL")
    assert info["channel"]["is_member"] is True


async def test_block_and_text_limits(fake: FakeSlack, web: AsyncWebClient) -> None:
    too_many = [{"type": "divider"} for _ in range(51)]
    err = await _error_of(web.chat_postMessage(channel="C0OPS", text="x", blocks=too_many))
    assert err.response["error"] == "invalid_blocks"

    long_section = [{"type": "section", "text": {"type": "mrkdwn", "text": "a" * 3001}}]
    err = await _error_of(web.chat_postMessage(channel="C0OPS", text="x", blocks=long_section))
    assert err.response["error"] == "invalid_blocks"

    with pytest.warns(UserWarning, match="text"):  # slack_sdk's own missing-text warning
        err = await _error_of(web.chat_postMessage(channel="C0OPS"))
    assert err.response["error"] == "no_text"

    resp = await web.chat_postMessage(channel="C0OPS", text="z" * 40_500)
    assert len(resp["message"]["text"]) == 40_000


async def test_fail_next(fake: FakeSlack, web: AsyncWebClient) -> None:
    fake.fail_next("chat.postMessage", "channel_not_found", times=2)
    for _ in range(2):
        err = await _error_of(web.chat_postMessage(channel="C0OPS", text="hi"))
        assert err.response["error"] == "channel_not_found"
    assert (await web.chat_postMessage(channel="C0OPS", text="hi"))["ok"]


async def test_rate_limit_next_honoured_by_retry_handler(fake: FakeSlack) -> None:
    plain = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    fake.rate_limit_next("chat.postMessage", retry_after=1)
    err = await _error_of(plain.chat_postMessage(channel="C0OPS", text="hi"))
    assert err.response.status_code == 429
    assert err.response.headers["Retry-After"] == "1"
    assert err.response["error"] == "ratelimited"

    retrying = AsyncWebClient(
        token=fake.bot_token,
        base_url=fake.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    fake.calls.clear()
    fake.rate_limit_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    resp = await retrying.chat_postMessage(channel="C0OPS", text="hi")
    assert resp["ok"]
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]


async def test_post_rate_per_channel_bucket(clock: ManualClock) -> None:
    async with FakeSlack(clock=clock, post_rate_per_channel=1.0) as fake:
        fake.add_channel("C0NOTIFY", member=True)
        web = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        for _ in range(3):  # burst
            await web.chat_postMessage(channel="C0OPS", text="hi")
        err = await _error_of(web.chat_postMessage(channel="C0OPS", text="hi"))
        assert err.response.status_code == 429
        assert int(err.response.headers["Retry-After"]) >= 1
        assert (await web.chat_postMessage(channel="C0NOTIFY", text="hi"))["ok"]
        clock.advance(1.0)
        assert (await web.chat_postMessage(channel="C0OPS", text="hi"))["ok"]


async def test_chat_update_permalink_and_lookups(fake: FakeSlack, web: AsyncWebClient) -> None:
    err = await _error_of(web.chat_update(channel="C0OPS", ts="1700000000.000100", text="x"))
    assert err.response["error"] == "message_not_found"

    posted = await web.chat_postMessage(channel="C0OPS", text="old")
    updated = await web.chat_update(channel="C0OPS", ts=posted["ts"], text="new")
    assert updated["ts"] == posted["ts"]
    assert updated["text"] == "new"
    assert "edited" in updated["message"]
    assert fake.messages[("C0OPS", posted["ts"])].text == "new"

    link = await web.chat_getPermalink(channel="C0OPS", message_ts=posted["ts"])
    assert link["permalink"].endswith("/archives/C0OPS/p" + posted["ts"].replace(".", ""))

    user = await web.users_info(user="U0CALLER")
    assert user["user"]["real_name"] == "Dana Ops"
    assert user["user"]["profile"]["email"] == "dana@example.com"
    assert (await _error_of(web.users_info(user="U0NOBODY"))).response["error"] == (
        "user_not_found"
    )
    assert (await web.usergroups_users_list(usergroup="S0ONCALL"))["users"] == ["U0CALLER"]

    eph = await web.chat_postEphemeral(channel="C0OPS", user="U0CALLER", text="psst")
    assert TS_RE.match(eph["message_ts"])
    assert fake.ephemerals[0].ephemeral_to == "U0CALLER"


# --------------------------------------------------------------------------------------------
# response_url
# --------------------------------------------------------------------------------------------
async def test_response_url_five_uses_then_refused(fake: FakeSlack) -> None:
    url = fake.response_url("cmd1", channel="C0OPS")
    hook = AsyncWebhookClient(url)
    for i in range(5):
        resp = await hook.send(
            text=f"reply {i}", response_type="in_channel", replace_original=False
        )
        assert resp.status_code == 200
    refused = await hook.send(text="sixth", response_type="in_channel", replace_original=False)
    assert refused.status_code == 404
    assert refused.body == "used_url"
    assert [r.key for r in fake.responses] == ["cmd1"] * 6
    assert fake.responses[0].body["replace_original"] is False
    assert len(fake.messages_in("C0OPS")) == 5


async def test_response_url_expiry(fake: FakeSlack, clock: ManualClock) -> None:
    aged = AsyncWebhookClient(fake.response_url("aged"))
    clock.advance(30 * 60 + 1)
    resp = await aged.send(text="late", replace_original=False)
    assert (resp.status_code, resp.body) == (404, "expired_url")

    fake.response_url("killed")
    fake.expire_response_url("killed")
    resp = await AsyncWebhookClient(fake.response_url("killed")).send(text="x")
    assert (resp.status_code, resp.body) == (404, "expired_url")


async def test_response_url_replace_and_delete_original(
    fake: FakeSlack, web: AsyncWebClient
) -> None:
    posted = await web.chat_postMessage(channel="C0OPS", text="card", blocks=BUTTON_BLOCKS)
    hook = AsyncWebhookClient(fake.response_url(channel="C0OPS", message_ts=posted["ts"]))
    resp = await hook.send(text="acked", replace_original=True)
    assert resp.status_code == 200
    stored = fake.messages[("C0OPS", posted["ts"])]
    assert (stored.text, stored.blocks) == ("acked", None)
    await hook.send(delete_original=True)
    assert stored.deleted


# --------------------------------------------------------------------------------------------
# trigger_id and views
# --------------------------------------------------------------------------------------------
async def test_trigger_id_single_use_and_expiry(
    fake: FakeSlack, web: AsyncWebClient, clock: ManualClock
) -> None:
    modal = {**INPUT_MODAL, "submit": {"type": "plain_text", "text": "Create"}}
    trigger = fake.issue_trigger_id()
    opened = await web.views_open(trigger_id=trigger, view=modal)
    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["hash"]
    assert opened["view"]["state"] == {"values": {}}

    err = await _error_of(web.views_open(trigger_id=trigger, view=modal))
    assert err.response["error"] == "exchanged_trigger_id"

    late = fake.issue_trigger_id()
    clock.advance(3.01)
    err = await _error_of(web.views_open(trigger_id=late, view=modal))
    assert err.response["error"] == "expired_trigger_id"

    err = await _error_of(web.views_open(trigger_id="123.456.bogus", view=modal))
    assert err.response["error"] == "invalid_trigger_id"


async def test_views_require_submit_and_track_hash(fake: FakeSlack, web: AsyncWebClient) -> None:
    err = await _error_of(web.views_open(trigger_id=fake.issue_trigger_id(), view=INPUT_MODAL))
    assert err.response["error"] == "invalid_arguments"
    assert any("submit" in m for m in err.response["response_metadata"]["messages"])

    modal = {**INPUT_MODAL, "submit": {"type": "plain_text", "text": "Create"}}
    opened = (await web.views_open(trigger_id=fake.issue_trigger_id(), view=modal))["view"]
    updated = (await web.views_update(view_id=opened["id"], view=modal, hash=opened["hash"]))[
        "view"
    ]
    assert updated["id"] == opened["id"]
    assert updated["hash"] != opened["hash"]
    err = await _error_of(web.views_update(view_id=opened["id"], view=modal, hash=opened["hash"]))
    assert err.response["error"] == "hash_conflict"

    for _ in range(2):  # the stack holds 3 views
        pushed = await web.views_push(
            trigger_id=fake.issue_trigger_id(view_id=opened["id"]), view=modal
        )
        assert pushed["view"]["root_view_id"] == opened["id"]
    err = await _error_of(
        web.views_push(trigger_id=fake.issue_trigger_id(view_id=opened["id"]), view=modal)
    )
    assert err.response["error"] == "push_limit_reached"

    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
    }
    published = await web.views_publish(user_id="U0CALLER", view=home)
    assert published["view"]["type"] == "home"
    assert fake.home_views["U0CALLER"] == published["view"]["id"]


# --------------------------------------------------------------------------------------------
# signing and payload builders
# --------------------------------------------------------------------------------------------
async def test_signing_helper_verified_by_slack_sdk() -> None:
    secret = "test-signing-secret"
    body = ss.slash_command_body(
        command="/ticket", text="show 123", response_url="http://127.0.0.1:1/response/x"
    )
    now = int(time.time())
    headers = ss.sign(body, secret=secret, timestamp=now)
    verifier = SignatureVerifier(secret)
    assert verifier.is_valid_request(body, headers)
    assert headers["X-Slack-Signature"] == verifier.generate_signature(
        timestamp=str(now), body=body
    )
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)
    stale = ss.sign(body, secret=secret, timestamp=now - 301)
    assert not verifier.is_valid_request(body, stale)
    assert not verifier.is_valid_request(body + b"&x=1", headers)


def test_slash_command_body_is_fixture_shaped() -> None:
    body = ss.slash_command_body(
        command="/ticket", text="show 123", response_url="https://hooks.example/commands/1"
    )
    raw = body.decode()
    assert "command=%2Fticket" in raw
    assert "text=show+123" in raw
    pairs = parse_qsl(raw, keep_blank_values=True)
    assert [k for k, _ in pairs] == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    fields = dict(pairs)
    assert fields["is_enterprise_install"] == "false"
    assert fields["user_id"] == "U0CALLER"


def test_interactive_and_event_builders_are_fixture_shaped() -> None:
    payload = ss.block_actions_payload(
        action_id="ack",
        block_id="ticket",
        value="123",
        response_url="https://hooks.example/actions/1",
        message_ts="1700000000.000100",
        message_blocks=BUTTON_BLOCKS,
    )
    decoded = json.loads(dict(parse_qsl(ss.interactive_body(payload).decode()))["payload"])
    assert decoded == payload
    assert set(payload) == {
        "type", "user", "api_app_id", "token", "container", "trigger_id", "team",
        "enterprise", "is_enterprise_install", "channel", "message", "state",
        "response_url", "actions",
    }  # fmt: skip
    assert payload["container"] == {
        "type": "message",
        "message_ts": "1700000000.000100",
        "channel_id": "C0OPS",
        "is_ephemeral": False,
    }

    submission = ss.view_submission_payload(
        callback_id="new_ticket",
        private_metadata='{"channel": "C0OPS"}',
        values={"title": {"value": ss.plain_text_input_value("Down")}},
    )
    assert submission["view"]["state"]["values"]["title"]["value"]["value"] == "Down"
    assert submission["response_urls"] == []
    assert submission["view"]["callback_id"] == "new_ticket"

    suggestion = ss.block_suggestion_payload(action_id="q", block_id="b", value="abc")
    assert (suggestion["action_id"], suggestion["block_id"], suggestion["value"]) == (
        "q",
        "b",
        "abc",
    )
    assert "response_url" not in ss.shortcut_payload(callback_id="new")
    shortcut = ss.message_action_payload(
        callback_id="file",
        message_ts="1700000000.000100",
        message_text="<@U0BOT> help",
        response_url="https://hooks.example/app/1",
    )
    assert shortcut["message"]["blocks"][0]["elements"][0]["elements"][0] == {
        "type": "user",
        "user_id": "U0BOT",
    }

    envelope = json.loads(
        ss.event_body(ss.app_mention_event(text="<@U0BOT> status"), event_id="Ev1")
    )
    assert set(envelope) == {
        "token", "team_id", "api_app_id", "event", "type", "event_id", "event_time",
        "authorizations", "is_ext_shared_channel", "event_context",
    }  # fmt: skip
    assert envelope["event"]["ts"] == envelope["event"]["event_ts"]
    assert isinstance(envelope["event_time"], int)
    assert ss.message_im_event(text="hi")["channel_type"] == "im"
    assert ss.app_home_opened_event()["tab"] == "home"


# --------------------------------------------------------------------------------------------
# Socket Mode
# --------------------------------------------------------------------------------------------
async def test_socket_mode_roundtrip_and_reconnect(fake: FakeSlack) -> None:
    web = AsyncWebClient(base_url=fake.api_url)
    client = SocketModeClient(app_token=fake.app_token, web_client=web)
    received: list[SocketModeRequest] = []

    async def on_request(c: SocketModeClient, req: SocketModeRequest) -> None:
        received.append(req)
        payload = {"text": "pong"} if req.accepts_response_payload else None
        await c.send_socket_mode_response(
            SocketModeResponse(envelope_id=req.envelope_id, payload=payload)
        )

    client.socket_mode_request_listeners.append(on_request)  # type: ignore[arg-type]
    await client.connect()  # type: ignore[no-untyped-call]
    try:
        await fake.wait_for_connection(1)
        command = ss.slash_command_payload(
            command="/ticket", text="show 1", response_url=fake.response_url()
        )
        envelope_id = await fake.socket_send(socket_envelope("slash_commands", command))
        ack = await fake.wait_for_ack(envelope_id)
        assert ack == {"envelope_id": envelope_id, "payload": {"text": "pong"}}
        assert received[0].payload["command"] == "/ticket"

        await fake.socket_disconnect("refresh_requested")
        await fake.wait_for_connection(2)
        assert len(fake.calls_to("apps.connections.open")) == 2

        event = ss.event_envelope(ss.app_mention_event(text="<@U0BOT> hi"))
        envelope_id = await fake.socket_send(socket_envelope("events_api", event))
        assert await fake.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
        assert fake.socket_protocol_errors == []
        assert fake.socket_connections == 1
    finally:
        await client.close()  # type: ignore[no-untyped-call]


async def test_socket_urls_are_single_use_and_need_app_token(fake: FakeSlack) -> None:
    bot_client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    err = await _error_of(bot_client.apps_connections_open(app_token=fake.bot_token))
    assert err.response["error"] == "not_allowed_token_type"

    opened = await bot_client.apps_connections_open(app_token=fake.app_token)
    url = opened["url"]
    assert url.startswith("ws://127.0.0.1:")
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            hello = await ws.receive_json()
            assert hello["type"] == "hello"
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url)
