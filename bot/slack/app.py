"""The Slack app: an AsyncApp over the command core, built from Settings (never at import).

Every listener acks first, then calls the backend, then replies: ephemeral through
``response_url`` for reads, errors and usage; in channel through ``chat.postMessage`` for
results of writes, falling back to ``response_url`` where the bot is not in the channel.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import aiohttp
import structlog
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.core.dispatch import Caller, Dispatcher, Services, Surface
from bot.metrics import Metrics
from bot.render.blocks import ACTION_LIST_MORE, ACTION_OPEN_LINK, ACTION_SHOW_TICKET, Message
from bot.render.blocks import error_message as error_reply
from bot.slack import interactive as slack_ui
from bot.slack.authz import WriterPolicy
from bot.slack.detach import Detaching
from bot.slack.directory import SlackDirectory
from bot.slack.inflight import InFlight
from bot.slack.respond import SharedRespond
from bot.store import Store
from handlers import families
from handlers.ticket_actions import ACTIONS, F_SERVICE, button_command, is_form_command

__all__ = [
    "REGISTERED",
    "SlackBot",
    "build_app",
    "make_web_client",
]

log = structlog.get_logger(__name__)

MAX_INFLIGHT_TASKS = 2000
"""Beyond this much work in flight, new requests are turned away at once ("busy")."""
WORKING_AFTER = 2.0
"""Seconds before a slow command shows "Working on it…" (Bruin often takes 1–2 s)."""
NOT_IN_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived"}
_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")


@dataclass(frozen=True)
class Registered:
    """What the app handles: the manifest test checks manifest.yml against this."""

    commands: tuple[str, ...] = tuple(f.command for f in families())
    events: tuple[str, ...] = ("app_mention", "message.im", "app_home_opened")
    shortcuts: tuple[str, ...] = slack_ui.SHORTCUTS
    actions: tuple[str, ...] = (
        ACTION_SHOW_TICKET,
        ACTION_LIST_MORE,
        ACTION_OPEN_LINK,
        F_SERVICE,
        *ACTIONS,
    )


REGISTERED = Registered()


def make_web_client(
    settings: Settings, *, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """The Web API client: SLACK_API_URL honoured; 429 and connection errors retried;
    one shared session (without one, slack_sdk opens a session per call)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
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
    directory: SlackDirectory = field(init=False)
    dispatcher: Dispatcher = field(init=False)
    auth: AuthorizeResult | None = None
    inflight: InFlight = field(default_factory=InFlight)
    _auth_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.directory = SlackDirectory(self.client)
        self.writers = WriterPolicy(self.settings.chatops_writers, self.client)
        self.dispatcher = Dispatcher(families(), authorize=self._authorize, identify=self.identify)

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
        if caller.surface == "console" or (
            caller.display_name != caller.user_id and caller.profile is not None
        ):
            return caller
        name, profile = await self.directory.person(caller.user_id)
        return Caller(caller.user_id, name, caller.channel_id, caller.surface, profile)

    async def may_write(self, caller: Caller) -> str | None:
        """The one write gate for every surface (commands, buttons, modals, shortcuts, Home):
        None when ``caller`` may write, else the refusal sentence. CHATOPS_WRITERS empty
        means everyone."""
        return await self.writers.refusal(caller.user_id)

    async def _authorize(self, caller: Caller, sub: Any) -> str | None:
        return await self.may_write(caller)

    def channel_allowed(self, channel_id: str | None) -> bool:
        allowed = self.settings.chatops_channels
        return not allowed or not channel_id or channel_id in allowed

    async def run(self, command: str, text: str, caller: Caller) -> Message:
        """Dispatch and count; the dispatcher turns every expected failure into a message."""
        message = await self.dispatcher.dispatch(command, text, caller, self.services)
        self.metrics.commands.labels(command, "ok" if message.ok else "error").inc()
        return message

    async def reach(self, user: str, channel: str, message: Message) -> bool:
        """Show ``message`` to ``user`` without a response_url: ephemeral in the channel,
        else in their DM with the bot. False when Slack refused both."""
        try:
            await self.client.chat_postEphemeral(channel=channel, user=user, **message.to_dict())
            return True
        except SlackApiError as exc:
            self.metrics.slack_errors.labels("chat.postEphemeral", exc.response.get("error")).inc()
        try:
            return await self.post(user, message) is not None
        except SlackApiError as exc:
            log.warning("cannot_reach_user", user=user, error=exc.response.get("error"))
            return False

    async def post(
        self, channel: str, message: Message, *, thread_ts: str | None = None
    ) -> dict[str, Any] | None:
        """chat.postMessage; None when the bot cannot post there (caller falls back)."""
        try:
            resp = await self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, **message.to_dict()
            )
            data = dict(resp.data) if isinstance(resp.data, dict) else None
            if data and message.card_of is not None and thread_ts is None and data.get("ts"):
                # A ticket's card in a channel: its later updates thread under it.
                await self.store.remember_card(
                    str(data.get("channel") or channel), message.card_of, str(data["ts"])
                )
            return data
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown"))
            self.metrics.slack_errors.labels("chat.postMessage", error).inc()
            if error in NOT_IN_CHANNEL:
                return None
            raise


