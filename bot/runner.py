"""``chatops-bot run``: wire Settings -> store, clients, Slack app, HTTP server / Socket Mode."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot import gc_policy
from bot.config import Settings, data_dir
from bot.core.deps import Services
from bot.metrics import Metrics
from bot.notify.delivery import Delivery
from bot.notify.intake import Intake
from bot.notify.service import NotifierService
from bot.render.text import configure_zone
from bot.services import open_services
from bot.slack.app import SlackBot, build_app, make_web_client
from bot.slack.server import BotServer
from bot.store import Store

__all__ = ["RunningBot", "run", "running_bot"]

log = structlog.get_logger(__name__)


@dataclass
class RunningBot:
    server: BotServer
    runner: web.AppRunner
    port: int
    socket: Any = None  # an AsyncSocketModeHandler in Socket Mode (imported only then)


@contextlib.asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    drain_seconds: float = 20.0,
) -> AsyncIterator[RunningBot]:
    """Start everything ``run`` starts and stop it in reverse order on exit."""
    if settings.slack_bot_token is None:
        raise SystemExit("chatops-bot run: set SLACK_BOT_TOKEN (xoxb-…) first.")
    if not settings.socket_mode and settings.slack_signing_secret is None:
        raise SystemExit(
            "chatops-bot run: HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN "
            "for Socket Mode)."
        )
    configure_zone(settings.display_zone)
    metrics = Metrics()
    store = await Store.open(settings.database_url, data_dir=data_dir(settings))
    try:
        async with (
            open_services(settings, metrics=metrics) as services,
            aiohttp.ClientSession() as slack_session,
        ):
            client = make_web_client(settings, session=slack_session)
            notifier = _notifier(settings, services, store, client, metrics)
            services = dataclasses.replace(services, store=store, notifier=notifier)
            bot = SlackBot(
                settings=settings,
                services=services,
                store=store,
                metrics=metrics,
                client=client,
                notifier=notifier,
            )
            app = build_app(bot)
            server = BotServer(
                bot=bot, app=app, http_events=not settings.socket_mode, notifier=notifier
            )
            runner, bound = await server.listen(
                settings.host if host is None else host, settings.port if port is None else port
            )
            handle = None
            try:
                warm = asyncio.create_task(server.warm_up())
                if settings.socket_mode:
                    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

                    assert settings.slack_app_token is not None
                    handle = AsyncSocketModeHandler(
                        app, settings.slack_app_token.get_secret_value(), web_client=client
                    )
                    await handle.connect_async()  # type: ignore[no-untyped-call]
                await warm
                if notifier is not None:
                    notifier.start()
                log.info(
                    "bot_started",
                    mode="socket" if settings.socket_mode else "http",
                    port=bound,
                    ready=server.ready,
                )
                yield RunningBot(server=server, runner=runner, port=bound, socket=handle)
            finally:
                # Graceful: stop taking work, let accepted work finish (bounded), then close.
                bot.inflight.draining = True
                if handle is not None:
                    await handle.close_async()  # type: ignore[no-untyped-call]
                await runner.cleanup()
                left = await bot.inflight.drain(drain_seconds)
                if left:
                    log.warning("shutdown_abandoned_work", tasks=left)
                if notifier is not None:
                    await notifier.stop()
    finally:
        await store.close()


def _notifier(
    settings: Settings,
    services: Services,
    store: Store,
    client: AsyncWebClient,
    metrics: Metrics,
) -> NotifierService | None:
    """Notifications need Bruin; without it the rest of the bot runs as usual."""
    bruin = services.bruin_client
    if bruin is None:
        return None
    delivery = Delivery(
        store,
        bruin,
        client,
        portal_url=settings.bruin_portal_url,
        on_sent=lambda kind, count: metrics.notifications.labels(kind).inc(count),
    )
    return NotifierService(
        intake=Intake(store, bruin),
        delivery=delivery,
        poll_seconds=settings.chatops_poll_seconds,
        default_customer=settings.bruin_customer_id,
        metrics=metrics,
    )


async def run(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    gc_policy.tune()
    collector = gc_policy.QuietCollector()
    async with running_bot(settings):
        # Start-up objects live for the whole process: keep the collector off them.
        gc_policy.freeze_startup_heap()
        collector.start()
        try:
            await stop.wait()
        finally:
            await collector.stop()
        log.info("shutting_down")
    return 0
