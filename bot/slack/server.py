"""The HTTP side of ``chatops-bot run``: Slack's Request URL plus health, readiness, metrics.

``POST /slack/events`` takes slash commands, interactivity and events on one URL. Every
request is checked here before bolt sees it, in this order:

1. the body arrives within ``CHATOPS_HTTP_BODY_TIMEOUT_SECONDS`` (else 408) and is at most
   :data:`MAX_BODY` bytes (else 413);
2. the signature headers are well formed and the v0 HMAC of the **raw bytes** matches within
   the 5-minute window (else 401; bolt checks it again on the same bytes);
3. the body is parsed by what it is, not by a substring: a form with a ``payload`` field is
   interactivity, any other form a slash command (or ``ssl_check``), JSON an event; it must be
   UTF-8, nested at most :data:`MAX_DEPTH` deep and in Slack's shape (else 400 with one
   short reason);
4. the (timestamp, signature) pair is claimed in the store: a replay of the same signed
   request, on any replica, is answered 200 and nothing is done.

Events and interactions no listener handles (``app_rate_limited``, ``reaction_added``,
``view_closed`` of an unknown view, …) are answered 200 (Slack retries, and disables event
subscriptions, on errors) and logged once per type.

Connections are bounded when served through :meth:`BotServer.listen`: at most
``CHATOPS_HTTP_MAX_CONNECTIONS`` open (one more is answered 503 and closed), and request
headers complete within ``CHATOPS_HTTP_HEADER_TIMEOUT_SECONDS`` of the connection opening or
of the first byte of a later request (else the connection is closed). An idle keep-alive
connection is kept :data:`KEEPALIVE_SECONDS` (longer than load balancers' idle timeouts, so
they never reuse a connection we are closing). ``/readyz`` answers 200 only once the bot is
warm (store open, backend token fetched, Slack auth.test passed), not revoked and not
draining (from the moment SIGTERM arrives it answers 503 ``{"status": "draining"}``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.notify.service import NotifierService
from bot.notify.webhook import SIGNATURE_HEADER, WebhookError, parse_event, verify
from bot.slack.app import SlackBot
from bot.slack.once import REPLAY_WINDOW

__all__ = [
    "MAX_BODY",
    "MAX_DEPTH",
    "REPLAY_KIND",
    "BotServer",
    "ConnectionGuard",
    "Malformed",
    "json_too_deep",
    "malformed",
    "parse_slack_body",
]

log = structlog.get_logger(__name__)

MAX_BODY = 512 * 1024
"""Largest request body accepted on any endpoint (Slack's payloads are far smaller)."""
MAX_DEPTH = 64
"""Deepest JSON nesting accepted (Slack's deepest payloads, rich text in a modal, are ~15)."""
KEEPALIVE_SECONDS = 75.0
"""Idle time of a keep-alive connection (above the 60 s idle timeout of common load balancers)."""
REPLAY_KIND = "slack_request"
"""Store claim kind of a (timestamp, signature) pair already served."""
UNHANDLED_TYPES_LOGGED = 1000
"""Distinct unhandled request types remembered for log-once (bounded)."""

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SLACK_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_HEX_SIGNATURE = re.compile(r"[0-9A-Fa-f]{64}")
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class Malformed(Exception):
    """A (signed) body that is not in Slack's shape; ``str()`` is the short reason."""


@dataclass
class BotServer:
    bot: SlackBot
    app: AsyncApp
    http_events: bool = True
    notifier: NotifierService | None = None
    ready: bool = False
    problems: dict[str, str] = field(default_factory=dict)
    started_at: float = field(default_factory=time.monotonic)
    revoked: str | None = None
    connections: ConnectionGuard | None = None
    _unhandled_seen: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        # bolt warns on every unhandled request (with a code suggestion); we log once per type.
        if not any(isinstance(f, _BoltUnhandledFilter) for f in self.app.logger.filters):
            self.app.logger.addFilter(_BoltUnhandledFilter())

    # -- serving --------------------------------------------------------------------------

    def make_web_app(self) -> web.Application:
        settings = self.bot.settings
        web_app = web.Application(
            client_max_size=MAX_BODY,
            middlewares=[_request_phase],
            handler_args={
                "keepalive_timeout": KEEPALIVE_SECONDS,
                # After an early answer (408, 413), read and drop the rest only this long.
                "lingering_time": min(settings.chatops_http_body_timeout_seconds, 2.0),
            },
        )
        if self.http_events:
            web_app.router.add_post("/slack/events", self.slack_events)
        web_app.router.add_post("/bruin/webhook", self.bruin_webhook)
        web_app.router.add_get("/healthz", self.healthz)
        web_app.router.add_get("/readyz", self.readyz)
        web_app.router.add_get("/metrics", self.metrics)
        return web_app

    async def listen(self, host: str, port: int) -> tuple[web.AppRunner, int]:
        """Serve :meth:`make_web_app` on ``host:port`` behind a :class:`ConnectionGuard`
        (``CHATOPS_HTTP_MAX_CONNECTIONS``, ``CHATOPS_HTTP_HEADER_TIMEOUT_SECONDS``). Returns
        the runner (``await runner.cleanup()`` stops it) and the bound port."""
        settings = self.bot.settings
        limit = ConnectionGuard(
            settings.chatops_http_max_connections, settings.chatops_http_header_timeout_seconds
        )
        self.connections = limit
        runner = web.AppRunner(self.make_web_app(), handle_signals=False)
        await runner.setup()
        site = _LimitedSite(runner, host, port, limit)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        return runner, site.bound_port

    # -- Slack ----------------------------------------------------------------------------

    async def slack_events(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        raw_bytes = await self._read_body(request)
        headers = {k.lower(): v for k, v in request.headers.items()}  # last one wins, as bolt
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not self._signed(raw_bytes, timestamp, signature):
            if _is_ssl_check(raw_bytes):  # bolt answers these unsigned too; nothing is done
                return web.Response(status=200, text="")
            return web.Response(status=401, text="invalid signature")
        try:
            raw = _utf8(raw_bytes)
            kind, body = parse_slack_body(raw, headers.get("content-type"))
            bolt_request = _bolt_request(raw, body, request.query_string, headers)
        except Malformed as exc:
            log.warning("malformed_payload", problem=str(exc))
            return web.Response(status=400, text=f"malformed payload: {exc}")

        key = f"{timestamp}:{signature}"
        # An event with an event_id is claimed by that id in the app's middleware (which also
        # catches Slack's retries, re-signed): a second claim per event would repeat it.
        by_event_id = body.get("type") == "event_callback" and bool(body.get("event_id"))
        if not by_event_id and not await self.bot.once.first(REPLAY_KIND, key):
            log.warning("replayed_request_dropped", kind=kind)
            return web.Response(status=200, text="")

        bolt_response = await self.app.async_dispatch(bolt_request)
        if _is_unhandled(bolt_response):
            bolt_response = self._unhandled(kind, body, bolt_response)
        if bolt_response.status >= 500 and not by_event_id:  # nothing done: let a retry through
            await self.bot.once.forget(REPLAY_KIND, key)
        self.bot.metrics.ack_seconds.labels(kind).observe(time.perf_counter() - started)
        return await to_aiohttp_response(bolt_response)

    def _signed(self, raw: bytes, timestamp: str, signature: str) -> bool:
        """Slack's v0 signature over the raw bytes, headers checked for form first (a
        malformed header is a refusal, never an exception)."""
        secret = self.bot.settings.slack_signing_secret
        if secret is None:
            return False
        if not _TIMESTAMP.fullmatch(timestamp) or not _SLACK_SIGNATURE.fullmatch(signature):
            return False
        if abs(time.time() - int(timestamp)) > REPLAY_WINDOW:
            return False
        base = b"v0:" + timestamp.encode("ascii") + b":" + raw
        digest = hmac.new(secret.get_secret_value().encode(), base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"v0={digest}", signature)

    def _unhandled(self, kind: str, body: dict[str, Any], response: BoltResponse) -> BoltResponse:
        """No listener for it: logged once per type. Events and interactivity are answered
        200 (on errors Slack retries events, and disables subscriptions that keep failing);
        a slash command nobody registered keeps bolt's 404 (Slack shows the user it failed)."""
        what = _type_of(kind, body)
        if what not in self._unhandled_seen and len(self._unhandled_seen) < UNHANDLED_TYPES_LOGGED:
            self._unhandled_seen.add(what)
            log.warning("unhandled_request", kind=kind, type=what)
        if kind == "command":
            return response
        return BoltResponse(status=200, body="")

    async def _read_body(self, request: web.Request) -> bytes:
        """The whole body within the body timeout (408 otherwise; 413 beyond MAX_BODY)."""
        try:
            async with asyncio.timeout(self.bot.settings.chatops_http_body_timeout_seconds):
                return await request.read()
        except TimeoutError:
            log.warning("slow_request_body", path=request.path)
            raise web.HTTPRequestTimeout(
                text="request body too slow", headers={"Connection": "close"}
            ) from None

    # -- Bruin ----------------------------------------------------------------------------

    async def bruin_webhook(self, request: web.Request) -> web.Response:
        """Bruin events (Created, NewNoteAdded, Closed, Unresolved): verify, then queue a
        re-read of the ticket. A bad or missing signature is refused and nothing stored."""
        secret = self.bot.settings.bruin_webhook_secret
        if secret is None or self.notifier is None:
            return web.json_response({"error": "webhooks are not enabled"}, status=404)
        body = await self._read_body(request)
        signature = (request.headers.get(SIGNATURE_HEADER) or "").strip()
        if not _HEX_SIGNATURE.fullmatch(signature) or not verify(
            body, signature, secret.get_secret_value()
        ):
            log.warning("webhook_bad_signature")
            return web.json_response({"error": "bad signature"}, status=401)
        try:
            if json_too_deep(body.decode("utf-8", errors="replace")):
                raise WebhookError(f"body nested deeper than {MAX_DEPTH}")
            event = parse_event(body)
        except WebhookError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except RecursionError:  # belt and braces: the depth check should have caught it
            return web.json_response({"error": "body nested too deep"}, status=400)
        if not self.notifier.submit(event):
            return web.json_response({"error": "busy, retry later"}, status=503)
        return web.json_response({"status": "queued"}, status=202)

    # -- health ---------------------------------------------------------------------------

    def revoke(self, reason: str) -> None:
        """The app was uninstalled or its token revoked: from now on ``/readyz`` answers 503
        with ``reason`` (call it from the ``app_uninstalled`` / ``tokens_revoked`` listeners)."""
        self.revoked = reason[:200] or "revoked"
        log.error("slack_access_revoked", reason=self.revoked)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(self, request: web.Request) -> web.Response:
        if self.bot.inflight.draining:  # SIGTERM: out of the load balancer at once
            return web.json_response({"status": "draining"}, status=503)
        revoked = self.revoked or getattr(self.bot, "revoked", None)
        if revoked:
            return web.json_response(
                {"status": "revoked", "problems": {"slack": str(revoked)}}, status=503
            )
        if self.ready:
            body: dict[str, object] = {"status": "ready"}
            try:
                await asyncio.wait_for(self.bot.store.ping(), 2)
            except Exception as exc:
                # Every replica shares the store: failing readiness here would take them all
                # out of the load balancer at once. Warm, the bot answers reads without it
                # (writes say the store is unavailable), so it stays in, and says so.
                body = {"status": "degraded", "problems": {"store": type(exc).__name__}}
            if self.notifier is not None:  # which replica polls (the poller lease)
                body["poller"] = {
                    "holder": self.notifier.holder,
                    "holds_lease": self.notifier.is_leader,
                }
            return web.json_response(body)
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


# -- parsing --------------------------------------------------------------------------------


def parse_slack_body(raw: str, content_type: str | None) -> tuple[str, dict[str, Any]]:
    """``(kind, body)`` of a Slack HTTP body: ``kind`` is ``event`` (JSON), ``interactive``
    (a form whose ``payload`` field holds the JSON), ``command`` (any other form with a
    ``command`` field) or ``other`` (``ssl_check``, empty). Raises :class:`Malformed`.

    JSON is recognised exactly as bolt does (``Content-Type: application/json`` or a body
    starting with ``{``) so that bolt never parses a body differently from this."""
    media_type = content_type.split(";")[0] if content_type else None
    if media_type == "application/json" or raw.startswith("{"):
        kind, body = "event", _json_object(raw, "body")
    else:
        form = dict(parse_qsl(raw, keep_blank_values=True))
        if "payload" in form:
            kind, body = "interactive", _json_object(form["payload"], "payload")
        else:
            kind, body = ("command" if "command" in form else "other"), dict(form)
    problem = malformed(body)
    if problem is not None:
        raise Malformed(problem)
    return kind, body


def json_too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON ``text`` nests objects/arrays deeper than ``limit`` (strings ignored;
    linear, no recursion, nothing built)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _BRACKETS.finditer(_JSON_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _json_object(text: str, what: str) -> dict[str, Any]:
    if json_too_deep(text):
        raise Malformed(f"{what} nested deeper than {MAX_DEPTH}")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Malformed(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise Malformed(f"{what} is not a JSON object")
    return value


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("body is not UTF-8") from None


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
_NULLABLE_KEYS = frozenset(
    {
        "team",  # null on Enterprise Grid org-wide installs (the user's team is user.team_id)
        "enterprise",  # null outside Enterprise Grid
    }
)
_USER_TYPES = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
    }
)
_CALLBACK_TYPES = frozenset(
    {
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
        "dialog_cancellation",
        "dialog_suggestion",
        "workflow_step_edit",
    }
)


def malformed(body: dict[str, Any]) -> str | None:
    """Why a (signed) payload is not in Slack's shape, before bolt or a listener trusts it:
    every field bolt or a listener reads without checking has the type Slack documents."""
    auths = body.get("authorizations")
    if auths is not None and not (
        isinstance(auths, list) and all(isinstance(a, dict) for a in auths)
    ):
        return "authorizations is not a list of objects"
    urls = body.get("response_urls")
    if urls is not None and not (isinstance(urls, list) and all(isinstance(u, dict) for u in urls)):
        return "response_urls is not a list of objects"
    for key in _OBJECT_KEYS:
        if key not in body or isinstance(body[key], dict):
            continue
        if body[key] is None and key in _NULLABLE_KEYS:
            continue
        return f"{key} is not an object"
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "event without a type"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "actions is not a non-empty list"
        if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            return "an action without action_id"
    if kind == "block_suggestion" and not isinstance(body.get("action_id"), str):
        return "no action_id"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            return "view without callback_id"
    if kind in _CALLBACK_TYPES and not isinstance(body.get("callback_id"), str):
        return "no callback_id"
    if kind in _USER_TYPES:
        user = body.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            return "no user id"
    if "command" in body and not isinstance(body["command"], str):
        return "command is not a string"
    return None


def _bolt_request(
    raw: str, body: dict[str, Any], query: str, headers: Mapping[str, str]
) -> AsyncBoltRequest:
    """A bolt request that verifies the signature on ``raw`` but carries the body parsed
    here (bolt's own parser takes any form containing the word "payload" for
    interactivity). The context (team, user, channel, response_url) is built by bolt from
    that body, through its public constructor."""
    # bolt's own x-slack-bolt-* headers (lazy re-dispatch) are not Slack's and not signed.
    kept: dict[str, str | Sequence[str]] = {
        k: v for k, v in headers.items() if not k.startswith("x-slack-bolt-")
    }
    try:
        request = AsyncBoltRequest(body=raw, query=query, headers=kept)
        parsed = AsyncBoltRequest(body=body, headers=kept, mode="socket_mode")
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        raise Malformed("not in Slack's shape") from None
    request.body = parsed.body
    request.context = parsed.context
    return request


def _is_ssl_check(raw: bytes) -> bool:
    try:
        form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return False
    return form.get("ssl_check") == "1" and "command" not in form and "payload" not in form


def _is_unhandled(response: BoltResponse) -> bool:
    """bolt's answer when no listener matched: 404 ``{"error": "unhandled request"}``."""
    if response.status != 404:
        return False
    try:
        return bool(json.loads(response.body) == {"error": "unhandled request"})
    except (TypeError, ValueError):
        return False


def _type_of(kind: str, body: dict[str, Any]) -> str:
    event = body.get("event")
    if kind == "event" and isinstance(event, dict):
        return f"event:{str(event.get('type'))[:60]}"
    if kind == "command":
        return f"command:{str(body.get('command'))[:60]}"
    return f"{kind}:{str(body.get('type'))[:60]}"


class _BoltUnhandledFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unhandled request")


def _describe(exc: BaseException) -> str:
    user_message = getattr(exc, "user_message", None)
    if callable(user_message):
        return str(user_message())
    response = getattr(exc, "response", None)
    error = response.get("error") if response is not None and hasattr(response, "get") else None
    return f"{type(exc).__name__}: {error}" if error else type(exc).__name__


# -- connection guard -----------------------------------------------------------------------


class ConnectionGuard:
    """Open connections, bounded: beyond ``maximum`` a new one is answered 503 and closed;
    one whose request headers take longer than ``header_timeout`` is closed."""

    def __init__(self, maximum: int, header_timeout: float) -> None:
        self.maximum = maximum
        self.header_timeout = header_timeout
        self.open = 0
        self.refused = 0
        self.slow_headers = 0

    def admit(self, make: Callable[[], asyncio.Protocol]) -> asyncio.Protocol:
        if self.open >= self.maximum:
            self.refused += 1
            if self.refused == 1 or self.refused % 100 == 0:
                log.warning("too_many_connections", open=self.open, refused=self.refused)
            return _Refuse()
        self.open += 1
        return _Guarded(make(), self)

    def closed(self) -> None:
        self.open -= 1

    def too_slow(self) -> None:
        self.slow_headers += 1
        if self.slow_headers == 1 or self.slow_headers % 100 == 0:
            log.warning("slow_request_headers", closed=self.slow_headers)


class _Guarded(asyncio.Protocol):
    """aiohttp's protocol for one connection, counted until it is lost, with a deadline
    for request headers: armed when the connection opens and at the first byte after each
    request, cleared when a request starts (:func:`_request_phase`). Bytes arriving while
    a request runs are its body (the body timeout covers those)."""

    def __init__(self, inner: asyncio.Protocol, guard: ConnectionGuard) -> None:
        self._inner = inner
        self._guard: ConnectionGuard | None = guard
        self._transport: asyncio.BaseTransport | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._in_request = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._arm()
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if not self._in_request and self._deadline is None:
            self._arm()
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._guard is not None:
            self._guard.closed()
            self._guard = None
        self._inner.connection_lost(exc)

    def request_started(self) -> None:
        self._in_request = True
        self._disarm()

    def request_finished(self) -> None:
        self._in_request = False

    def _arm(self) -> None:
        if self._guard is not None:
            loop = asyncio.get_running_loop()
            self._deadline = loop.call_later(self._guard.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self._in_request or self._transport is None or self._transport.is_closing():
            return
        if self._guard is not None:
            self._guard.too_slow()
        self._transport.close()


@web.middleware
async def _request_phase(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Tell the connection's guard (if it has one) that its request headers are in."""
    transport = request.transport
    guarded = transport.get_protocol() if transport is not None else None
    if not isinstance(guarded, _Guarded):
        return await handler(request)
    guarded.request_started()
    try:
        return await handler(request)
    finally:
        guarded.request_finished()


_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 20\r\n"
    b"Retry-After: 1\r\n"
    b"Connection: close\r\n\r\n"
    b"too many connections"
)


class _Refuse(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(_BUSY)
        transport.close()


class _LimitedSite(web.BaseSite):
    """A TCP site whose connections pass a :class:`ConnectionGuard` first."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, limit: ConnectionGuard):
        super().__init__(runner)
        factory = runner.server
        assert factory is not None  # runner.setup() ran
        self._chatops_factory = factory
        self._chatops_where = (host, port)
        self._chatops_limit = limit
        self.bound_port = port

    @property
    def name(self) -> str:
        host, port = self._chatops_where
        return f"http://{host}:{self.bound_port or port}"

    async def start(self) -> None:
        await super().start()  # registers the site with its runner (stopped by cleanup)
        host, port = self._chatops_where
        factory, limit = self._chatops_factory, self._chatops_limit
        server = await asyncio.get_running_loop().create_server(
            lambda: limit.admit(factory), host, port, backlog=128
        )
        self._server = server
        if server.sockets:
            self.bound_port = server.sockets[0].getsockname()[1]