# -- listeners ---------------------------------------------------------------------------


async def _with_working(work: Awaitable[Message], respond: AsyncRespond) -> tuple[Message, bool]:
    """Await ``work``; if it is slow, show "Working on it…" first. Returns (result, shown)."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=WORKING_AFTER)
    if done:
        return task.result(), False
    await respond(text="Working on it…", response_type="ephemeral", replace_original=False)
    return await task, True


async def _deliver(
    bot: SlackBot,
    message: Message,
    *,
    respond: AsyncRespond,
    channel: str,
    user: str,
    working: bool,
) -> None:
    payload = message.to_dict()
    if message.public and await bot.post(channel, message) is not None:
        if working:
            await respond(delete_original=True)
        return
    response_type = "in_channel" if message.public else "ephemeral"
    answer = await respond(**payload, response_type=response_type, replace_original=working)
    if getattr(answer, "status_code", 200) != 200:
        # The response_url is used up or expired (5 uses, 30 minutes): reach the person
        # another way rather than drop the answer.
        log.warning("response_url_refused", status=getattr(answer, "status_code", None))
        await bot.reach(user, channel, message)


async def on_command(
    ack: Callable[..., Awaitable[None]],
    command: dict[str, Any],
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """Every slash command: ack at once, then run the core, then reply."""
    await ack()
    bot: SlackBot = context["bot"]
    if is_form_command(command["command"], command.get("text", "")):
        await slack_ui.open_create_from_command(bot, command)
        return
    caller = Caller(
        user_id=command["user_id"],
        display_name=command["user_id"],
        channel_id=command.get("channel_id", ""),
        surface="slash",
    )
    message, working = await _with_working(
        bot.run(command["command"], command.get("text", ""), caller), respond
    )
    await _deliver(
        bot,
        message,
        respond=respond,
        channel=caller.channel_id,
        user=caller.user_id,
        working=working,
    )


def split_words(text: str) -> tuple[str, str] | None:
    """``<@U0BOT> ticket show 4503`` -> ("/ticket", "show 4503")."""
    text = _MENTION.sub("", text or "").strip()
    if not text:
        return None
    first, _, rest = text.partition(" ")
    return "/" + first.lstrip("/").lower(), rest.strip()


async def _conversation(bot: SlackBot, event: dict[str, Any], surface: Surface) -> None:
    channel = event.get("channel", "")
    user = event.get("user", "")
    thread_ts = event.get("thread_ts") or event.get("ts") if surface == "mention" else None
    parsed = split_words(event.get("text", ""))
    if parsed is None or parsed[0] == "/help":
        message = bot.dispatcher.help()
    elif parsed[0] not in bot.dispatcher.families:
        message = error_reply(
            f"I don't know {parsed[0][1:]!r}. Try: ticket, note, inventory, site (or help).",
        )
    else:
        caller = Caller(user_id=user, display_name=user, channel_id=channel, surface=surface)
        message = await bot.run(*parsed, caller)
    if not message.ok and surface == "mention":
        await bot.client.chat_postEphemeral(
            channel=channel, user=user, thread_ts=thread_ts, **message.to_dict()
        )
        return
    await bot.post(channel, message, thread_ts=thread_ts)


async def on_mention(
    ack: Callable[..., Awaitable[None]], event: dict[str, Any], context: AsyncBoltContext
) -> None:
    """``@bot ticket show 4503`` does what ``/ticket show 4503`` does, answered in thread."""
    await ack()
    await _conversation(context["bot"], event, "mention")


async def on_message(
    ack: Callable[..., Awaitable[None]], event: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Direct messages: ``ticket show 4503`` in a DM with the bot."""
    await ack()
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return
    await _conversation(context["bot"], event, "dm")


