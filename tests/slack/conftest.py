"""The Slack app over real loopback HTTP: a fake Slack, the Bruin sandbox, signed requests."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.runner import RunningBot, running_bot
from bot.sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_CUSTOMER_ID,
    RunningSandbox,
)
from bot.slack.seal import Sealer
from tests.fakes.slack import FakeSlack, ResponseUrlCall
from tests.fakes.slack_signing import (
    event_body,
    interactive_body,
    signed_headers,
    slash_command_body,
)

SECRET = "test-signing-secret-0123456789"
FORM = "application/x-www-form-urlencoded"


SEAL = Sealer(SECRET.encode())
"""The bot's sealer under the test signing secret: what a real button or view carries."""


def sealed(action_id: str, value: str) -> str:
    """A button value as the bot writes it (forgeries are the unsealed ones)."""
    return SEAL.seal(f"action:{action_id}", value)


def sealed_meta(callback_id: str, meta: dict[str, Any]) -> str:
    return SEAL.seal(f"view:{callback_id}", json.dumps(meta))


def opened_meta(view: dict[str, Any]) -> dict[str, Any]:
    """A view's private_metadata as the bot reads it back."""
    return dict(json.loads(SEAL.open_metadata(view["callback_id"], view["private_metadata"])))


def bot_settings(sandbox_url: str, slack: FakeSlack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": SecretStr(slack.bot_token),
        "slack_signing_secret": SecretStr(SECRET),
        "slack_api_url": slack.api_url,
        "slack_response_url_prefix": slack.url,  # the fake's /response/<key> hooks
        "bruin_identity_url": sandbox_url,
        "bruin_api_url": sandbox_url,
        "bruin_oauth_client_id": SANDBOX_CLIENT_ID,
        "bruin_oauth_client_secret": SecretStr(SANDBOX_CLIENT_SECRET),
        "bruin_customer_id": SANDBOX_CUSTOMER_ID,
        "bruin_timeout_seconds": 3.0,
    }
    values.update(overrides)
    return Settings(**values)


async def wait_for(predicate: Callable[[], Any], *, timeout: float = 5.0) -> Any:
    """Poll until ``predicate()`` is truthy (bounded); return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@dataclass(frozen=True)
class Answer:
    """What the bot answered over HTTP (the ack)."""

    status: int
    text: str


@dataclass
class Harness:
    bot: RunningBot
    slack: FakeSlack
    sandbox: RunningSandbox
    http: aiohttp.ClientSession

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.bot.port}"

    async def post_signed(
        self,
        body: bytes,
        *,
        content_type: str = FORM,
        timestamp: int | None = None,
        secret: str = SECRET,
        retry_num: int | None = None,
    ) -> Answer:
        headers = signed_headers(
            body, secret=secret, content_type=content_type, timestamp=timestamp, retry_num=retry_num
        )
        async with self.http.post(self.base + "/slack/events", data=body, headers=headers) as resp:
            return Answer(resp.status, await resp.text())

    async def command(
        self, command: str, text: str, *, channel_id: str = "C0OPS", **kw: Any
    ) -> tuple[Answer, str]:
        key = f"cmd{len(self.slack.responses)}{time.monotonic_ns()}"
        url = self.slack.response_url(key, user_id="U0CALLER")
        body = slash_command_body(
            command=command, text=text, response_url=url, channel_id=channel_id
        )
        return await self.post_signed(body, **kw), key

    async def event(self, event: dict[str, Any], *, event_id: str, **kw: Any) -> Answer:
        body = event_body(event, event_id=event_id)
        return await self.post_signed(body, content_type="application/json", **kw)

    async def action(self, payload: dict[str, Any]) -> Answer:
        return await self.post_signed(interactive_body(payload))

    def replies(self, key: str) -> list[ResponseUrlCall]:
        return [r for r in self.slack.responses if r.key == key]

    async def reply(self, key: str, *, count: int = 1) -> dict[str, Any]:
        found = await wait_for(lambda: len(self.replies(key)) >= count and self.replies(key))
        return found[count - 1].body  # type: ignore[no-any-return]


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def harness(
    slack: FakeSlack, sandbox: RunningSandbox, overrides: dict[str, Any]
) -> AsyncIterator[Harness]:
    settings = bot_settings(sandbox.url, slack, **overrides)
    async with (
        running_bot(settings, host="127.0.0.1", port=0) as bot,
        aiohttp.ClientSession() as http,
    ):
        yield Harness(bot=bot, slack=slack, sandbox=sandbox, http=http)
