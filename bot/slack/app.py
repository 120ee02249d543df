"""The Slack app: an AsyncApp over the command core, built from Settings (never at import).

Every listener acks first, then runs the core, then replies through the one reply policy
(``bot.slack.reply``); every write passes the one write gate (``bot.core.gate``). Which
listeners exist comes from the registry the handler modules fill (``handlers``).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import structlog
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.errors import BackendError
from bot.core.caller import Surface
from bot.core.deps import NotConfigured
from bot.core.gate import Duplicate, Refused, failure_sentence
from bot.core.grammar import UsageError, tokenize
from bot.core.registry import Interaction, Registry, Step
from bot.render.blocks import ACTION_LIST_MORE, ACTION_OPEN_LINK, ACTION_SHOW_TICKET, Message
from bot.render.blocks import error_message as error_reply
from bot.render.text import code, md, md_join, truncate
from bot.render.values import show_or_more_command
from bot.slack import interactive as slack_ui
from bot.slack.bot import SlackBot, make_web_client
from bot.slack.detach import Listeners
from bot.slack.reply import Source
from handlers.catalog import build_registry
from handlers.ticket_actions import F_SERVICE, is_form_command
from handlers.workflow import invoker

__all__ = [
    "SlackBot",
    "build_app",
    "make_web_client",
    "registered",
]

log = structlog.get_logger(__name__)

MAX_INFLIGHT_TASKS = 2000
"""Beyond this much work in flight, new requests are turned away at once ("busy")."""
WORKING_AFTER = 2.0
"""Seconds before a slow command shows "Working on it…" (Bruin often takes 1–2 s)."""
_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")
EVENTS = (
    "app_mention",
    "message.im",
    "message.channels",
    "message.groups",
    "app_home_opened",
    "app_uninstalled",
    "tokens_revoked",
    "link_shared",
    "function_executed",
)


@dataclass(frozen=True)
class Registered:
    """What the app handles: the manifest test checks manifest.yml against this."""

    commands: tuple[str, ...]
    events: tuple[str, ...]
    shortcuts: tuple[str, ...]
    actions: tuple[str, ...]
    steps: tuple[Step, ...] = ()


def registered(registry: Registry | None = None) -> Registered:
    registry = registry or build_registry()
    return Registered(
        commands=tuple(registry.families),
        events=EVENTS,
        shortcuts=slack_ui.SHORTCUTS,
        actions=(
            ACTION_SHOW_TICKET,
            ACTION_LIST_MORE,
            ACTION_OPEN_LINK,
            F_SERVICE,
            *registry.actions,
        ),
        steps=tuple(registry.steps.values()),
    )


# -- listeners ---------------------------------------------------------------------------


async def on_command(
    ack: Callable[..., Awaitable[None]], command: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Every slash command: ack at once, then run the core, then reply."""
    await ack()
    bot: SlackBot = context["bot"]
    source = Source.of_command(command)
    if is_form_command(command["command"], command.get("text", "")):
        await slack_ui.open_create_from_command(bot, source)
        return
    caller = bot.caller(source.user_id, source.channel_id, "slash")
    task = asyncio.ensure_future(bot.run(command["command"], command.get("text", ""), caller))
    done, _ = await asyncio.wait({task}, timeout=WORKING_AFTER)
    if not done:
        await bot.replies.working(source)
    await bot.replies.answer(source, await task, working=not done)


def split_words(text: str) -> tuple[str, str] | None:
    """``<@U0BOT> ticket show 4503`` -> ("/ticket", "show 4503")."""
    text = _MENTION.sub("", text or "").strip()
    if not text:
        return None
    first, _, rest = text.partition(" ")
    return "/" + first.lstrip("/").lower(), rest.strip()


def _edit_answer(bot: SlackBot, parsed: tuple[str, str] | None) -> Message:
    """What an edited message would have run, and how to run it; nothing is run."""
    lines = [md("I don't run edited messages, so nothing was done.")]
    family = bot.dispatcher.families.get(parsed[0]) if parsed else None
    if parsed is not None and family is not None:
        command = code(truncate(f"{parsed[0]} {parsed[1]}".strip(), 300))
        try:
            sub, _ = family.resolve(tokenize(parsed[1]))
            what = md(" ({}{})", sub.summary, ", a write" if sub.write else "")
        except UsageError:
            what = md("")
        lines.append(md("Your edit asks for {}{}.", command, what))
        lines.append(md("To run it, send it again as a new message, or use {}.", command))
    else:
        lines.append(md("To ask me something, send a new message."))
    return error_reply(md_join(" ", lines))


