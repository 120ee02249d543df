"""The Slack adapter's one object per process: settings, services, the Web API client, the
write gate with its writers policy and rate limits, the dispatcher, the reply policy and
the sealer. Listeners find it in bolt's context as ``context["bot"]``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import aiohttp
import structlog
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.core.caller import Caller, Surface
from bot.core.deps import Services
from bot.core.dispatch import Dispatcher
from bot.core.gate import RateLimiter, WriteGate
from bot.core.registry import Registry
from bot.metrics import Metrics
from bot.notify.service import NotifierService
from bot.render.blocks import Message
from bot.slack.authz import WriterPolicy
from bot.slack.directory import SlackDirectory
from bot.slack.inflight import InFlight
from bot.slack.once import Once
from bot.slack.reply import Replies
from bot.slack.seal import Sealer, SealingWebClient, sealer_for
from bot.store import Store
from handlers.catalog import build_registry
from handlers.unfurl import UnfurlPolicy

__all__ = ["SlackBot", "make_web_client"]

log = structlog.get_logger(__name__)


def make_web_client(
    settings: Settings, *, session: aiohttp.ClientSession | None = None
) -> SealingWebClient:
    """The Web API client: SLACK_API_URL honoured; 429 and connection errors retried; one
    shared session (without one, slack_sdk opens a session per call); every button value
    and view metadata sealed on the way out."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return SealingWebClient(
        sealer=sealer_for(settings),
        token=token,
        base_url=settings.slack_api_url,
        session=session,
        timeout=10,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


@dataclass
class SlackBot:
    """Everything a listener needs; lives in bolt's context as ``context["bot"]``."""

    settings: Settings
    services: Services
    store: Store
    metrics: Metrics
    client: AsyncWebClient
    registry: Registry = field(default_factory=build_registry)
    directory: SlackDirectory = field(init=False)
    writers: WriterPolicy = field(init=False)
    gate: WriteGate = field(init=False)
    dispatcher: Dispatcher = field(init=False)
    replies: Replies = field(init=False)
    once: Once = field(init=False)
    sealer: Sealer = field(init=False)
    auth: AuthorizeResult | None = None
    inflight: InFlight = field(default_factory=InFlight)
    notifier: NotifierService | None = None
    unfurls: UnfurlPolicy = field(default_factory=UnfurlPolicy)
    revoked: str | None = None
    _auth_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _revoking: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        settings = self.settings
        self.directory = SlackDirectory(self.client)
        self.writers = WriterPolicy(settings.chatops_writers, self.client)
        self.sealer = (
            self.client.sealer
            if isinstance(self.client, SealingWebClient)
            else sealer_for(settings)
        )
        self.gate = WriteGate(
            authorize=self.writers.refusal_for,
            identify=self.identify,
            reads=RateLimiter(settings.chatops_rate_reads_per_minute),
            writes=RateLimiter(settings.chatops_rate_writes_per_minute),
            on_limited=lambda kind: self.metrics.rate_limited.labels(kind).inc(),
        )
        self.dispatcher = Dispatcher(self.registry, self.gate)
        self.once = Once(self.store)
        self.replies = Replies(
            self.client,
            store=self.store,
            metrics=self.metrics,
            sealer=self.sealer,
            response_url_prefix=settings.slack_response_url_prefix,
        )

    async def authorize(self) -> AuthorizeResult:
        """bolt's authorize: one auth.test per process (done during warm-up), then cached."""
        if self.auth is not None:
            return self.auth
        async with self._auth_lock:
            if self.auth is None:
                resp = await self.client.auth_test()
                self.auth = AuthorizeResult(
                    enterprise_id=resp.get("enterprise_id"),
                    team_id=resp.get("team_id"),
                    bot_user_id=resp.get("user_id"),
                    bot_id=resp.get("bot_id"),
                    bot_token=self.client.token,
                )
            return self.auth

    async def identify(self, caller: Caller) -> Caller:
        """The caller with the display name (for the audit line) and profile (contact
        details) from users.info, cached by the directory."""
        name, profile = await self.directory.person(caller.user_id)
        return Caller(caller.user_id, name, caller.channel_id, caller.surface, profile)

    def caller(self, user_id: str, channel_id: str, surface: Surface) -> Caller:
        """The caller as far as known without a call (users.info runs later, for writes)."""
        caller = Caller(user_id, user_id, channel_id, surface)
        known = self.directory.cached(user_id)
        if known is not None:
            caller = Caller(user_id, known[0], channel_id, surface, known[1])
        return caller

    async def revoke(self, reason: str) -> None:
        """Slack took the bot's access away: stop posting (replies and notifications) and
        turn ``/readyz`` to 503 with the reason (``bot.slack.server``)."""
        if self.revoked is not None:
            return
        self.revoked = reason
        self.replies.revoked = True
        log.error(
            "slack_access_revoked",
            reason=reason,
            hint="reinstall the app and set the new SLACK_BOT_TOKEN, then restart",
        )
        if self.notifier is not None:
            await self.notifier.stop()

    def access_lost(self, error: str) -> None:
        """A Web API call answered that the token no longer works (``token_revoked``, …):
        the same as the ``tokens_revoked`` event, in a task of its own (the caller may be
        the notifier that :meth:`revoke` stops)."""
        if self.revoked is None and not self._revoking:
            task = asyncio.get_running_loop().create_task(self.revoke(error), name="revoke")
            self._revoking.add(task)
            task.add_done_callback(self._revoking.discard)

    def channel_allowed(self, channel_id: str | None) -> bool:
        allowed = self.settings.chatops_channels
        return not allowed or not channel_id or channel_id in allowed

    async def run(self, command: str, text: str, caller: Caller) -> Message:
        """Dispatch and count by outcome (ok, usage, refused, error); the dispatcher turns
        every expected failure into a message, and anything else counts as an error."""
        try:
            message, outcome = await self.dispatcher.dispatch_with_outcome(
                command, text, caller, self.services
            )
        except Exception:
            self.metrics.commands.labels(command, "error").inc()
            raise
        self.metrics.commands.labels(command, outcome).inc()
        return message
