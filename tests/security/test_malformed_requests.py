"""Issue 17 item 3 and issue 19 item 5: every malformed request gets a 4xx with one short
reason, never a 5xx — bodies that are not UTF-8, headers that are not numbers or hex, JSON
nested thousands deep — on both public endpoints, with real signatures where one is due."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import pytest

from bot.notify.webhook import SIGNATURE_HEADER, sign_body
from bot.slack.server import MAX_DEPTH, json_too_deep, parse_slack_body
from tests.fakes.slack_signing import block_actions_payload, sign, signed_headers
from tests.slack.conftest import FORM, SECRET, Answer, Harness

WEBHOOK_SECRET = "bruin-webhook-secret-for-tests"


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"bruin_webhook_secret": WEBHOOK_SECRET, "chatops_poll_seconds": 3600}


def short_reason(answer: Answer) -> None:
    assert 400 <= answer.status < 500, answer
    assert "\n" not in answer.text.strip()
    assert len(answer.text) < 120
    assert "Traceback" not in answer.text


async def post(h: Harness, path: str, body: bytes, headers: dict[str, str]) -> Answer:
    async with h.http.post(h.base + path, data=body, headers=headers) as resp:
        return Answer(resp.status, await resp.text())


def webhook_headers(body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", SIGNATURE_HEADER: sign_body(body, WEBHOOK_SECRET)}


def nested(depth: int, leaf: str = "{}") -> str:
    return '{"x":' * depth + leaf + "}" * depth


@pytest.mark.parametrize(
    "content_type", [FORM, "application/octet-stream", "application/json"], ids=str
)
async def test_a_signed_body_that_is_not_utf8_is_a_400(harness: Harness, content_type: str) -> None:
    body = b"command=%2Fticket&text=\xff\xfe"
    answer = await harness.post_signed(body, content_type=content_type)
    short_reason(answer)
    assert answer == Answer(400, "malformed payload: body is not UTF-8")


@pytest.mark.parametrize(
    "timestamp", ["abc", "", "-1", "1e9", " 1700000000", "١٧٠٠٠٠٠٠٠٠", "9" * 5000], ids=repr
)
async def test_a_bad_timestamp_header_is_a_401(harness: Harness, timestamp: str) -> None:
    body = b"command=%2Fticket&text=show+4503"
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(body, secret=SECRET)["X-Slack-Signature"],
    }
    answer = await post(harness, "/slack/events", body, headers)
    short_reason(answer)
    assert answer.status == 401


@pytest.mark.parametrize("signature", ["", "v0=", "v0=é" * 3, "v0=" + "G" * 64, "x" * 5000])
async def test_a_bad_signature_header_is_a_401(harness: Harness, signature: str) -> None:
    body = b"command=%2Fticket&text=show+4503"
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": signature,
    }
    answer = await post(harness, "/slack/events", body, headers)
    short_reason(answer)
    assert answer.status == 401


async def test_an_interactive_body_nested_a_thousand_deep_is_a_400(harness: Harness) -> None:
    payload = '{"type":"block_actions","x":' + nested(1000) + "}"
    answer = await harness.post_signed(("payload=" + quote(payload)).encode())
    short_reason(answer)
    assert answer.text == f"malformed payload: payload nested deeper than {MAX_DEPTH}"


async def test_an_event_nested_deep_in_arrays_is_a_400(harness: Harness) -> None:
    body = '{"type":"event_callback","event":{"type":"message","x":' + "[" * 5000 + "]" * 5000
    body += "}}"
    answer = await harness.post_signed(body.encode(), content_type="application/json")
    short_reason(answer)
    assert answer.status == 400


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda p: p.update(user=None), "user is not an object"),
        (lambda p: p.update(actions=[{"block_id": "b"}]), "an action without action_id"),
        (lambda p: p.update(authorizations="x"), "authorizations is not a list of objects"),
        (lambda p: p.update(response_urls=["x"]), "response_urls is not a list of objects"),
        (lambda p: p.update(type="view_submission", view=None), "view is not an object"),
        (lambda p: p.update(type="shortcut"), "no callback_id"),
    ],
)
async def test_payloads_out_of_slack_shape_are_a_400_with_the_reason(
    harness: Harness, mutate: Any, reason: str
) -> None:
    url = harness.slack.response_url(user_id="U0CALLER")
    payload = block_actions_payload(
        action_id="ticket_show", block_id="b", response_url=url, message_ts="1.2", value="4503"
    )
    mutate(payload)
    answer = await harness.action(payload)
    short_reason(answer)
    assert answer.text == f"malformed payload: {reason}"


async def test_a_malformed_body_with_a_bad_signature_is_a_401(harness: Harness) -> None:
    body = b"\xff\xfe"
    headers = signed_headers(body, secret="not-the-secret-0000000000", content_type=FORM)
    assert (await post(harness, "/slack/events", body, headers)).status == 401


# -- the Bruin webhook ------------------------------------------------------------------


async def test_a_signed_webhook_nested_five_thousand_deep_is_a_400(harness: Harness) -> None:
    body = ('{"eventType":"Created","ticketId":4503,"x":' + nested(5000) + "}").encode()
    headers = webhook_headers(body)
    answer = await post(harness, "/bruin/webhook", body, headers)
    short_reason(answer)
    assert json.loads(answer.text) == {"error": f"body nested deeper than {MAX_DEPTH}"}


@pytest.mark.parametrize("signature", ["é" * 64, "zz", " ", "A" * 5000])
async def test_a_webhook_signature_that_is_not_hex_is_a_401(
    harness: Harness, signature: str
) -> None:
    body = b'{"eventType":"Created","ticketId":4503}'
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
    answer = await post(harness, "/bruin/webhook", body, headers)
    short_reason(answer)
    assert answer.status == 401


async def test_a_signed_webhook_that_is_not_utf8_is_a_400(harness: Harness) -> None:
    body = b'{"eventType":"Created","ticketId":4503,"x":"\xff"}'
    headers = webhook_headers(body)
    answer = await post(harness, "/bruin/webhook", body, headers)
    short_reason(answer)


# -- the parser on its own ----------------------------------------------------------------


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert not json_too_deep('{"a": "' + "[" * 1000 + '"}')
    assert not json_too_deep(nested(MAX_DEPTH - 1))
    assert json_too_deep(nested(MAX_DEPTH + 1))
    assert json_too_deep('{"a": "\\"", "b": ' + "[" * 100 + "]" * 100 + "}")


def test_forms_are_told_apart_by_their_fields_not_by_substrings() -> None:
    kind, body = parse_slack_body("command=%2Fnote&text=the+payload+was+dropped", FORM)
    assert (kind, body["text"]) == ("command", "the payload was dropped")
    kind, body = parse_slack_body(
        "payload=" + quote('{"type":"shortcut","callback_id":"x","user":{"id":"U1"}}'), FORM
    )
    assert (kind, body["type"]) == ("interactive", "shortcut")
    kind, body = parse_slack_body('{"type":"url_verification","challenge":"c"}', None)
    assert (kind, body["challenge"]) == ("event", "c")
