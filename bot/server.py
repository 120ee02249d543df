"""The HTTP side of ``chatops-bot run``: Slack's Request URL plus health, readiness, metrics.

``POST /slack/events`` takes slash commands, interactivity and events on one URL (bolt
verifies the signature: 5-minute window, constant-time compare). ``/readyz`` answers 200
only once the bot is warm: store open, backend token fetched, Slack auth.test passed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.app import SlackBot

__all__ = ["MAX_BODY", "BotServer"]

log = structlog.get_logger(__name__)

MAX_BODY = 512 * 1024
"""Largest request body accepted on any endpoint (Slack's payloads are far smaller)."""


@dataclass
class BotServer:
    bot: SlackBot
    app: AsyncApp
    http_events: bool = True
    ready: bool = False
    problems: dict[str, str] = field(default_factory=dict)
    started_at: float = field(default_factory=time.monotonic)

    def make_web_app(self) -> web.Application:
        web_app = web.Application(client_max_size=MAX_BODY)
        if self.http_events:
            web_app.router.add_post("/slack/events", self.slack_events)
        web_app.router.add_get("/healthz", self.healthz)
        web_app.router.add_get("/readyz", self.readyz)
        web_app.router.add_get("/metrics", self.metrics)
        return web_app

    async def slack_events(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        bolt_request = await to_bolt_request(request)
        bolt_response = await self.app.async_dispatch(bolt_request)
        kind = _kind(bolt_request.raw_body)
        self.bot.metrics.ack_seconds.labels(kind).observe(time.perf_counter() - started)
        return await to_aiohttp_response(bolt_response)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(self, request: web.Request) -> web.Response:
        if self.ready:
            try:
                await asyncio.wait_for(self.bot.store.ping(), 2)
            except Exception as exc:
                return web.json_response(
                    {"status": "not ready", "problems": {"store": type(exc).__name__}}, status=503
                )
            return web.json_response({"status": "ready"})
        return web.json_response(
            {
                "status": "warming up" if not self.problems else "not ready",
                "problems": self.problems,
            },
            status=503,
        )

    async def metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self.bot.metrics.render(), content_type="text/plain", charset="utf-8"
        )

    async def warm_up(self) -> bool:
        """Open what the first request would otherwise pay for; record what failed."""
        checks = {
            "store": self.bot.store.ping(),
            "slack": self.bot.authorize(),
        }
        if self.bot.services.bruin_client is not None:
            checks["bruin"] = self.bot.services.bruin_client.check_token()
        results = await asyncio.gather(*checks.values(), return_exceptions=True)
        self.problems = {
            name: _describe(result)
            for name, result in zip(checks, results, strict=True)
            if isinstance(result, BaseException)
        }
        self.ready = not self.problems
        log.info(
            "warm_up_done" if self.ready else "warm_up_failed",
            problems=self.problems,
            seconds=round(time.monotonic() - self.started_at, 3),
        )
        return self.ready


def _describe(exc: BaseException) -> str:
    user_message = getattr(exc, "user_message", None)
    if callable(user_message):
        return str(user_message())
    response = getattr(exc, "response", None)
    error = response.get("error") if response is not None and hasattr(response, "get") else None
    return f"{type(exc).__name__}: {error}" if error else type(exc).__name__


def _kind(body: str) -> str:
    if body.startswith("payload="):
        return "interactive"
    if body.startswith("{"):
        return "event"
    if "command=" in body:
        return "command"
    return "other"