async def _conversation(bot: SlackBot, event: dict[str, Any], surface: Surface) -> None:
    channel = event.get("channel", "")
    user = event.get("user", "")
    thread_ts = event.get("thread_ts") or event.get("ts") if surface == "mention" else None
    parsed = split_words(event.get("text", ""))
    if not user or event.get("bot_id"):
        # Another bot's or a workflow's message: no person to answer or to sign a write as.
        log.info("bot_message_ignored", surface=surface)
        return
    if surface == "mention" and event.get("thread_ts") and parsed is not None:
        in_card = await card_thread_command(bot, channel, str(event["thread_ts"]), parsed)
        if in_card is not None:
            parsed, surface = in_card, "thread"
    if event.get("edited"):
        # Slack re-sends an edited message (a new event id): running it again would write
        # twice. The editor is told, only in thread, what the edit asked for and how to ask.
        log.info("edited_message_not_run", surface=surface, command=parsed and parsed[0])
        source = Source(user_id=user, channel_id=channel, thread_ts=thread_ts or "")
        await bot.replies.private(source, _edit_answer(bot, parsed))
        return
    if parsed is None or parsed[0] == "/help":
        message = await bot.dispatcher.help_for(bot.caller(user, channel, surface))
    elif parsed[0] not in bot.dispatcher.families:
        message = error_reply(
            f"I don't know {parsed[0][1:]!r}. Try: ticket, note, inventory, site (or help).",
        )
    else:
        message = await bot.run(*parsed, bot.caller(user, channel, surface))
    source = Source(user_id=user, channel_id=channel, thread_ts=thread_ts or "")
    if not message.ok and surface in {"mention", "thread"}:
        await bot.replies.private(source, message)
        return
    await bot.replies.public(source, message)


THREAD_VERBS = frozenset({"/note", "/resolve", "/reopen", "/show"})
"""What ``@bot`` can do in the thread under a ticket's card, without the ticket's id."""


async def card_thread_command(
    bot: SlackBot, channel: str, thread_ts: str, parsed: tuple[str, str]
) -> tuple[str, str] | None:
    """``@bot note <text>``, ``resolve [reason]``, ``reopen``, ``show`` in the thread under a
    card the bot posted: the same command on that card's ticket. None elsewhere (and for the
    full forms, ``note add 4503 …``, which run as typed)."""
    verb, rest = parsed
    if verb not in THREAD_VERBS:
        return None
    if verb == "/note" and re.match(r"^(add|list)\s+#?\d+\b", rest, re.IGNORECASE):
        return None
    ticket_id = await bot.store.ticket_of_card(channel, thread_ts)
    if ticket_id is None:
        return None
    if verb == "/note":
        return "/note", f"add {ticket_id} {rest}".strip()
    if verb == "/resolve":
        return "/ticket", f"resolve {ticket_id} {rest}".strip()
    return "/ticket", f"{verb[1:]} {ticket_id}"


async def on_mention(
    ack: Callable[..., Awaitable[None]], event: dict[str, Any], context: AsyncBoltContext
) -> None:
    """``@bot ticket show 4503`` does what ``/ticket show 4503`` does, answered in thread.
    An edited mention (Slack sends it again with ``edited``) runs nothing: see
    ``_conversation``."""
    await ack()
    await _conversation(context["bot"], event, "mention")


