"""Command tests run the real client against the real sandbox over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.core.dispatch import Caller, Dispatcher, Services
from bot.sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_CUSTOMER_ID,
    RunningSandbox,
)
from bot.services import open_services
from handlers.catalog import build_registry

DANA = Caller(user_id="U0CALLER", display_name="Dana Ops", channel_id="C0OPS")


def sandbox_settings(url: str, **overrides: Any) -> Settings:
    return Settings(
        bruin_identity_url=url,
        bruin_api_url=url,
        bruin_oauth_client_id=SANDBOX_CLIENT_ID,
        bruin_oauth_client_secret=SecretStr(SANDBOX_CLIENT_SECRET),
        bruin_customer_id=SANDBOX_CUSTOMER_ID,
        **overrides,
    )


@pytest.fixture
async def services(sandbox: RunningSandbox) -> AsyncIterator[Services]:
    async with open_services(sandbox_settings(sandbox.url, bruin_timeout_seconds=1.0)) as svc:
        yield svc


@pytest.fixture
def dispatcher() -> Dispatcher:
    return Dispatcher(build_registry())
