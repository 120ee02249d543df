"""Fuzzing the two public endpoints over real HTTP: header values (signature, timestamp,
content type) and JSON nesting depth. Whatever arrives, the answer is never a 5xx; a bad
signature is a 401; a signed body nested deeper than MAX_DEPTH is a 400.

Runs in the default suite at a small scale; ``CHATOPS_FUZZ_SCALE=20`` for a long run."""

from __future__ import annotations

import json
import os
import time
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.notify.webhook import SIGNATURE_HEADER, sign_body
from bot.slack.server import MAX_DEPTH
from tests.fakes.slack_signing import sign
from tests.slack.conftest import FORM, SECRET, Harness

WEBHOOK_SECRET = "bruin-webhook-secret-for-fuzzing"
SCALE = float(os.environ.get("CHATOPS_FUZZ_SCALE", "1"))


def examples(n: int) -> int:
    return max(1, int(n * SCALE))


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"bruin_webhook_secret": WEBHOOK_SECRET, "chatops_poll_seconds": 3600}


# Header text as an HTTP client sends it (no control characters: aiohttp refuses those).
header_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=80)
timestamps = st.one_of(
    header_text,
    st.integers(min_value=-(10**13), max_value=10**13).map(str),
    st.sampled_from(["", "abc", "1e9", "0x10", " 1700000000", "١٧٠٠٠٠٠٠٠٠", "9" * 400]),
)
slack_signatures = st.one_of(
    header_text,
    st.text("0123456789abcdefABCDEF", min_size=60, max_size=70).map(lambda h: "v0=" + h),
    st.sampled_from(["", "v0=", "v1=" + "0" * 64, "v0=" + "é" * 64]),
)
content_types = st.sampled_from(
    [FORM, "application/json", "application/json; charset=utf-8", "text/plain", ""]
)
depths = st.one_of(
    st.integers(min_value=0, max_value=MAX_DEPTH + 8), st.integers(min_value=0, max_value=6000)
)
fuzz = settings(
    max_examples=examples(60),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def nested(depth: int) -> str:
    """A JSON value ``depth`` containers deep (objects and arrays alternating)."""
    opens = "".join('{"x":' if i % 2 == 0 else "[" for i in range(depth))
    closes = "".join("}" if i % 2 == 0 else "]" for i in reversed(range(depth)))
    return opens + "0" + closes


def slack_body(kind: str, depth: int) -> bytes:
    """An event or interaction no listener handles, ``depth`` + 1 deep."""
    if kind == "event":
        event = '{"type":"fuzz_event","x":' + nested(depth - 1 if depth else 0) + "}"
        return ('{"type":"event_callback","event_id":"EvFUZZ","event":' + event + "}").encode()
    payload = '{"type":"fuzz_interaction","x":' + nested(depth) + "}"
    return ("payload=" + quote(payload)).encode()


@fuzz
@given(
    kind=st.sampled_from(["event", "interactive"]),
    depth=depths,
    signed=st.booleans(),
    timestamp=timestamps,
    signature=slack_signatures,
    content_type=content_types,
)
async def test_slack_endpoint_headers_and_depths(
    harness: Harness,
    kind: str,
    depth: int,
    signed: bool,
    timestamp: str,
    signature: str,
    content_type: str,
) -> None:
    body = slack_body(kind, depth)
    if kind == "event":
        content_type = "application/json"
    elif content_type.startswith("application/json"):
        content_type = FORM
    headers = {"Content-Type": content_type} if content_type else {}
    if signed:
        headers.update(sign(body, secret=SECRET, timestamp=int(time.time())))
    else:
        headers.update({"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature})
    async with harness.http.post(harness.base + "/slack/events", data=body, headers=headers) as r:
        status, text = r.status, await r.text()
    assert status < 500, (status, text)
    assert "Traceback" not in text
    if not signed:
        assert status in (400, 401), (status, text)  # 400: aiohttp refused the header itself
    elif depth + 1 > MAX_DEPTH:
        assert status == 400, (status, text)
    else:
        assert status == 200, (status, text)


@fuzz
@given(
    depth=depths,
    signed=st.booleans(),
    signature=st.one_of(header_text, st.text("0123456789abcdefABCDEF", max_size=70)),
)
async def test_webhook_endpoint_headers_and_depths(
    harness: Harness, depth: int, signed: bool, signature: str
) -> None:
    body = ('{"eventType":"Created","ticketId":4503,"x":' + nested(depth) + "}").encode()
    if signed:
        signature = sign_body(body, WEBHOOK_SECRET)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
    async with harness.http.post(harness.base + "/bruin/webhook", data=body, headers=headers) as r:
        status, text = r.status, await r.text()
    assert status < 500 or (status == 503 and json.loads(text) == {"error": "busy, retry later"})
    if not signed:
        assert status in (400, 401), (status, text)
    elif depth + 1 > MAX_DEPTH:
        assert status == 400, (status, text)
    else:
        assert status in (202, 503), (status, text)
