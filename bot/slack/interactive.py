"""Slack's interactive surfaces over ``handlers.ticket_actions``: modals (create ticket, add
note, message as note), the service-number search, card and preview buttons, the message
and global shortcuts, and the App Home tab.

Modals open at once inside the trigger_id's 3 s window with what is known, then
``views.update`` (with the view's hash) fills in what arrives later: the contact from
users.info, the message's permalink, the categories of the picked service number. Context
rides in ``private_metadata``. A submission is validated before the ack (errors appear next
to their field) and claimed by its view id before anything is written.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import html
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.clients.errors import BackendError
from bot.core.dispatch import Caller, NotConfigured, Surface
from bot.core.forms import Form, pack, parse_state, unpack
from bot.core.grammar import UsageError
from bot.render.blocks import Message, error_message, ticket_url
from bot.render.forms import form_view, info_view, options_payload
from bot.render.interactive import home_view
from bot.render.text import truncate
from handlers.ticket_actions import (
    ACTIONS,
    F_DESCRIPTION,
    F_NAME,
    F_SERVICE,
    FORM_CREATE,
    FORM_MESSAGE_NOTE,
    FORM_NOTE,
    TEXT_MAX,
    Flow,
    Outcome,
    check_form,
    contact_values,
    failure_sentence,
    message_note_form,
    no_effect,
    refresh_create_form,
    run_action,
    service_options,
    start_create_form,
    start_watching,
    write_form,
)

if TYPE_CHECKING:
    from bot.slack.app import SlackBot

__all__ = [
    "FORMS",
    "SHORTCUTS",
    "SHORTCUT_FROM_MESSAGE",
    "SHORTCUT_MESSAGE_NOTE",
    "SHORTCUT_NEW",
    "Source",
    "open_create_from_command",
    "publish_home",
    "register",
]

log = structlog.get_logger(__name__)

SHORTCUT_FROM_MESSAGE = "create_ticket_from_message"
SHORTCUT_MESSAGE_NOTE = "add_message_as_note"
SHORTCUT_NEW = "new_ticket"
SHORTCUTS = (SHORTCUT_FROM_MESSAGE, SHORTCUT_MESSAGE_NOTE, SHORTCUT_NEW)
FORMS = (FORM_CREATE, FORM_NOTE, FORM_MESSAGE_NOTE)
SUBMIT_CLAIM = "view_submission"
SUGGEST_SECONDS = 2.5
"""How long the service-number search may wait for Bruin (Slack wants options within 3 s)."""
HOME_READS = 5
"""Bruin reads in flight at once while building a Home tab."""

Ack = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Source:
    """Where an interaction came from: for in-place updates, replies and public results."""

    user_id: str
    channel_id: str = ""
    message_ts: str = ""
    ephemeral: bool = False
    response_url: str = ""
    trigger_id: str = ""

    @classmethod
    def of_action(cls, body: Mapping[str, Any]) -> Source:
        container = body.get("container") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
        return cls(
            user_id=str((body.get("user") or {}).get("id", "")),
            channel_id=str(channel),
            message_ts=str(container.get("message_ts") or ""),
            ephemeral=bool(container.get("is_ephemeral")),
            response_url=str(body.get("response_url") or ""),
            trigger_id=str(body.get("trigger_id") or ""),
        )

    @classmethod
    def of_meta(cls, meta: Mapping[str, Any], user_id: str) -> Source:
        return cls(
            user_id=user_id,
            channel_id=str(meta.get("ch") or ""),
            message_ts=str(meta.get("ts") or ""),
            ephemeral=bool(meta.get("eph")),
            response_url=str(meta.get("ru") or ""),
        )

    def meta(self) -> dict[str, Any]:
        return {
            "ch": self.channel_id,
            "ts": self.message_ts,
            "eph": 1 if self.ephemeral else None,
            "ru": self.response_url,
        }


def flow_for(bot: SlackBot, source: Source, surface: Surface) -> Flow:
    """The caller as far as known without a call (users.info runs later, for writes)."""
    caller = Caller(source.user_id, source.user_id, source.channel_id, surface)
    known = bot.directory.cached(source.user_id)
    if known is not None:
        caller = dataclasses.replace(caller, display_name=known[0], profile=known[1])
    return Flow(
        caller=caller, services=bot.services, authorize=bot.may_write, identify=bot.identify
    )


def slack_plain(text: str) -> str:
    """A Slack message's text as plain text for Bruin: links, mentions and entities undone."""
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2 (\1)", text or "")
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    text = re.sub(r"<([@#])[A-Z0-9]+\|([^>]+)>", r"\1\2", text)  # <@U1|dana>, <#C1|ops>
    text = re.sub(r"<!subteam\^[A-Z0-9]+\|([^>]+)>", r"\1", text)  # label has its @
    text = re.sub(r"<([@#])([A-Z0-9]+)>", r"\1\2", text)
    text = re.sub(r"<!([a-z]+)(?:\|[^>]*)?>", r"@\1", text)  # <!here>
    return html.unescape(text).strip()


