"""``chatops-bot run``: wire Settings -> store, clients, Slack app, HTTP server / Socket Mode."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import signal
import time
from collections.abc import AsyncIterator, Awaitable
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
from bot.notify.digests import DigestRunner
from bot.notify.intake import Intake
from bot.notify.service import NotifierService
from bot.render.text import configure_zone
from bot.services import open_services
from bot.slack.app import SlackBot, build_app, make_web_client
from bot.slack.server import BotServer
from bot.store import Store

__all__ = [
    "CLOSE_SECONDS",
    "DRAIN_SECONDS",
    "SHUTDOWN_SECONDS",
    "RunningBot",
    "run",
    "running_bot",
]

log = structlog.get_logger(__name__)

DRAIN_SECONDS = 20.0
"""The drain bound: after SIGTERM, accepted Slack work and accepted webhooks get this long to
finish (``/readyz`` answers 503 and new work is turned away meanwhile)."""
CLOSE_SECONDS = 5.0
"""After the drain: stopping the notifier (which releases the poller lease), the HTTP server
and the store, all within this bound."""
SHUTDOWN_SECONDS = DRAIN_SECONDS + CLOSE_SECONDS
"""The longest a clean stop takes from SIGTERM to exit 0. An orchestrator's grace period
must exceed it (Kubernetes ``terminationGracePeriodSeconds`` after the preStop pause, compose
``stop_grace_period``; tests/deploy keeps both in step with this number)."""
WARM_RETRY_SECONDS = (2.0, 5.0, 10.0, 30.0, 60.0)
"""Pauses between warm-up attempts when the first failed (then every 60 s): a replica
whose dependency was down at start becomes ready when it returns, with no restart."""


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
    drain_seconds: float = DRAIN_SECONDS,
) -> AsyncIterator[RunningBot]:
    """Start everything ``run`` starts and stop it gracefully on exit (:func:`_shut_down`)."""
    _require_slack(settings)
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
            if notifier is not None:
                notifier.delivery.on_access_lost = bot.access_lost
            app = build_app(bot)
            server = BotServer(
                bot=bot, app=app, http_events=not settings.socket_mode, notifier=notifier
            )
            runner, bound = await server.listen(
                settings.host if host is None else host, settings.port if port is None else port
            )
            handle = None
            rewarm: asyncio.Task[None] | None = None
            try:
                warm = asyncio.create_task(server.warm_up())
                if settings.socket_mode:
                    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

                    assert settings.slack_app_token is not None
                    handle = AsyncSocketModeHandler(
                        app, settings.slack_app_token.get_secret_value(), web_client=client
                    )
                    await handle.connect_async()  # type: ignore[no-untyped-call]
                if not await warm:
                    rewarm = asyncio.create_task(_keep_warming(server), name="rewarm")
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
                if rewarm is not None:
                    rewarm.cancel()
                await _shut_down(bot, runner, handle, notifier, drain_seconds)
    finally:
        await _bounded(store.close(), "store_close", time.monotonic() + CLOSE_SECONDS)


def _require_slack(settings: Settings) -> None:
    """Stop with one sentence when the Slack settings cannot work at all."""
    if settings.slack_bot_token is None:
        raise SystemExit("chatops-bot run: set SLACK_BOT_TOKEN (xoxb-…) first.")
    if not settings.socket_mode and settings.slack_signing_secret is None:
        raise SystemExit(
            "chatops-bot run: HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN "
            "for Socket Mode)."
        )


async def _shut_down(
    bot: SlackBot,
    runner: web.AppRunner,
    socket: Any,
    notifier: NotifierService | None,
    drain_seconds: float,
) -> None:
    """The graceful stop, within ``drain_seconds + CLOSE_SECONDS``:

    1. take no new work: ``/readyz`` answers 503 (the HTTP server stays up, so probes and
       load balancers see it), Slack requests are turned away (events with 503, so Slack
       redelivers them to another replica), the Socket Mode connection is closed;
    2. drain: accepted Slack work and queued webhooks finish, within ``drain_seconds``;
    3. close: the notifier stops and releases the poller lease (another replica takes it
       at its next ask), then the HTTP server; each step bounded, within CLOSE_SECONDS.
    """
    started = time.monotonic()
    bot.inflight.draining = True
    log.info("draining", in_flight=len(bot.inflight), bound_seconds=drain_seconds)
    drained_by = started + drain_seconds
    if socket is not None:
        await _bounded(socket.close_async(), "socket_mode_close", drained_by)
    left = await bot.inflight.drain(max(drained_by - time.monotonic(), 0.0))
    if notifier is not None:
        await _bounded(notifier.drain(), "webhook_queue_drain", drained_by)
    if left:
        log.warning("shutdown_abandoned_work", tasks=left)
    closed_by = time.monotonic() + CLOSE_SECONDS
    if notifier is not None:
        await _bounded(notifier.stop(), "notifier_stop", closed_by)
    await _bounded(runner.cleanup(), "http_close", closed_by)
    log.info("drained", seconds=round(time.monotonic() - started, 3), abandoned=left)


async def _bounded(step: Awaitable[Any], what: str, deadline: float) -> None:
    """Await one shutdown step until ``deadline`` (``time.monotonic()``); a step that fails
    or overruns is logged and the stop goes on."""
    try:
        await asyncio.wait_for(step, max(deadline - time.monotonic(), 0.0))
    except TimeoutError:
        log.warning("shutdown_step_timed_out", step=what)
    except Exception as exc:
        log.warning("shutdown_step_failed", step=what, error=repr(exc))


async def _keep_warming(server: BotServer) -> None:
    """Retry a failed warm-up with growing pauses until it passes (``/readyz`` turns 200)."""
    pauses = itertools.chain(WARM_RETRY_SECONDS, itertools.repeat(WARM_RETRY_SECONDS[-1]))
    for pause in pauses:
        await asyncio.sleep(pause)
        if server.bot.inflight.draining or await server.warm_up():
            return


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
        digests=DigestRunner(
            store,
            bruin,
            client,
            portal_url=settings.bruin_portal_url,
            zone=settings.display_zone,
        ),
    )


async def run(settings: Settings) -> int:
    """Serve until SIGTERM or SIGINT, then stop gracefully (:func:`_shut_down`) and return 0.

    ``/readyz`` answers 503 from the moment the signal arrives. A signal during start-up
    (waiting for the migration lock, warming up) abandons the start and also returns 0."""
    _require_slack(settings)
    stop = asyncio.Event()
    started: list[RunningBot] = []

    def on_signal(name: str) -> None:
        if not stop.is_set():
            log.info("shutdown_requested", signal=name)
        stop.set()
        for running in started:
            running.server.bot.inflight.draining = True  # /readyz: 503 from now on

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig.name)
    gc_policy.tune()
    serve = asyncio.create_task(_serve(settings, stop, started), name="serve")
    stopped = asyncio.create_task(stop.wait(), name="stop-signal")
    try:
        await asyncio.wait({serve, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not started and not serve.done():
            log.info("start_abandoned")
            serve.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serve
    finally:
        stopped.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 0


async def _serve(settings: Settings, stop: asyncio.Event, started: list[RunningBot]) -> None:
    collector = gc_policy.QuietCollector()
    async with running_bot(settings) as running:
        started.append(running)
        if stop.is_set():  # the signal came while the last start-up step ran
            running.server.bot.inflight.draining = True
        # Start-up objects live for the whole process: keep the collector off them.
        gc_policy.freeze_startup_heap()
        collector.start()
        try:
            await stop.wait()
        finally:
            await collector.stop()
        log.info("shutting_down")
