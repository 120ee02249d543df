"""Build the process's clients from Settings: one aiohttp session per backend, closed on exit.

On the way out the Bric client revokes the token it created (never a configured secret)
before its session closes.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp

from bot.clients.bric import BricClient, BricConfig
from bot.clients.bruin import BruinClient, BruinConfig
from bot.config import Settings
from bot.core.deps import Services
from bot.logging import database_password, redactor
from bot.metrics import Metrics

__all__ = ["bric_config", "bruin_config", "open_services"]


def bruin_config(settings: Settings) -> BruinConfig | None:
    if not settings.bruin_configured:
        return None
    assert settings.bruin_oauth_client_id is not None
    assert settings.bruin_oauth_client_secret is not None
    assert settings.bruin_customer_id is not None
    return BruinConfig(
        api_url=settings.bruin_api_url,
        identity_url=settings.bruin_identity_url,
        client_id=settings.bruin_oauth_client_id,
        client_secret=settings.bruin_oauth_client_secret,
        customer_id=settings.bruin_customer_id,
        token_auth=settings.bruin_token_auth,
        timeout=settings.bruin_timeout_seconds,
        max_in_flight=settings.bruin_max_in_flight,
        queue_limit=2 * settings.bruin_max_in_flight,
    )


def bric_config(settings: Settings) -> BricConfig | None:
    """None when Bric is off: no email, or neither a secret nor password plus company."""
    if not settings.bric_configured:
        return None
    if settings.bric_token_secret is None and not settings.bric_company:
        return None  # a password alone cannot create a token; /bric says what is missing
    return bric_config_of(settings)


def bric_config_of(settings: Settings) -> BricConfig:
    """The Bric settings as a client config, whether or not they are complete."""
    return BricConfig(
        api_url=settings.bric_api_url,
        email=settings.bric_email,
        token_secret=settings.bric_token_secret,
        password=settings.bric_password,
        company=settings.bric_company,
        token_auth=settings.bric_token_auth,
    )


def register_secret(secret: str) -> None:
    """Teach the log redactor a secret learnt at run time (a created Bric token)."""
    redactor.register([secret])


def register_secrets(settings: Settings) -> None:
    """Teach the log redactor every configured secret, and DATABASE_URL's password."""
    password = database_password(settings.database_url)
    if password:
        redactor.register([password])
    redactor.register(
        secret.get_secret_value()
        for secret in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.bruin_oauth_client_secret,
            settings.bruin_webhook_secret,
            settings.bric_token_secret,
            settings.bric_password,
        )
        if secret is not None
    )


async def _session(stack: contextlib.AsyncExitStack, limit: int) -> aiohttp.ClientSession:
    """One session per backend per process, closed when the stack unwinds."""
    connector = aiohttp.TCPConnector(limit=limit, ttl_dns_cache=300)
    return await stack.enter_async_context(
        aiohttp.ClientSession(connector=connector, raise_for_status=False)
    )


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings, *, metrics: Metrics | None = None
) -> AsyncIterator[Services]:
    """Yield :class:`Services`; every session opened here is closed on the way out."""
    register_secrets(settings)
    async with contextlib.AsyncExitStack() as stack:
        bruin = None
        config = bruin_config(settings)
        if config is not None:
            bruin = BruinClient.create(
                await _session(stack, config.max_in_flight),
                config,
                observe=metrics.observe_backend if metrics else None,
                on_token_fetch=(metrics.token_refreshes.labels("bruin").inc if metrics else None),
            )
        bric = None
        bric_cfg = bric_config(settings)
        if bric_cfg is not None:
            bric = BricClient.create(
                await _session(stack, bric_cfg.max_in_flight),
                bric_cfg,
                observe=metrics.observe_backend if metrics else None,
                on_token_create=(metrics.token_refreshes.labels("bric").inc if metrics else None),
                on_secret=register_secret,
            )
            # Runs before the session closes (the stack unwinds in reverse).
            stack.push_async_callback(bric.aclose)
        yield Services(settings=settings, bruin_client=bruin, bric_client=bric)