# -- talking back ------------------------------------------------------------------------


def _slack_error(bot: SlackBot, method: str, exc: SlackApiError) -> str:
    error = str(exc.response.get("error", "unknown"))
    bot.metrics.slack_errors.labels(method, error).inc()
    log.warning("slack_call_failed", method=method, error=error)
    return error


async def _hook(bot: SlackBot, url: str, body: dict[str, Any]) -> bool:
    """POST to a response_url; False when Slack refused it (used up, expired)."""
    try:
        resp = await AsyncWebhookClient(url, session=bot.client.session, timeout=10).send_dict(body)
    except Exception as exc:  # a dead response_url must not break the flow
        log.warning("response_url_failed", error=repr(exc))
        return False
    if resp.status_code != 200:
        log.warning("response_url_refused", status=resp.status_code, body=resp.body[:100])
    return resp.status_code == 200


async def _post(bot: SlackBot, channel: str, message: Message) -> bool:
    """chat.postMessage; False where the bot may not post (or Slack keeps refusing)."""
    try:
        return await bot.post(channel, message) is not None
    except SlackApiError as exc:  # e.g. still rate limited after the client's retries
        _slack_error(bot, "chat.postMessage", exc)
        return False


async def post_public(bot: SlackBot, source: Source, message: Message) -> str:
    """The result of a write, in the channel: chat.postMessage; where the bot is not a
    member, the interaction's response_url (in_channel); else a DM. Returns where it went."""
    if source.channel_id and await _post(bot, source.channel_id, message):
        return "channel"
    if source.response_url and await _hook(
        bot,
        source.response_url,
        {**message.to_dict(), "response_type": "in_channel", "replace_original": False},
    ):
        return "response_url"
    if await _post(bot, source.user_id, message):
        return "dm"
    return ""


async def tell(bot: SlackBot, source: Source, message: Message) -> None:
    """A sentence for the person only: response_url, else chat.postEphemeral, else a DM."""
    payload = message.to_dict()
    if source.response_url and await _hook(
        bot,
        source.response_url,
        {**payload, "response_type": "ephemeral", "replace_original": False},
    ):
        return
    if source.channel_id:
        try:
            await bot.client.chat_postEphemeral(
                channel=source.channel_id, user=source.user_id, **payload
            )
            return
        except SlackApiError as exc:
            _slack_error(bot, "chat.postEphemeral", exc)
    await _post(bot, source.user_id, message)


async def refuse(bot: SlackBot, source: Source, sentence: str) -> None:
    """A refusal: ephemeral where possible; from a global shortcut, in a small modal."""
    if source.trigger_id and not source.response_url and not source.channel_id:
        try:
            await bot.client.views_open(
                trigger_id=source.trigger_id, view=info_view("chatops-bot", [sentence])
            )
            return
        except SlackApiError as exc:
            _slack_error(bot, "views.open", exc)
    await tell(bot, source, error_message(sentence))


async def update_source(bot: SlackBot, source: Source, message: Message) -> bool:
    """Update the message that held the button: chat.update for a channel message,
    ``replace_original`` through response_url for an ephemeral one (Slack cannot
    chat.update those)."""
    payload = message.to_dict()
    if source.channel_id and source.message_ts and not source.ephemeral:
        try:
            await bot.client.chat_update(channel=source.channel_id, ts=source.message_ts, **payload)
            return True
        except SlackApiError as exc:
            _slack_error(bot, "chat.update", exc)
    if source.response_url:
        return await _hook(bot, source.response_url, {**payload, "replace_original": True})
    return False


async def apply_outcome(bot: SlackBot, outcome: Outcome, source: Source) -> None:
    if outcome.form is not None and source.trigger_id:
        await open_form(bot, outcome.form, source)
    if outcome.delete and source.response_url:
        await _hook(bot, source.response_url, {"delete_original": True})
    if outcome.replace is not None:
        await update_source(bot, source, outcome.replace)
    if outcome.post is not None:
        await post_public(bot, source, outcome.post)
    if outcome.announce is not None and (source.ephemeral or not source.message_ts):
        await post_public(bot, source, outcome.announce)
    if outcome.reply is not None:
        await tell(bot, source, outcome.reply)


