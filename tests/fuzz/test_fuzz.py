"""Fuzzing (the long suite: ``pytest -m long``): generated command text, interactive
payloads and webhook bodies. No exception escapes, invalid input writes nothing, and every
reply is a Block Kit payload slack_sdk accepts. Over 10,000 cases in one run."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.core.dispatch import Dispatcher, Services
from bot.notify.webhook import WebhookError, parse_event
from bot.sandbox import RunningSandbox
from tests.commands.conftest import DANA
from tests.fakes.slack_signing import block_actions_payload
from tests.slack.conftest import Harness

pytestmark = pytest.mark.long

SCALE = float(os.environ.get("CHATOPS_FUZZ_SCALE", "1"))


def examples(n: int) -> int:
    return max(1, int(n * SCALE))


WRITE_ROUTES = (
    "note.add",
    "note.advanced",
    "ticket.create",
    "ticket.repair",
    "detail.status",
    "ticket.close",
)
COMMANDS = ["/ticket", "/note", "/inventory", "/site", "/bric", "/nope"]
SUBCOMMANDS = ["show", "list", "add", "new", "resolve", "close", "watch", "subscribe", "help", ""]

# Text that looks like commands: known words, numbers, filters, quotes, junk, control chars.
words = st.one_of(
    st.sampled_from(SUBCOMMANDS),
    st.integers(min_value=-5, max_value=10**12).map(str),
    st.sampled_from(
        [
            "status=open",
            "limit=0",
            "limit=99999",
            "site=",
            'site="a b',
            "#4503",
            "\u201cquoted\u201d",
            "<!channel>",
            "&amp;",
            "\x00",
            "\ud7ff",
            "x" * 300,
        ]
    ),
    st.text(max_size=40),
)
command_text = st.lists(words, max_size=8).map(" ".join)
fuzz = settings(
    max_examples=examples(2500),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def writes(sandbox: RunningSandbox) -> int:
    """Writes Bruin accepted (a refused attempt changes nothing)."""
    return sum(1 for c in sandbox.bruin.calls if c.route in WRITE_ROUTES and 200 <= c.status < 300)


def valid_blocks(payload: dict[str, Any]) -> None:
    assert isinstance(payload["text"], str)
    assert len(payload["blocks"]) <= 50
    for block in payload["blocks"]:
        assert Block.parse(block) is not None


@fuzz
@given(command=st.sampled_from(COMMANDS), text=command_text)
async def test_command_text(
    dispatcher: Dispatcher, services: Services, sandbox: RunningSandbox, command: str, text: str
) -> None:
    before = writes(sandbox)
    message = await dispatcher.dispatch(command, text, DANA, services)
    valid_blocks(message.to_dict())
    if not message.ok:
        assert writes(sandbox) == before  # invalid input writes nothing


@fuzz
@given(command=st.sampled_from(COMMANDS), text=st.text(max_size=5000))
async def test_arbitrary_unicode(
    dispatcher: Dispatcher, services: Services, sandbox: RunningSandbox, command: str, text: str
) -> None:
    before = writes(sandbox)
    message = await dispatcher.dispatch(command, text, DANA, services)
    valid_blocks(message.to_dict())
    if not message.ok:
        assert writes(sandbox) == before


@settings(max_examples=examples(4000), deadline=None)
@given(
    body=st.one_of(
        st.binary(max_size=2000),
        st.dictionaries(
            st.text(max_size=20),
            st.one_of(st.none(), st.integers(), st.text(), st.floats()),
            max_size=6,
        ).map(lambda d: json.dumps(d).encode()),
    )
)
def test_webhook_bodies(body: bytes) -> None:
    try:
        event = parse_event(body)
    except WebhookError:
        return
    assert event.ticket_id > 0


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=examples(1500),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    action_id=st.sampled_from(["ticket_show", "ticket_list_more", "open_link", "nope", ""]),
    value=st.one_of(st.none(), st.text(max_size=200), json_values.map(json.dumps)),
    junk=st.dictionaries(
        st.sampled_from(["user", "channel", "actions", "view", "container"]),
        json_values,
        max_size=2,
    ),
)
async def test_interactive_payloads(
    harness: Harness, action_id: str, value: str | None, junk: dict[str, Any]
) -> None:
    url = harness.slack.response_url(user_id="U0CALLER")
    payload = block_actions_payload(
        action_id=action_id,
        block_id="b",
        response_url=url,
        message_ts="1700000000.000100",
        value=value,
    )
    payload.update(junk)
    before = writes(harness.sandbox)
    answer = await harness.action(payload)
    assert answer.status in (200, 400, 404), answer.text
    assert "Traceback" not in answer.text
    assert writes(harness.sandbox) == before
