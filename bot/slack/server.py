"""The HTTP side of ``chatops-bot run``: Slack's Request URL plus health, readiness, metrics.

``POST /slack/events`` takes slash commands, interactivity and events on one URL (bolt
verifies the signature: 5-minute window, constant-time compare). ``/readyz`` answers 200
only once the bot is warm: store open, backend token fetched, Slack auth.test passed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

from bot.notify.service import NotifierService
from bot.notify.webhook import SIGNATURE_HEADER, WebhookError, parse_event, verify
from bot.slack.app import SlackBot

__all__ = ["MAX_BODY", "BotServer"]

log = structlog.get_logger(__name__)

MAX_BODY = 512 * 1024
"""Largest request body accepted on any endpoint (Slack's payloads are far smaller)."""


@dataclass
class BotServer:
    bot: SlackBot
    app: AsyncApp
    http_events: bool = True
    notifier: NotifierService | None = None
    ready: bool = False
    problems: dict[str, str] = field(default_factory=dict)
    started_at: float = field(default_factory=time.monotonic)

    def make_web_app(self) -> web.Application:
        web_app = web.Application(client_max_size=MAX_BODY)
        if self.http_events:
            web_app.router.add_post("/slack/events", self.slack_events)
        web_app.router.add_post("/bruin/webhook", self.bruin_webhook)
        web_app.router.add_get("/healthz", self.healthz)
        web_app.router.add_get("/readyz", self.readyz)
        web_app.router.add_get("/metrics", self.metrics)
        return web_app

    async def slack_events(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        raw = await request.text()
        problem = _shape_problem(raw, request.headers.get("content-type"))
        if problem is not None:  # bolt itself would crash on it: refuse before it looks
            headers = {k.lower(): v for k, v in request.headers.items()}
            if not self._signed(raw, headers):
                return web.Response(status=401, text="invalid signature")
            log.warning("malformed_payload", problem=problem)
            return web.Response(status=400, text=f"malformed payload: {problem}")
        bolt_request = AsyncBoltRequest(
            body=raw,
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
        )
        bolt_response = await self.app.async_dispatch(bolt_request)
        kind = _kind(raw)
        self.bot.metrics.ack_seconds.labels(kind).observe(time.perf_counter() - started)
        return await to_aiohttp_response(bolt_response)

    async def bruin_webhook(self, request: web.Request) -> web.Response:
        """Bruin events (Created, NewNoteAdded, Closed, Unresolved): verify, then queue a
        re-read of the ticket. A bad or missing signature is refused and nothing stored."""
        secret = self.bot.settings.bruin_webhook_secret
        if secret is None or self.notifier is None:
            return web.json_response({"error": "webhooks are not enabled"}, status=404)
        body = await request.read()
        if not verify(body, request.headers.get(SIGNATURE_HEADER), secret.get_secret_value()):
            log.warning("webhook_bad_signature")
            return web.json_response({"error": "bad signature"}, status=401)
        try:
            event = parse_event(body)
        except WebhookError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        if not self.notifier.submit(event):
            return web.json_response({"error": "busy, retry later"}, status=503)
        return web.json_response({"status": "queued"}, status=202)

    def _signed(self, raw: str, headers: dict[str, str]) -> bool:
        secret = self.bot.settings.slack_signing_secret
        if secret is None:
            return False
        return SignatureVerifier(secret.get_secret_value()).is_valid_request(raw, headers)

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
        if self.bot.services.bric_client is not None:
            checks["bric"] = self.bot.services.bric_client.check()
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


_OBJECT_KEYS = (
    "user",
    "channel",
    "container",
    "view",
    "team",
    "event",
    "message",
    "enterprise",
    "state",
)


def _shape_problem(raw: str, content_type: str | None) -> str | None:
    try:
        body: Any = parse_body(raw, content_type)
    except (ValueError, TypeError):
        return "not JSON"
    if not isinstance(body, dict):
        return "not a JSON object"
    return malformed(body)


def malformed(body: dict[str, Any]) -> str | None:
    """Why a (signed) payload is not in Slack's shape, before bolt or a listener trusts it."""
    auths = body.get("authorizations")
    if auths is not None and not (
        isinstance(auths, list) and all(isinstance(a, dict) for a in auths)
    ):
        return "authorizations is not a list of objects"
    for key in _OBJECT_KEYS:
        if key not in body or isinstance(body[key], dict):
            continue
        if body[key] is None and key == "enterprise":  # null outside Enterprise Grid
            continue
        return f"{key} is not an object"
    if body.get("type") == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "actions is not a non-empty list"
        if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            return "an action without action_id"
    if body.get("type") in ("block_actions", "view_submission", "shortcut", "message_action"):
        user = body.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            return "no user id"
    return None


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