# -- modals --------------------------------------------------------------------------------


async def open_form(
    bot: SlackBot, form: Form, source: Source, *, permalink_of: tuple[str, str] | None = None
) -> None:
    """views.open right away; then fill in the contact (users.info) and the message's
    permalink with one views.update guarded by the view's hash."""
    metadata = pack({**form.meta, **source.meta()})
    try:
        resp = await bot.client.views_open(
            trigger_id=source.trigger_id, view=form_view(form, metadata=metadata)
        )
    except SlackApiError as exc:
        _slack_error(bot, "views.open", exc)
        await tell(bot, source, error_message("The form did not open in time; please try again."))
        return
    view = resp.get("view") or {}
    needs_contact = form.kind == FORM_CREATE and not form.get(F_NAME).initial

    async def contact() -> dict[str, str]:
        if not needs_contact:
            return {}
        return contact_values((await bot.directory.person(source.user_id))[1])

    async def linked() -> dict[str, str]:
        found = await _permalink(bot, *permalink_of) if permalink_of else None
        if not found:
            return {}
        text = f"{form.get(F_DESCRIPTION).initial}\n\nFrom Slack: {found}".strip()
        return {F_DESCRIPTION: truncate(text, TEXT_MAX)}

    if not (needs_contact or permalink_of):
        return
    found, link = await asyncio.gather(contact(), linked())
    values = found | link
    if not values:
        return
    try:
        await bot.client.views_update(
            view_id=view["id"],
            hash=view.get("hash"),
            view=form_view(form.with_values(values), metadata=metadata),
        )
    except SlackApiError as exc:  # hash_conflict: the person changed the form meanwhile
        _slack_error(bot, "views.update", exc)


async def _permalink(bot: SlackBot, channel: str, ts: str) -> str | None:
    try:
        resp = await bot.client.chat_getPermalink(channel=channel, message_ts=ts)
    except SlackApiError as exc:
        _slack_error(bot, "chat.getPermalink", exc)
        return None
    link = resp.get("permalink")
    return str(link) if link else None


async def open_create_from_command(bot: SlackBot, command: Mapping[str, Any]) -> None:
    """``/ticket new`` alone: the create form, refused first when the person may not write."""
    source = Source(
        user_id=str(command.get("user_id", "")),
        channel_id=str(command.get("channel_id", "")),
        response_url=str(command.get("response_url", "")),
        trigger_id=str(command.get("trigger_id", "")),
    )
    flow = flow_for(bot, source, "slash")
    refusal = await bot.may_write(flow.caller)
    if refusal is not None:
        await refuse(bot, source, refusal)
        return
    await open_form(bot, await start_create_form(bot.services, flow.caller), source)


