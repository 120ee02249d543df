"""Notification tests: the real store (SQLite and PostgreSQL), the Bruin sandbox and a fake
Slack, all over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.bruin import BruinClient, BruinConfig
from bot.notify.delivery import CrashHook, Delivery
from bot.notify.intake import Intake
from bot.sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_CUSTOMER_ID,
    RunningSandbox,
)
from bot.store import Store
from tests.fakes.slack import FakeSlack
from tests.store.conftest import StoreFactory, database_url, open_store, store

__all__ = ["database_url", "open_store", "store"]

CUSTOMER = SANDBOX_CUSTOMER_ID


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_channel("C0NOC", member=True)
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def bruin(sandbox: RunningSandbox, http: aiohttp.ClientSession) -> BruinClient:
    return BruinClient.create(
        http,
        BruinConfig(
            api_url=sandbox.url,
            identity_url=sandbox.url,
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SecretStr(SANDBOX_CLIENT_SECRET),
            customer_id=CUSTOMER,
            timeout=3.0,
        ),
    )


@pytest.fixture
def web(slack: FakeSlack, http: aiohttp.ClientSession) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, session=http)


@dataclass
class Parts:
    store: Store
    intake: Intake
    delivery: Delivery


PartsFactory = Callable[..., "AsyncIterator[Parts]"]


@pytest.fixture
def make_parts(
    open_store: StoreFactory, bruin: BruinClient, web: AsyncWebClient
) -> Callable[..., object]:
    """A notifier's parts on a NEW Store instance over the same database (a restart)."""

    async def factory(*, crash: CrashHook | None = None, min_interval: float = 0.0) -> Parts:
        store = await open_store()
        return Parts(
            store=store,
            intake=Intake(store, bruin),
            delivery=Delivery(
                store,
                bruin,
                web,
                portal_url="https://app.bruin.test",
                min_interval=min_interval,
                crash=crash,
            ),
        )

    return factory