async def on_show_button(
    ack: Callable[..., Awaitable[None]],
    body: dict[str, Any],
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """The Show button of a list: the ticket's card, only for the person who clicked."""
    await ack()
    bot: SlackBot = context["bot"]
    action = body["actions"][0]
    found = button_command(ACTION_SHOW_TICKET, str(action.get("value", "")))
    assert found is not None
    message = await bot.run(*found, _action_caller(body))
    await respond(**message.to_dict(), response_type="ephemeral", replace_original=False)


async def on_more_button(
    ack: Callable[..., Awaitable[None]],
    body: dict[str, Any],
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """The More button of a list: the next page replaces the list."""
    await ack()
    bot: SlackBot = context["bot"]
    found = button_command(ACTION_LIST_MORE, str(body["actions"][0].get("value") or ""))
    assert found is not None
    message = await bot.run(*found, _action_caller(body))
    await respond(**message.to_dict(), response_type="ephemeral", replace_original=True)


async def on_link_button(ack: Callable[..., Awaitable[None]]) -> None:
    """Link buttons open in the browser; Slack still sends the click, which is acked."""
    await ack()


def _action_caller(body: dict[str, Any]) -> Caller:
    user = (body.get("user") or {}).get("id", "")
    channel = (body.get("channel") or {}).get("id", "")
    return Caller(user_id=user, display_name=user, channel_id=channel, surface="button")


async def on_error(
    error: Exception, body: dict[str, Any], respond: AsyncRespond | None, logger: Any
) -> BoltResponse | None:
    """The last resort: log everything, tell the person one sentence, never a traceback."""
    ref = uuid.uuid4().hex[:8]
    log.error("unhandled_error", ref=ref, error=repr(error), exc_info=error)
    if respond is not None and body.get("response_url"):
        try:
            await respond(
                text=f"Something went wrong on our side (reference {ref}); please try again.",
                response_type="ephemeral",
                replace_original=False,
            )
        except Exception as exc:
            log.warning("error_reply_failed", ref=ref, error=repr(exc))
    return None


# -- global middleware -------------------------------------------------------------------


def _ephemeral_ack(text: str) -> BoltResponse:
    """A slash command's ack that answers at once, only to the person who typed it."""
    return BoltResponse(
        status=200,
        body=json.dumps({"response_type": "ephemeral", "text": text}),
        headers={"content-type": "application/json"},
    )


def _make_gate(bot: SlackBot) -> Callable[..., Awaitable[BoltResponse | None]]:
    async def gate(
        body: dict[str, Any],
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        """Before authorize: drop duplicate event deliveries, keep the bot out of channels it
        is not enabled in, and bind the request's log context."""
        context["bot"] = bot
        if bot.inflight.draining:  # shutting down: take nothing new
            if body.get("command"):
                return _ephemeral_ack("The bot is restarting; try again in a few seconds.")
            return BoltResponse(status=503, body="restarting")  # Slack redelivers events
        if len(bot.inflight) >= MAX_INFLIGHT_TASKS:  # admission control: bounded work
            log.warning("overloaded", inflight=len(bot.inflight))
            if body.get("command"):
                return _ephemeral_ack("The bot is busy; try again in a moment.")
            if body.get("type") == "event_callback":
                return BoltResponse(status=503, body="busy")  # Slack redelivers events
        bot.inflight.mark_request()
        if context.response_url:
            context["respond"] = SharedRespond(
                response_url=context.response_url, session=bot.client.session
            )
        event_id = body.get("event_id")
        is_event = body.get("type") == "event_callback" and event_id
        if is_event and not await bot.store.claim("slack_event", str(event_id)):
            log.info("duplicate_event_dropped", event_id=event_id)
            return BoltResponse(status=200, body="")
        channel = _channel_of(body)
        user = _user_of(body)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            user=user, channel=channel, command=body.get("command") or body.get("type")
        )
        if not bot.channel_allowed(channel):
            if body.get("command"):
                return _ephemeral_ack("This bot is not enabled in this channel.")
            return BoltResponse(status=200, body="")
        await next()
        return None

    return gate


def _channel_of(body: dict[str, Any]) -> str | None:
    if body.get("channel_id"):
        return str(body["channel_id"])
    for holder in (body.get("event"), body.get("channel"), body.get("container")):
        if isinstance(holder, dict):
            found = holder.get("channel") or holder.get("id") or holder.get("channel_id")
            if isinstance(found, str) and found[:1] in {"C", "G", "D"}:
                return found
        elif isinstance(holder, str):
            return holder
    return None


def _user_of(body: dict[str, Any]) -> str | None:
    if body.get("user_id"):
        return str(body["user_id"])
    event = body.get("event")
    if isinstance(event, dict) and event.get("user"):
        return str(event["user"])
    user = body.get("user")
    return str(user.get("id")) if isinstance(user, dict) else None


def build_app(bot: SlackBot) -> AsyncApp:
    """Build the bolt app and register every listener (nothing happens at import)."""
    settings = bot.settings
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return await bot.authorize()

    app = AsyncApp(
        name="chatops-bot",  # without a name bolt reads every caller's source (inspect.stack)
        client=bot.client,
        signing_secret=secret,
        authorize=authorize,
        before_authorize=_make_gate(bot),
        request_verification_enabled=not settings.socket_mode,
        # Answer when the listener acks (see bot.slack.detach), not on bolt's 10 ms ack poll.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )
    listen = cast(AsyncApp, Detaching(app))
    for command in REGISTERED.commands:
        listen.command(command)(on_command)
    listen.event("app_mention")(on_mention)
    listen.event("message")(on_message)
    listen.action(ACTION_SHOW_TICKET)(on_show_button)
    listen.action(ACTION_LIST_MORE)(on_more_button)
    listen.action(ACTION_OPEN_LINK)(on_link_button)
    slack_ui.register(listen)
    app.error(on_error)
    return app
