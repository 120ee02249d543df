"""CHATOPS_WRITERS: user ids and user groups (membership from Slack, cached, fail closed)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.authz import REFUSAL, WriterPolicy
from bot.sandbox.slack import FakeSlack


@pytest.fixture
async def web() -> AsyncIterator[tuple[FakeSlack, AsyncWebClient]]:
    async with FakeSlack() as fake:
        yield fake, AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)


async def test_empty_means_everyone(web: tuple[FakeSlack, AsyncWebClient]) -> None:
    fake, client = web
    assert await WriterPolicy([], client).allows("U123")
    assert fake.calls_to("usergroups.users.list") == []


async def test_user_ids_and_group_members_may_write(web: tuple[FakeSlack, AsyncWebClient]) -> None:
    fake, client = web
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