async def on_message(
    ack: Callable[..., Awaitable[None]], event: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Direct messages: ``ticket show 4503`` in a DM with the bot; in channels that opted
    in (``/ticket config unfurl=on``), a preview of each ``#<id>`` mentioned."""
    await ack()
    if event.get("channel_type") in {"channel", "group"}:
        await _preview_mentions(context["bot"], event)
        return
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return
    await _conversation(context["bot"], event, "dm")


async def _preview_mentions(bot: SlackBot, event: dict[str, Any]) -> None:
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return
    channel = str(event.get("channel") or "")
    if "#" not in str(event.get("text") or "") or not await bot.store.channel_unfurl(channel):
        return  # the common case: one memory lookup, nothing else
    caller = bot.caller(str(event["user"]), channel, "unfurl")
    cards = await bot.unfurls.mentions(bot.services, caller, str(event.get("text") or ""))
    thread = str(event.get("thread_ts") or event.get("ts") or "")
    for card in cards:
        await bot.replies.public(Source(caller.user_id, channel, thread_ts=thread), card)


async def on_read_button(
    ack: Callable[..., Awaitable[None]], body: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Show (a list row: the card, only for the person who clicked) and More (the next
    page, replacing the list): the value opened and re-run as a command."""
    await ack()
    bot: SlackBot = context["bot"]
    source = Source.of_action(body)
    action = body["actions"][0]
    action_id = str(action.get("action_id"))
    try:
        value = bot.sealer.open_action(action_id, action.get("value"))
        text = show_or_more_command(action_id, value)
    except ValueError:  # Forged is a ValueError too
        text = None
    if text is None:
        log.warning("bad_button_value", action=action_id)
        message = error_reply("That button is out of date; run the command again.")
    else:
        message = await bot.run(
            "/ticket", text, bot.caller(source.user_id, source.channel_id, "button")
        )
    await bot.replies.private(source, message, replace=action_id == ACTION_LIST_MORE)


async def on_app_uninstalled(
    ack: Callable[..., Awaitable[None]], context: AsyncBoltContext
) -> None:
    """The app was removed from the workspace: its token is dead."""
    await ack()
    await context["bot"].revoke("app_uninstalled")


async def on_tokens_revoked(
    ack: Callable[..., Awaitable[None]], event: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Tokens were revoked; only the bot's own token matters here."""
    await ack()
    bot: SlackBot = context["bot"]
    revoked = (event.get("tokens") or {}).get("bot") or []
    auth = bot.auth
    if auth is None or auth.bot_user_id in revoked:
        await bot.revoke("tokens_revoked")


async def on_link_shared(
    ack: Callable[..., Awaitable[None]], event: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Bruin ticket links preview themselves (``handlers.unfurl`` says which)."""
    await ack()
    bot: SlackBot = context["bot"]
    channel = str(event.get("channel") or "")
    urls = [str(link.get("url") or "") for link in event.get("links") or []]
    caller = bot.caller(str(event.get("user") or ""), channel, "unfurl")
    previews = await bot.unfurls.previews(bot.services, caller, urls)
    if previews:
        await bot.replies.unfurl(channel, str(event.get("message_ts") or ""), previews)


async def on_workflow_step(
    ack: Callable[..., Awaitable[None]],
    event: dict[str, Any],
    complete: Callable[..., Awaitable[Any]],
    fail: Callable[..., Awaitable[Any]],
    context: AsyncBoltContext,
) -> None:
    """A Workflow Builder custom step (``handlers.workflow``): run it through the write gate
    as the workflow's invoking user, then complete it, or fail it with one sentence."""
    await ack()
    bot: SlackBot = context["bot"]
    step = bot.registry.steps[str((event.get("function") or {}).get("callback_id"))]
    inputs = event.get("inputs") or {}
    user = invoker(inputs)
    if step.writes and not user:
        await fail(error="This step needs its 'Run by' input: the person who ran the workflow.")
        return
    channel = str(inputs.get("channel_id") or "")
    turn = Interaction(bot.caller(user or "workflow", channel, "workflow"), bot.services, bot.gate)
    try:
        outputs = await step.handler(turn, inputs)
    except (Refused, Duplicate, UsageError, NotConfigured, BackendError) as exc:
        log.info("workflow_step_failed", step=step.callback_id, error=type(exc).__name__)
        await fail(error=failure_sentence(exc))
        return
    await complete(outputs=outputs)


async def on_link_button(ack: Callable[..., Awaitable[None]]) -> None:
    """Link buttons open in the browser; Slack still sends the click, which is acked."""
    await ack()


async def on_error(
    error: Exception, body: dict[str, Any], context: AsyncBoltContext
) -> BoltResponse | None:
    """The last resort: log everything, tell the person one sentence, never a traceback."""
    ref = uuid.uuid4().hex[:8]
    log.error("unhandled_error", ref=ref, error=repr(error), exc_info=error)
    bot: SlackBot | None = context.get("bot")
    url = body.get("response_url")
    if bot is not None and isinstance(url, str) and url:
        sentence = f"Something went wrong on our side (reference {ref}); please try again."
        try:
            await bot.replies.report_failure(url, sentence)
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
        event_id = body.get("event_id")
        is_event = body.get("type") == "event_callback" and event_id
        if is_event and not await bot.once.first("slack_event", str(event_id)):
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

    # bolt makes each request's client from this one with the token ``authorize`` returns (or
    # a workflow step's own token), so this one carries none: one source of the token.
    per_request = AsyncWebClient(
        base_url=bot.client.base_url,
        session=bot.client.session,
        timeout=bot.client.timeout,
        retry_handlers=bot.client.retry_handlers,
    )
    app = AsyncApp(
        name="chatops-bot",  # without a name bolt reads every caller's source (inspect.stack)
        client=per_request,
        signing_secret=secret,
        authorize=authorize,
        before_authorize=_make_gate(bot),
        request_verification_enabled=not settings.socket_mode,
        # Answer when the listener acks (see bot.slack.detach), not on bolt's 10 ms ack poll.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )
    listen = Listeners(app, track=bot.inflight.track, report=bot.replies.report_failure)
    for command in bot.registry.families:
        listen.command(command)(on_command)
    listen.event("app_mention")(on_mention)
    listen.event("message")(on_message)
    listen.event("link_shared")(on_link_shared)
    for callback_id in bot.registry.steps:
        listen.function(callback_id)(on_workflow_step)
    listen.event("app_uninstalled")(on_app_uninstalled)
    listen.event("tokens_revoked")(on_tokens_revoked)
    listen.action(ACTION_SHOW_TICKET)(on_read_button)
    listen.action(ACTION_LIST_MORE)(on_read_button)
    listen.action(ACTION_OPEN_LINK)(on_link_button)
    slack_ui.register(cast(AsyncApp, listen), bot.registry)  # it uses the same methods
    app.error(on_error)
    return app
