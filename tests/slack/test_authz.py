"""CHATOPS_WRITERS: user ids and user groups (membership from Slack, cached, fail closed)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.authz import REFUSAL, WriterPolicy
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_signing import slash_command_body
from tests.slack.conftest import Harness, wait_for


@pytest.fixture
async def web() -> AsyncIterator[tuple[FakeSlack, AsyncWebClient]]:
    async with FakeSlack() as fake:
        yield fake, AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)


async def test_empty_means_everyone(web: tuple[FakeSlack, AsyncWebClient]) -> None:
    fake, client = web
    assert not fake.calls
    assert await WriterPolicy([], client).allows("U123")
    assert fake.calls_to("usergroups.users.list") == []


async def test_user_ids_and_group_members_may_write(web: tuple[FakeSlack, AsyncWebClient]) -> None:
    _, client = web
    policy = WriterPolicy(["U0BOSS", "S0ONCALL"], client)
    assert await policy.allows("U0BOSS")
    assert await policy.allows("U0CALLER")  # in S0ONCALL
    assert await policy.refusal("U0STRANGER") == REFUSAL


async def test_membership_is_cached_then_refreshed(web: tuple[FakeSlack, AsyncWebClient]) -> None:
    fake, client = web
    now = [0.0]
    policy = WriterPolicy(["S0ONCALL"], client, ttl=60, clock=lambda: now[0])
    assert not await policy.allows("U0NEW")
    fake.usergroups["S0ONCALL"].append("U0NEW")
    assert not await policy.allows("U0NEW")  # cached
    assert len(fake.calls_to("usergroups.users.list")) == 1
    now[0] = 61
    assert await policy.allows("U0NEW")
    assert len(fake.calls_to("usergroups.users.list")) == 2


async def test_slack_errors_fail_closed_and_are_not_cached(
    web: tuple[FakeSlack, AsyncWebClient],
) -> None:
    fake, client = web
    policy = WriterPolicy(["S0ONCALL"], client)
    fake.fail_next("usergroups.users.list", "missing_scope")
    assert not await policy.allows("U0CALLER")
    assert await policy.allows("U0CALLER")


@pytest.mark.parametrize("overrides", [{"chatops_writers": ["S0ONCALL"]}])
async def test_group_members_write_and_others_are_refused_over_http(harness: Harness) -> None:
    await harness.command("/note", "add 4503 from the on-call group")
    await wait_for(lambda: harness.sandbox.bruin.called("note.add"))
    stranger_url = harness.slack.response_url("stranger", user_id="U0OTHER")
    body = slash_command_body(
        command="/note", text="add 4503 not me", response_url=stranger_url, user_id="U0OTHER"
    )
    await harness.post_signed(body)
    reply = await harness.reply("stranger")
    assert "not allowed to make changes" in reply["text"]
    assert len(harness.sandbox.bruin.payloads("note.add")) == 1
