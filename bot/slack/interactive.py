"""Slack's interactive surfaces over the registry's actions and forms: modals (create
ticket, add note, message as note), the service-number search, buttons, the message and
global shortcuts, and the App Home tab.

Modals open at once inside the trigger_id's 3 s window with what is known, then
``views.update`` (with the view's hash) fills in what arrives later: the contact from
users.info, the message's permalink, the categories of the picked service number. Context
rides in ``private_metadata``, sealed (``bot.slack.seal``) and bound to the person it was
opened for. A submission is validated and passed through the write gate's checks before
the ack (errors appear next to their field) and claimed by its view id before anything is
written.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import html
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError

from bot.clients.errors import BackendError
from bot.core.caller import Surface
from bot.core.deps import NotConfigured
from bot.core.dispatch import READ_ONLY
from bot.core.forms import Form, pack, parse_state, unpack
from bot.core.gate import Duplicate, Refused, failure_sentence, no_effect
from bot.core.grammar import UsageError
from bot.core.registry import Interaction, Outcome, Registry
from bot.render.blocks import error_message, ticket_url
from bot.render.forms import form_view, info_view, options_payload
from bot.render.interactive import home_view, subscription_line
from bot.render.text import channel_link, escape, md, truncate
from bot.slack.bot import SlackBot
from bot.slack.reply import Source
from bot.slack.seal import Forged
from handlers.ticket_actions import (
    F_DESCRIPTION,
    F_NAME,
    F_SERVICE,
    FORM_CREATE,
    FORM_MESSAGE_NOTE,
    TEXT_MAX,
    contact_values,
    message_note_form,
    refresh_create_form,
    service_options,
    start_create_form,
    start_watching,
)

__all__ = [
    "SHORTCUTS",
    "SHORTCUT_FROM_MESSAGE",
    "SHORTCUT_MESSAGE_NOTE",
    "SHORTCUT_NEW",
    "mentioned_users",
    "open_create_from_command",
    "publish_home",
    "register",
]

log = structlog.get_logger(__name__)

SHORTCUT_FROM_MESSAGE = "create_ticket_from_message"
SHORTCUT_MESSAGE_NOTE = "add_message_as_note"
SHORTCUT_NEW = "new_ticket"
SHORTCUTS = (SHORTCUT_FROM_MESSAGE, SHORTCUT_MESSAGE_NOTE, SHORTCUT_NEW)
SUBMIT_CLAIM = "view_submission"
SUGGEST_SECONDS = 2.5
"""How long the service-number search may wait for Bruin (Slack wants options within 3 s)."""
HOME_READS = 5
"""Bruin reads in flight at once while building a Home tab."""
STALE = "This form is out of date; close it and open it again."

Ack = Callable[..., Awaitable[None]]


def interaction(bot: SlackBot, source: Source, surface: Surface) -> Interaction:
    return Interaction(
        caller=bot.caller(source.user_id, source.channel_id, surface),
        services=bot.services,
        gate=bot.gate,
    )


_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")
NAMES_SECONDS = 1.0
"""How long a message shortcut may wait for users.info to name the people a message
mentions (the modal must open within the trigger's 3 s); unnamed ones keep their id."""
NAMES_MAX = 20
"""At most this many distinct people are looked up for one message."""


def mentioned_users(text: str) -> list[str]:
    """The user ids of the bare ``<@U…>`` mentions in a Slack message's text, in order."""
    return list(dict.fromkeys(_USER_MENTION.findall(text or "")))


def slack_plain(text: str, names: Mapping[str, str] | None = None) -> str:
    """A Slack message's text as plain text for Bruin: links, mentions and entities undone.
    ``names`` (user id -> display name) turns a bare ``<@U…>`` into ``@name``; a person
    not in it stays ``@U…``."""
    names = names or {}
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2 (\1)", text or "")
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    text = re.sub(r"<([@#])[A-Z0-9]+\|([^>]+)>", r"\1\2", text)  # <@U1|dana>, <#C1|ops>
    text = re.sub(r"<!subteam\^[A-Z0-9]+\|([^>]+)>", r"\1", text)  # label has its @
    # A name is text, not entities: escaped here so that the unescape below restores it.
    text = _USER_MENTION.sub(
        lambda m: "@" + html.escape(names.get(m.group(1)) or m.group(1), quote=False), text
    )
    text = re.sub(r"<([@#])([A-Z0-9]+)>", r"\1\2", text)
    text = re.sub(r"<!([a-z]+)(?:\|[^>]*)?>", r"@\1", text)  # <!here>
    return html.unescape(text).strip()


def _view_meta(bot: SlackBot, view: Mapping[str, Any], user_id: str) -> dict[str, Any]:
    """The sealed metadata of a view the bot opened for ``user_id``; Forged otherwise."""
    opened = bot.sealer.open_metadata(str(view.get("callback_id")), view.get("private_metadata"))
    meta = unpack(opened)
    if meta.get("u") and meta.get("u") != user_id:
        raise Forged("view opened for someone else")
    return meta


async def show_outcome(bot: SlackBot, outcome: Outcome, source: Source) -> None:
    """An action's outcome through the reply policy."""
    if outcome.form is not None and source.trigger_id:
        await open_form(bot, outcome.form, source)
    if outcome.delete:
        await bot.replies.delete(source)
    if outcome.replace is not None:
        await bot.replies.replace(source, outcome.replace)
    if outcome.post is not None:
        await bot.replies.public(source.without_message(), outcome.post)
    if outcome.announce is not None and (source.ephemeral or not source.message_ts):
        await bot.replies.public(source.without_message(), outcome.announce)
    if outcome.reply is not None:
        await bot.replies.private(source, outcome.reply)


async def refuse(bot: SlackBot, source: Source, sentence: str) -> None:
    """A refusal: ephemeral where possible; from a global shortcut, in a small modal."""
    if source.trigger_id and not source.response_url and not source.channel_id:
        try:
            await bot.client.views_open(
                trigger_id=source.trigger_id, view=info_view("chatops-bot", [escape(sentence)])
            )
            return
        except SlackApiError as exc:
            bot.replies.failed("views.open", exc)
    await bot.replies.private(source, error_message(sentence))


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
        bot.replies.failed("views.open", exc)
        await bot.replies.private(
            source, error_message("The form did not open in time; please try again.")
        )
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
        bot.replies.failed("views.update", exc)


async def _permalink(bot: SlackBot, channel: str, ts: str) -> str | None:
    try:
        resp = await bot.client.chat_getPermalink(channel=channel, message_ts=ts)
    except SlackApiError as exc:
        bot.replies.failed("chat.getPermalink", exc)
        return None
    link = resp.get("permalink")
    return str(link) if link else None


async def open_create_from_command(bot: SlackBot, source: Source) -> None:
    """``/ticket new`` alone: the create form, refused first when the person may not write."""
    turn = interaction(bot, source, "slash")
    try:
        await bot.gate.may_write(turn.caller)
    except Refused as exc:
        await refuse(bot, source, exc.sentence)
        return
    await open_form(bot, await start_create_form(bot.services, turn.caller), source)


async def on_service_options(ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """block_suggestion of the service-number select: active inventory of the channel's
    customer matching the typing."""
    bot: SlackBot = context["bot"]
    user = str((body.get("user") or {}).get("id", ""))
    try:
        meta = _view_meta(bot, body.get("view") or {}, user)
        turn = interaction(bot, Source.of_meta(meta, user), "options")
        options = await asyncio.wait_for(
            service_options(bot.services, turn.caller, str(body.get("value") or "")),
            SUGGEST_SECONDS,
        )
    except Forged:
        log.warning("forged_view_metadata", surface="options")
        options = []
    except (TimeoutError, BackendError, NotConfigured) as exc:
        log.warning("service_search_failed", error=repr(exc))
        options = []
    await ack(options=options_payload(options))


async def on_service_picked(ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """A service number was picked: the form again with that number's categories."""
    await ack()
    bot: SlackBot = context["bot"]
    view = body.get("view") or {}
    user = str(body["user"]["id"])
    try:
        meta = _view_meta(bot, view, user)
    except Forged:
        log.warning("forged_view_metadata", surface="modal")
        return
    values = parse_state(view.get("state"))
    picked = (body["actions"][0].get("selected_option") or {}).get("value") or ""
    values[F_SERVICE] = str(picked)
    source = Source.of_meta(meta, user)
    turn = interaction(bot, source, "modal")
    # Empty contact fields get the profile (the prefill update may have lost a race).
    for key, value in contact_values(turn.caller.profile).items():
        values[key] = values.get(key) or value
    customer = await bot.services.customer_for(turn.caller)
    form = await refresh_create_form(
        bot.services, values, channel_id=source.channel_id, customer=customer
    )
    try:
        await bot.client.views_update(
            view_id=view["id"],
            hash=view.get("hash"),
            view=form_view(form, metadata=pack({**form.meta, **meta})),
        )
    except SlackApiError as exc:
        bot.replies.failed("views.update", exc)


async def on_submit(ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """A form was submitted: validate and pass the gate's checks before the ack (errors next
    to the fields, nothing written), claim the view id, ack, then write."""
    bot: SlackBot = context["bot"]
    view = body["view"]
    kind_id = str(view.get("callback_id"))
    kind = bot.registry.forms[kind_id]
    values = parse_state(view.get("state"))
    user = str(body["user"]["id"])
    try:
        meta = _view_meta(bot, view, user)
    except Forged:
        log.warning("forged_view_metadata", surface="modal", form=kind_id)
        form = kind.spec(values, {})
        await ack(response_action="errors", errors={form.first_input: STALE})
        return
    source = Source.of_meta(meta, user)
    turn = interaction(bot, source, "modal")
    errors = await kind.check(turn, values, meta)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    if not await bot.store.claim(SUBMIT_CLAIM, str(view["id"])):
        log.info("duplicate_submission_dropped", view=view["id"])
        await ack()
        return
    if kind_id == FORM_CREATE:
        await ack(
            response_action="update",
            view=info_view(
                "New ticket", [md(":hourglass_flowing_sand: Creating the ticket in Bruin…")]
            ),
        )
    else:
        await ack()
    if kind_id == FORM_MESSAGE_NOTE and source.channel_id and source.message_ts:
        meta = {**meta, "lk": await _permalink(bot, source.channel_id, source.message_ts)}
    try:
        outcome = await kind.write(turn, values, meta)
    except Duplicate:
        return
    except (BackendError, UsageError, NotConfigured, Refused) as exc:
        retry = no_effect(exc)
        if retry:
            await bot.store.release(SUBMIT_CLAIM, str(view["id"]))
        sentence = failure_sentence(exc)
        log.warning("submission_failed", form=kind_id, error=repr(exc), retry=retry)
        if kind_id == FORM_CREATE:
            await _create_failed(bot, view, values, meta, source, sentence, retry=retry)
        else:
            await bot.replies.private(source, error_message(sentence))
        return
    if kind_id == FORM_CREATE:
        await _create_done(bot, view, outcome, source, turn)
    else:
        await show_outcome(bot, outcome, source)


async def _create_done(
    bot: SlackBot, view: Mapping[str, Any], outcome: Outcome, source: Source, turn: Interaction
) -> None:
    ticket_id = outcome.created.ticket_id if outcome.created else 0
    where = await bot.replies.public(source, outcome.post) if outcome.post else ""
    channel = channel_link(source.channel_id) if source.channel_id else md("")
    lines = [md(":white_check_mark: Ticket *{}* is created in Bruin.", ticket_id)]
    if where in {"channel", "response_url"}:
        lines.append(md("Its card is posted in {}.", channel))
    elif where == "dm":
        lines.append(md("Its card was sent to you as a direct message."))
    else:
        lines.append(md("Its card could not be posted; `/ticket show {}` shows it.", ticket_id))
    if outcome.created and outcome.created.watch and source.channel_id:
        if where == "channel":
            try:
                await start_watching(turn, ticket_id)
                lines.append(md("Updates will be posted in {}, threaded under the card.", channel))
            except (BackendError, UsageError, NotConfigured, Refused) as exc:
                log.warning("watch_after_create_failed", ticket=ticket_id, error=repr(exc))
                lines.append(
                    md("Updates could not be set up; `/ticket watch {}` retries.", ticket_id)
                )
        else:
            lines.append(
                md(
                    "I am not in {}, so I cannot post updates there; invite me with "
                    "`/invite @chatops-bot`, then `/ticket watch {}`.",
                    channel,
                    ticket_id,
                )
            )
    url = ticket_url(bot.services.portal_url, ticket_id)
    try:
        await bot.client.views_update(
            view_id=view["id"],
            view=info_view("Ticket created", lines, link=("Open in Bruin", url)),
        )
    except SlackApiError as exc:
        bot.replies.failed("views.update", exc)


async def _create_failed(
    bot: SlackBot,
    view: Mapping[str, Any],
    values: dict[str, str],
    meta: Mapping[str, Any],
    source: Source,
    sentence: str,
    *,
    retry: bool,
) -> None:
    """Nothing was created: the form again with the person's input and the reason on top
    (same view, so submitting again retries). Unknown effect: say so, offer no retry."""
    if retry:
        turn = interaction(bot, source, "modal")
        customer = await bot.services.customer_for(turn.caller)
        form = await refresh_create_form(
            bot.services, values, channel_id=source.channel_id, customer=customer
        )
        warning = md(
            ":warning: Bruin did not create the ticket: {} Fix it and submit again.", sentence
        )
        view_json = form_view(
            dataclasses.replace(form, intro=(warning, *form.intro)),
            metadata=pack(dict(meta)),
        )
    else:
        view_json = info_view(
            "New ticket",
            [
                md(":warning: {}", sentence),
                md(
                    "Bruin may have created the ticket anyway: check `/ticket list` before "
                    "trying again."
                ),
            ],
        )
    try:
        await bot.client.views_update(view_id=view["id"], view=view_json)
    except SlackApiError as exc:
        bot.replies.failed("views.update", exc)


# -- buttons and shortcuts ---------------------------------------------------------------


async def on_action(ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """Every button of the action table (cards, previews, outage answers, Home)."""
    await ack()
    bot: SlackBot = context["bot"]
    source = Source.of_action(body)
    action = body["actions"][0]
    action_id = str(action.get("action_id"))
    from_view = (body.get("container") or {}).get("type") == "view"
    turn = interaction(bot, source, "home" if from_view else "button")
    try:
        value = bot.sealer.open_action(action_id, action.get("value"))
        outcome = await bot.registry.actions[action_id](turn, value)
    except ValueError:  # a forged or stale value (Forged is a ValueError)
        log.warning("bad_button_value", action=action_id)
        outcome = Outcome(reply=error_message("That button is out of date; run the command again."))
    await show_outcome(bot, outcome, source)


async def _names(bot: SlackBot, user_ids: list[str]) -> dict[str, str]:
    """Display names of ``user_ids`` (the directory's cache, else users.info), as many as
    arrive within NAMES_SECONDS; one that cannot be named is left out."""
    if not user_ids:
        return {}
    tasks = [asyncio.ensure_future(bot.directory.display_name(u)) for u in user_ids]
    await asyncio.wait(tasks, timeout=NAMES_SECONDS)
    names: dict[str, str] = {}
    for user_id, task in zip(user_ids, tasks, strict=True):
        if not task.done():
            task.cancel()
        elif task.exception() is None and task.result() != user_id:
            names[user_id] = task.result()
    return names


async def on_shortcut(ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """The three shortcuts: "New ticket" (global), "Create ticket from message" and "Add
    message as note" (message shortcuts)."""
    await ack()
    bot: SlackBot = context["bot"]
    source = Source.of_shortcut(body)
    turn = interaction(bot, source, "shortcut")
    try:
        await bot.gate.may_write(turn.caller)
    except Refused as exc:
        await refuse(bot, source, exc.sentence)
        return
    callback = body.get("callback_id")
    raw = str((body.get("message") or {}).get("text") or "")
    text = slack_plain(raw, await _names(bot, mentioned_users(raw)[:NAMES_MAX]))
    if callback == SHORTCUT_MESSAGE_NOTE:
        await open_form(bot, message_note_form(text), source)
        return
    if callback == SHORTCUT_FROM_MESSAGE:
        form = await start_create_form(bot.services, turn.caller, description=text)
        anchor = (source.channel_id, source.message_ts) if source.message_ts else None
        # The form is about the message, not a reply to it: keep its ts out of the metadata.
        await open_form(bot, form, source.without_message(), permalink_of=anchor)
        return
    await open_form(bot, await start_create_form(bot.services, turn.caller), source)


# -- App Home ------------------------------------------------------------------------------


async def publish_home(bot: SlackBot, user_id: str) -> None:
    """The Home tab: tickets this person opened from Slack with their status now (one
    Bruin read each, a few at a time) and the subscriptions of channels they are in."""
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
        if not await bot.directory.is_member(user_id, sub.channel_id):
            continue
        lines.append(
            subscription_line(
                sub.channel_id,
                status=sub.status,
                category=sub.category,
                site=sub.site,
                customer_id=sub.customer_id,
            )
        )
    writer = await bot.gate.can_write(bot.caller(user_id, "", "home"))
    view = home_view(
        tickets,
        lines,
        portal_url=bot.services.portal_url,
        updated=dt.datetime.now(dt.UTC),
        read_only="" if writer else READ_ONLY,
    )
    try:
        await bot.client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        bot.replies.failed("views.publish", exc)


async def on_home_opened(ack: Ack, event: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    if event.get("tab") == "home" and event.get("user"):
        await publish_home(context["bot"], str(event["user"]))


def register(app: AsyncApp, registry: Registry) -> None:
    """Wire the interactive listeners (plain-call form; ``bot.slack.app.build_app`` calls
    this) from the registry's action and form tables."""
    for kind in registry.forms:
        app.view(kind)(on_submit)
    app.options(F_SERVICE)(on_service_options)
    app.action(F_SERVICE)(on_service_picked)
    for action_id in registry.actions:
        app.action(action_id)(on_action)
    for callback_id in SHORTCUTS:
        app.shortcut(callback_id)(on_shortcut)
    app.event("app_home_opened")(on_home_opened)
