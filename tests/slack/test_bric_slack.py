"""/bric through the Slack app over HTTP: signed request, ack, then the reply."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from bot.sandbox import BRIC_COMPANY, BRIC_EMAIL, BRIC_PASSWORD, RunningSandbox
from tests.slack.conftest import Harness, dumps, wait_for


@pytest.fixture
def overrides(sandbox: RunningSandbox) -> dict[str, Any]:
    """The harness's settings plus the Bric sandbox's service account."""
    return {
        "bric_api_url": sandbox.bric_url,
        "bric_email": BRIC_EMAIL,
        "bric_password": SecretStr(BRIC_PASSWORD),
        "bric_company": BRIC_COMPANY,
    }


async def test_bric_clients_is_answered_ephemerally(harness: Harness) -> None:
    resp, key = await harness.command("/bric", "clients")
    assert resp.status == 200
    reply = await harness.reply(key)
    assert reply["response_type"] == "ephemeral"
    assert "Bric clients" in dumps(reply)
    assert "Harbor &amp; Vine" in dumps(reply)
    assert harness.sandbox.bric.call_count("tokens.create") == 1


async def test_bric_time_off_is_posted_in_channel_with_the_slack_name(harness: Harness) -> None:
    await harness.command("/bric", "timeoff add 2031-06-01 Offsite")
    posts = await wait_for(lambda: harness.slack.calls_to("chat.postMessage"))
    assert posts[0].params["channel"] == "C0OPS"
    [stored] = harness.sandbox.bric.payloads("time_blocks.create")
    assert stored["event_name"] == "Offsite — via Slack by dana (U0CALLER)"
    assert "Offsite — via Slack by dana (U0CALLER)" in dumps(posts[0].params)


@pytest.mark.parametrize("overrides", [{}])
async def test_without_bric_credentials_bric_says_how_to_configure(harness: Harness) -> None:
    _, key = await harness.command("/bric", "clocked")
    reply = await harness.reply(key)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Bric is not configured: set BRIC_EMAIL and BRIC_TOKEN_SECRET")
    assert not harness.sandbox.bric.calls
    _, key = await harness.command("/ticket", "show 4503")  # the rest of the bot is unaffected
    assert "Ticket 4503" in dumps(await harness.reply(key))