async def on_service_options(ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """block_suggestion of the service-number select: active inventory matching the typing."""
    bot: SlackBot = context["bot"]
    meta = unpack((body.get("view") or {}).get("private_metadata"))
    try:
        customer = int(meta.get("cu") or 0) or bot.services.bruin.customer_id
        options = await asyncio.wait_for(
            service_options(bot.services, customer, str(body.get("value") or "")),
            SUGGEST_SECONDS,
        )
    except (TimeoutError, BackendError, NotConfigured) as exc:
        log.warning("service_search_failed", error=repr(exc))
        options = []
    await ack(options=options_payload(options))


async def on_service_picked(ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """A service number was picked: the form again with that number's categories."""
    await ack()
    bot: SlackBot = context["bot"]
    view = body.get("view") or {}
    values = parse_state(view.get("state"))
    picked = (body["actions"][0].get("selected_option") or {}).get("value") or ""
    values[F_SERVICE] = str(picked)
    meta = unpack(view.get("private_metadata"))
    source = Source.of_meta(meta, str(body["user"]["id"]))
    flow = flow_for(bot, source, "modal")
    # Empty contact fields get the profile (the prefill update may have lost a race).
    for key, value in contact_values(flow.caller.profile).items():
        values[key] = values.get(key) or value
    customer = int(meta.get("cu") or 0) or await bot.services.customer_for(flow.caller)
    form = await refresh_create_form(
        bot.services, values, channel_id=source.channel_id, customer=customer
    )
    try:
        await bot.client.views_update(
            view_id=view["id"],
            hash=view.get("hash"),
            view=form_view(form, metadata=str(view.get("private_metadata") or "")),
        )
    except SlackApiError as exc:
        _slack_error(bot, "views.update", exc)


async def on_submit(ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """A form was submitted: validate and authorize before the ack (errors next to the
    fields, nothing written), claim the view id, ack, then write."""
    bot: SlackBot = context["bot"]
    view = body["view"]
    kind = str(view.get("callback_id"))
    values = parse_state(view.get("state"))
    meta = unpack(view.get("private_metadata"))
    source = Source.of_meta(meta, str(body["user"]["id"]))
    flow = flow_for(bot, source, "modal")
    errors = await check_form(kind, values, meta, flow)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    if not await bot.store.claim(SUBMIT_CLAIM, str(view["id"])):
        log.info("duplicate_submission_dropped", view=view["id"])
        await ack()
        return
    if kind == FORM_CREATE:
        await ack(
            response_action="update",
            view=info_view(
                "New ticket", [":hourglass_flowing_sand: Creating the ticket in Bruin…"]
            ),
        )
    else:
        await ack()
    if kind == FORM_MESSAGE_NOTE and source.channel_id and source.message_ts:
        meta = {**meta, "lk": await _permalink(bot, source.channel_id, source.message_ts)}
    try:
        outcome = await write_form(kind, values, meta, flow)
    except (BackendError, UsageError, NotConfigured) as exc:
        retry = no_effect(exc)
        if retry:
            await bot.store.release(SUBMIT_CLAIM, str(view["id"]))
        sentence = failure_sentence(exc)
        log.warning("submission_failed", form=kind, error=repr(exc), retry=retry)
        if kind == FORM_CREATE:
            await _create_failed(bot, view, values, meta, sentence, retry=retry)
        else:
            await tell(bot, source, error_message(sentence))
        return
    if kind == FORM_CREATE:
        await _create_done(bot, view, outcome, source, flow)
    else:
        await apply_outcome(bot, outcome, source)


async def _create_done(
    bot: SlackBot, view: Mapping[str, Any], outcome: Outcome, source: Source, flow: Flow
) -> None:
    ticket_id = outcome.ticket_id or 0
    where = await post_public(bot, source, outcome.post) if outcome.post else ""
    channel = f"<#{source.channel_id}>" if source.channel_id else ""
    lines = [f":white_check_mark: Ticket *{ticket_id}* is created in Bruin."]
    if where in {"channel", "response_url"}:
        lines.append(f"Its card is posted in {channel}.")
    elif where == "dm":
        lines.append("Its card was sent to you as a direct message.")
    else:
        lines.append(f"Its card could not be posted; `/ticket show {ticket_id}` shows it.")
    if outcome.watch and source.channel_id:
        if where == "channel":
            try:
                await start_watching(flow, ticket_id)
                lines.append(f"Updates will be posted in {channel}, threaded under the card.")
            except (BackendError, UsageError, NotConfigured) as exc:
                log.warning("watch_after_create_failed", ticket=ticket_id, error=repr(exc))
                lines.append(f"Updates could not be set up; `/ticket watch {ticket_id}` retries.")
        else:
            lines.append(
                f"I am not in {channel}, so I cannot post updates there; invite me with "
                f"`/invite @chatops-bot`, then `/ticket watch {ticket_id}`."
            )
    url = ticket_url(bot.services.portal_url, ticket_id)
    try:
        await bot.client.views_update(
            view_id=view["id"],
            view=info_view("Ticket created", lines, link=("Open in Bruin", url)),
        )
    except SlackApiError as exc:
        _slack_error(bot, "views.update", exc)


async def _create_failed(
    bot: SlackBot,
    view: Mapping[str, Any],
    values: dict[str, str],
    meta: Mapping[str, Any],
    sentence: str,
    *,
    retry: bool,
) -> None:
    """Nothing was created: the form again with the person's input and the reason on top
    (same view, so submitting again retries). Unknown effect: say so, offer no retry."""
    if retry:
        customer = int(meta.get("cu") or 0) or bot.services.bruin.customer_id
        form = await refresh_create_form(
            bot.services, values, channel_id=str(meta.get("ch") or ""), customer=customer
        )
        warning = f":warning: Bruin did not create the ticket: {sentence} Fix it and submit again."
        view_json = form_view(
            dataclasses.replace(form, intro=(warning, *form.intro)),
            metadata=str(view.get("private_metadata") or ""),
        )
    else:
        view_json = info_view(
            "New ticket",
            [
                f":warning: {sentence}",
                "Bruin may have created the ticket anyway: check `/ticket list` before "
                "trying again.",
            ],
        )
    try:
        await bot.client.views_update(view_id=view["id"], view=view_json)
    except SlackApiError as exc:
        _slack_error(bot, "views.update", exc)


# -- buttons and shortcuts ---------------------------------------------------------------


async def on_action(ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """Every button of ``handlers.ticket_actions`` (cards, previews, outage, Home)."""
    await ack()
    bot: SlackBot = context["bot"]
    source = Source.of_action(body)
    action = body["actions"][0]
    from_view = (body.get("container") or {}).get("type") == "view"
    flow = flow_for(bot, source, "home" if from_view else "button")
    outcome = await run_action(str(action.get("action_id")), str(action.get("value") or ""), flow)
    await apply_outcome(bot, outcome, source)


def _shortcut_source(body: Mapping[str, Any]) -> Source:
    return Source(
        user_id=str((body.get("user") or {}).get("id", "")),
        channel_id=str((body.get("channel") or {}).get("id") or ""),
        message_ts=str(body.get("message_ts") or ""),
        response_url=str(body.get("response_url") or ""),
        trigger_id=str(body.get("trigger_id") or ""),
    )


async def on_shortcut(ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """The three shortcuts: "New ticket" (global), "Create ticket from message" and "Add
    message as note" (message shortcuts)."""
    await ack()
    bot: SlackBot = context["bot"]
    source = _shortcut_source(body)
    flow = flow_for(bot, source, "shortcut")
    refusal = await bot.may_write(flow.caller)
    if refusal is not None:
        await refuse(bot, source, refusal)
        return
    callback = body.get("callback_id")
    text = slack_plain(str((body.get("message") or {}).get("text") or ""))
    if callback == SHORTCUT_MESSAGE_NOTE:
        await open_form(bot, message_note_form(text), source)
        return
    if callback == SHORTCUT_FROM_MESSAGE:
        form = await start_create_form(bot.services, flow.caller, description=text)
        anchor = (source.channel_id, source.message_ts) if source.message_ts else None
        # The form is about the message, not a reply to it: keep its ts out of the metadata.
        await open_form(bot, form, dataclasses.replace(source, message_ts=""), permalink_of=anchor)
        return
    await open_form(bot, await start_create_form(bot.services, flow.caller), source)


# -- App Home ------------------------------------------------------------------------------


async def publish_home(bot: SlackBot, user_id: str) -> None:
    """The Home tab: tickets this person opened from Slack with their status now (one
    Bruin read each, a few at a time) and the channels' subscriptions."""
    rows = await bot.store.slack_tickets_of(user_id, limit=20)
    gate = asyncio.Semaphore(HOME_READS)

    async def read(ticket_id: int, customer: int) -> tuple[int, Any]:
        async with gate:
            try:
                return ticket_id, await bot.services.bruin.get_ticket(ticket_id, client_id=customer)
            except (BackendError, NotConfigured) as exc:
                log.warning("home_ticket_read_failed", ticket=ticket_id, error=repr(exc))
                return ticket_id, None

    tickets = await asyncio.gather(*(read(r.ticket_id, r.customer_id) for r in rows))
    lines = []
    for sub in await bot.store.list_subscriptions():
        parts = [
            f"{k}={v}"
            for k, v in (("status", sub.status), ("category", sub.category), ("site", sub.site))
            if v
        ]
        what = " ".join(parts) or "every new ticket"
        lines.append(f"<#{sub.channel_id}> · {what} · customer {sub.customer_id}")
    view = home_view(
        tickets, lines, portal_url=bot.services.portal_url, updated=dt.datetime.now(dt.UTC)
    )
    try:
        await bot.client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        _slack_error(bot, "views.publish", exc)


async def on_home_opened(ack: Ack, event: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    if event.get("tab") == "home" and event.get("user"):
        await publish_home(context["bot"], str(event["user"]))


def register(app: AsyncApp) -> None:
    """Wire the interactive listeners (plain-call form; ``bot.slack.app.build_app`` calls this)."""
    for kind in FORMS:
        app.view(kind)(on_submit)
    app.options(F_SERVICE)(on_service_options)
    app.action(F_SERVICE)(on_service_picked)
    for action_id in ACTIONS:
        app.action(action_id)(on_action)
    for callback_id in SHORTCUTS:
        app.shortcut(callback_id)(on_shortcut)
    app.event("app_home_opened")(on_home_opened)
