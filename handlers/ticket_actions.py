"""Ticket work behind buttons, modals and shortcuts, the same for Slack and the console.

A front end turns a click into ``run_action(action_id, value, flow)`` and a submitted form
into ``check_form`` (validation, authorization; fast, before Slack's 3 s ack) and then
``write_form`` (the Bruin write). Both answer with an :class:`Outcome` the front end shows
its own way: Slack updates the message in place (``chat.update`` or ``response_url``),
posts in the channel and opens modals; the console prints and prompts.

Every write passes ``flow.authorize`` (Slack: ``SlackBot.may_write``, CHATOPS_WRITERS)
and is signed with the caller's audit line. A write started by a button claims its
idempotency key (``kind:nonce`` from the button value) in the store first, so a double
click or a retried delivery writes once; a failure that provably changed nothing
releases the claim so the person can click again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import structlog

from bot.clients.bruin.models import Contact, InventoryItem, NewNote, Topic
from bot.clients.errors import ApiError, BackendError, BusyError, NotFound
from bot.core.audit import Outcome as AuditOutcome
from bot.core.audit import audit
from bot.core.dispatch import Caller, NotConfigured, Profile, Services
from bot.core.forms import Field, Form, Option, Values, check_phone, unpack
from bot.core.grammar import UsageError
from bot.render.blocks import ACTION_LIST_MORE, ACTION_SHOW_TICKET, Message, error_message, section
from bot.render.interactive import (
    ACTION_CARD_NOTE,
    ACTION_CARD_REOPEN,
    ACTION_CARD_RESOLVE,
    ACTION_CARD_UNWATCH,
    ACTION_CARD_WATCH,
    ACTION_OPEN_CREATE_FORM,
    ACTION_OUTAGE_NOTE,
    ACTION_PREVIEW_CANCEL,
    ACTION_PREVIEW_CREATE,
)
from bot.render.text import escape, truncate
from handlers import note, subscriptions, ticket

__all__ = [
    "ACTIONS",
    "CLAIM_KIND",
    "FORM_CREATE",
    "FORM_MESSAGE_NOTE",
    "FORM_NOTE",
    "F_CATEGORY",
    "F_DESCRIPTION",
    "F_EMAIL",
    "F_NAME",
    "F_NOTE",
    "F_PHONE",
    "F_SERVICE",
    "F_TICKET",
    "F_UPDATES",
    "TEXT_MAX",
    "Flow",
    "Outcome",
    "button_command",
    "check_form",
    "contact_values",
    "create_form",
    "failure_sentence",
    "is_form_command",
    "message_note_form",
    "no_effect",
    "refresh_create_form",
    "run_action",
    "service_options",
    "start_create_form",
    "write_form",
]

log = structlog.get_logger(__name__)

FORM_CREATE = "ticket_create"
FORM_NOTE = "ticket_note"
FORM_MESSAGE_NOTE = "ticket_message_note"

F_SERVICE = "new_service"
F_CATEGORY = "new_category"
F_DESCRIPTION = "new_description"
F_NAME = "new_contact_name"
F_EMAIL = "new_contact_email"
F_PHONE = "new_contact_phone"
F_UPDATES = "new_post_updates"
F_TICKET = "note_ticket"
F_NOTE = "note_text"

CLAIM_KIND = "ui_action"
TEXT_MAX = 3000
"""Slack's plain_text_input limit; the audit line is added after it."""
CHECK_SECONDS = 2.0
"""How long a form's pre-write check may wait for Bruin (the ack is due within 3 s)."""
INVENTORY_TTL = 60.0

ACTIONS = (
    ACTION_CARD_NOTE,
    ACTION_CARD_RESOLVE,
    ACTION_CARD_REOPEN,
    ACTION_CARD_WATCH,
    ACTION_CARD_UNWATCH,
    ACTION_PREVIEW_CREATE,
    ACTION_PREVIEW_CANCEL,
    ACTION_OUTAGE_NOTE,
    ACTION_OPEN_CREATE_FORM,
)
"""Every button handled by :func:`run_action`."""


@dataclass
class Flow:
    """One person working through one interaction: who, with what, under which gate."""

    caller: Caller
    services: Services
    authorize: Callable[[Caller], Awaitable[str | None]]
    identify: Callable[[Caller], Awaitable[Caller]]
    _identified: Caller | None = field(default=None, init=False)

    async def identified(self) -> Caller:
        """The caller with display name and profile (looked up once, for the audit line)."""
        if self._identified is None:
            self._identified = await self.identify(self.caller)
        return self._identified


@dataclass(frozen=True)
class Outcome:
    """What a click or a submission did, for the front end to show.

    ``replace`` updates the message that held the button in place; ``announce`` is posted
    in the channel only when that message was not public (an ephemeral card); ``post`` is
    always posted in the channel (the result of a write); ``reply`` is for the person only.
    """

    replace: Message | None = None
    delete: bool = False
    post: Message | None = None
    announce: Message | None = None
    reply: Message | None = None
    form: Form | None = None
    ticket_id: int | None = None
    watch: bool = False


def is_form_command(command: str, text: str) -> bool:
    """``/ticket new`` alone opens the create form instead of answering with a message."""
    return command == "/ticket" and text.strip().lower() == "new"


def button_command(action_id: str, value: str) -> tuple[str, str] | None:
    """Buttons that re-run a read command: Show (a list row) and More (the next page)."""
    if action_id == ACTION_SHOW_TICKET:
        return "/ticket", f"show {value}"
    if action_id == ACTION_LIST_MORE:
        try:
            filters = json.loads(value or "{}")
        except ValueError:
            filters = {}
        if not isinstance(filters, dict):
            filters = {}
        return "/ticket", "list " + " ".join(f'{k}="{v}"' for k, v in filters.items())
    return None


def _audit(
    flow: Flow,
    operation: str,
    object_id: int | None,
    outcome: AuditOutcome,
    detail: str | None = None,
) -> None:
    """The same audit event the dispatcher leaves for a typed write (``bot.core.audit``)."""
    audit(
        user=flow.caller.user_id,
        channel=flow.caller.channel_id,
        surface=flow.caller.surface,
        backend="bruin",
        operation=operation,
        object_id=object_id,
        outcome=outcome,
        detail=detail,
    )


def failure_sentence(exc: UsageError | NotConfigured | BackendError) -> str:
    """One sentence for a failed write; when it may have gone through, say so."""
    if isinstance(exc, UsageError):
        return exc.message
    if isinstance(exc, NotConfigured):
        return str(exc)
    if no_effect(exc):
        return exc.user_message()
    return f"{exc.user_message()} The change may have gone through: check before trying again."


def no_effect(exc: Exception) -> bool:
    """True when the failed write certainly changed nothing (never sent, or refused with
    a 4xx): its idempotency claim is released so the person may try again. A timeout, a
    reset connection or a 5xx may have gone through (as the dispatcher says too), so those
    keep the claim."""
    if isinstance(exc, (UsageError, NotConfigured, BusyError)):
        return True
    return isinstance(exc, ApiError) and exc.status is not None and 400 <= exc.status < 500


# -- forms ---------------------------------------------------------------------------------


def _ticket_number(value: str) -> str | None:
    text = value.strip().lstrip("#")
    if text.isdigit() and 0 < int(text) < 2**31:
        return None
    return "Enter a ticket number, like 4503."


def _contact_check(values: Values) -> dict[str, str]:
    if values.get(F_EMAIL, "").strip() or values.get(F_PHONE, "").strip():
        return {}
    return {F_EMAIL: "Bruin needs an email, or a phone number with the name."}


def _topic_label(topic: Topic) -> str:
    described = topic.category_description or topic.call_type_description or ""
    return f"{topic.category} — {described}" if described else topic.category


def create_form(
    values: Mapping[str, str],
    *,
    topics: Sequence[Topic] | None = None,
    topics_problem: str | None = None,
    channel_id: str = "",
    customer: int | None = None,
    direct: bool = True,
) -> Form:
    """The create-ticket form: service number (searched in the customer's active
    inventory), category (Bruin's topics for that service number), description (the MTK
    note), site contact, and "post updates in this channel" where there is a channel.
    Without a channel, ``direct`` says the card will come as a direct message (Slack)."""
    options = tuple(Option(t.category, _topic_label(t)) for t in topics) if topics else None
    chosen = values.get(F_CATEGORY, "")
    if options is not None and chosen not in {o.value for o in options}:
        default = ticket.default_topic(topics or ())
        chosen = default.category if default else ""
    hint = topics_problem or "Pick a service number first; its categories appear here."
    fields = [
        Field(
            F_SERVICE,
            "Service number",
            kind="search",
            dispatch=True,
            placeholder="Type part of a service number, site or product",
            missing="Pick a service number.",
        ),
        Field(F_CATEGORY, "Category", kind="select", options=options, hint=hint, initial=chosen),
        Field(
            F_DESCRIPTION,
            "Description",
            multiline=True,
            max_length=TEXT_MAX,
            hint="The ticket's problem description (MTK note); your name is added to it.",
            missing="Describe the problem.",
        ),
        Field(F_NAME, "Site contact name", max_length=100),
        Field(F_EMAIL, "Contact email", kind="email", required=False),
        Field(
            F_PHONE,
            "Contact phone",
            required=False,
            max_length=20,
            check=check_phone,
            hint="Bruin needs an email, or a phone number with the name.",
        ),
    ]
    intro: tuple[str, ...] = ()
    if channel_id:
        fields.append(
            Field(
                F_UPDATES,
                "Updates",
                kind="checkbox",
                required=False,
                options=(Option("yes", "Post updates about this ticket in this channel"),),
            )
        )
    elif direct:
        intro = ("No channel here: the new ticket's card will come to you as a direct message.",)
    form = Form(
        kind=FORM_CREATE,
        title="New ticket",
        submit="Create",
        fields=tuple(fields),
        intro=intro,
        meta={"ch": channel_id, "cu": customer},
        check=_contact_check,
    )
    return form.with_values({**values, F_CATEGORY: chosen})


def contact_values(profile: Profile | None) -> Values:
    if profile is None:
        return {}
    found = {F_NAME: profile.real_name, F_EMAIL: profile.email, F_PHONE: profile.phone}
    return {k: v for k, v in found.items() if v}


async def start_create_form(
    services: Services, caller: Caller, *, description: str = "", values: Values | None = None
) -> Form:
    """The form as it opens: the caller's contact details when known, ``description``."""
    initial = {**contact_values(caller.profile), **(values or {})}
    if description:
        initial[F_DESCRIPTION] = truncate(description, TEXT_MAX)
    customer = await services.customer_for(caller)
    direct = caller.surface != "console" and not caller.channel_id
    if initial.get(F_SERVICE):
        return await refresh_create_form(
            services, initial, channel_id=caller.channel_id, customer=customer, direct=direct
        )
    return create_form(initial, channel_id=caller.channel_id, customer=customer, direct=direct)


async def refresh_create_form(
    services: Services,
    values: Values,
    *,
    channel_id: str,
    customer: int,
    direct: bool = True,
) -> Form:
    """After a service number is picked: the form with that number's categories."""
    number = values.get(F_SERVICE, "")
    topics: list[Topic] | None = None
    problem = None
    if number:
        try:
            topics = await services.bruin.get_topics(service_number=number, client_id=customer)
        except BackendError as exc:
            problem = exc.user_message()
        if topics == []:
            problem = f"Bruin offers no categories for {number}; pick another service number."
    return create_form(
        values,
        topics=topics,
        topics_problem=problem,
        channel_id=channel_id,
        customer=customer,
        direct=direct,
    )


def note_form(ticket_id: int) -> Form:
    return Form(
        kind=FORM_NOTE,
        title="Add a note",
        submit="Add note",
        fields=(
            Field(
                F_NOTE,
                "Note",
                multiline=True,
                max_length=TEXT_MAX,
                hint="Stored in Bruin, signed with your name.",
                missing="Write the note.",
            ),
        ),
        intro=(f"Note on ticket *{ticket_id}*",),
        meta={"t": ticket_id},
    )


def message_note_form(text: str) -> Form:
    """The "Add message as note" form: which ticket, and the note (the message, editable)."""
    return Form(
        kind=FORM_MESSAGE_NOTE,
        title="Add message as note",
        submit="Add note",
        fields=(
            Field(
                F_TICKET,
                "Ticket",
                placeholder="e.g. 4503",
                max_length=12,
                check=_ticket_number,
                missing="Enter a ticket number, like 4503.",
            ),
            Field(
                F_NOTE,
                "Note",
                multiline=True,
                max_length=TEXT_MAX,
                initial=truncate(text, TEXT_MAX),
                hint="A link to the message and your name are added.",
                missing="Write the note.",
            ),
        ),
    )


def form_spec(kind: str, values: Values, meta: Mapping[str, object]) -> Form:
    """The form behind a submission (for its validation)."""
    if kind == FORM_CREATE:
        return create_form(values, channel_id=str(meta.get("ch") or ""))
    if kind == FORM_NOTE:
        return note_form(int(str(meta.get("t") or 0)))
    if kind == FORM_MESSAGE_NOTE:
        return message_note_form("")
    raise ValueError(f"unknown form {kind!r}")


async def check_form(
    kind: str, values: Values, meta: Mapping[str, object], flow: Flow
) -> dict[str, str]:
    """Errors keyed by field (empty: go ahead). Nothing is written here."""
    form = form_spec(kind, values, meta)
    errors = form.validate(values)
    if errors:
        return errors
    refusal = await flow.authorize(flow.caller)
    if refusal is not None:
        return {form.first_input: refusal}
    if kind == FORM_MESSAGE_NOTE:
        ticket_id = int(values[F_TICKET].strip().lstrip("#"))
        customer = await flow.services.customer_for(flow.caller)
        try:
            await asyncio.wait_for(
                flow.services.bruin.get_ticket(ticket_id, client_id=customer), CHECK_SECONDS
            )
        except NotFound:
            return {F_TICKET: f"Ticket {ticket_id} was not found in Bruin."}
        except TimeoutError:
            return {F_TICKET: "Bruin did not answer in time; try again in a moment."}
        except (BackendError, NotConfigured) as exc:
            text = exc.user_message() if isinstance(exc, BackendError) else str(exc)
            return {F_TICKET: truncate(text, 300)}
    return {}


def _contact(values: Values) -> Contact:
    return Contact(
        name=values.get(F_NAME, "").strip() or None,
        email=values.get(F_EMAIL, "").strip() or None,
        phone=values.get(F_PHONE, "").strip() or None,
    )


async def create_ticket(
    services: Services,
    caller: Caller,
    *,
    customer: int,
    service_number: str,
    category: str | None,
    description: str,
    contact: Contact,
) -> int:
    """Create the ticket: site and ticket contact, the description as the signed MTK note.
    Without a category the :func:`handlers.ticket.default_topic` rule picks one."""
    bruin = services.bruin
    if not category:
        topic = ticket.default_topic(
            await bruin.get_topics(service_number=service_number, client_id=customer)
        )
        if topic is None:
            raise UsageError(f"Bruin offers no repair category for {service_number}.")
        category = topic.category
    contacts = [
        contact.model_copy(update={"kind": "site"}),
        contact.model_copy(update={"kind": "ticket"}),
    ]
    ticket_id = await bruin.create_ticket(
        category=category,
        service_numbers=[service_number],
        contacts=contacts,
        notes=[NewNote(text=caller.signed(description), note_type="MTK")],
        client_id=customer,
    )
    log.info("ticket_created", ticket=ticket_id, user=caller.user_id, surface=caller.surface)
    await ticket.record_created(services, caller, ticket_id, customer)
    return ticket_id


async def _created_card(
    services: Services, caller: Caller, ticket_id: int, number: str, customer: int
) -> Message:
    name = escape(caller.display_name)
    banner = f":ticket: {name} opened ticket *{ticket_id}* for `{escape(number)}`."
    return await ticket.card_with_banner(services, caller, ticket_id, banner, customer=customer)


_FORM_OPERATIONS = {
    FORM_CREATE: "/ticket new",
    FORM_NOTE: "/note add",
    FORM_MESSAGE_NOTE: "/note add",
}


async def write_form(kind: str, values: Values, meta: Mapping[str, object], flow: Flow) -> Outcome:
    """Do what the submitted form asks (after :func:`check_form` passed and, in Slack, the
    submission was claimed). Raises BackendError / UsageError / NotConfigured when the
    write fails; :func:`failure_sentence` words it. Leaves one audit event either way."""
    operation = _FORM_OPERATIONS.get(kind, kind)
    target = meta.get("t") if kind == FORM_NOTE else values.get(F_TICKET)
    object_id = int(str(target).strip().lstrip("#")) if target else None
    try:
        outcome = await _write_form(kind, values, meta, flow)
    except UsageError:
        _audit(flow, operation, object_id, "invalid")
        raise
    except (BackendError, NotConfigured) as exc:
        _audit(flow, operation, object_id, "error", type(exc).__name__)
        raise
    _audit(flow, operation, outcome.ticket_id, "ok")
    return outcome


async def _write_form(kind: str, values: Values, meta: Mapping[str, object], flow: Flow) -> Outcome:
    services = flow.services
    caller = await flow.identified()
    if kind == FORM_CREATE:
        customer = int(str(meta.get("cu") or 0)) or await services.customer_for(caller)
        number = values[F_SERVICE].strip()
        ticket_id = await create_ticket(
            services,
            caller,
            customer=customer,
            service_number=number,
            category=values.get(F_CATEGORY) or None,
            description=values[F_DESCRIPTION],
            contact=_contact(values),
        )
        card = await _created_card(services, caller, ticket_id, number, customer)
        return Outcome(post=card, ticket_id=ticket_id, watch=values.get(F_UPDATES) == "yes")
    if kind == FORM_NOTE:
        ticket_id = int(str(meta.get("t") or 0))
        added = await note.add(
            note.NoteAdd(ticket_id=ticket_id, text=values[F_NOTE]), caller, services
        )
        return Outcome(
            replace=await _card_or_none(flow, ticket_id), announce=added, ticket_id=ticket_id
        )
    if kind == FORM_MESSAGE_NOTE:
        ticket_id = int(values[F_TICKET].strip().lstrip("#"))
        text = values[F_NOTE].strip()
        link = meta.get("lk")
        if link:
            text = f"{text}\n\nFrom Slack: {link}"
        added = await note.add(note.NoteAdd(ticket_id=ticket_id, text=text), caller, services)
        return Outcome(post=added, ticket_id=ticket_id)
    raise ValueError(f"unknown form {kind!r}")


async def start_watching(flow: Flow, ticket_id: int) -> Message:
    """ "Post updates in this channel": the same as ``/ticket watch`` there."""
    caller = await flow.identified()
    return await subscriptions.watch(
        subscriptions.Watch(ticket_id=ticket_id), caller, flow.services
    )


# -- buttons -------------------------------------------------------------------------------


async def _card_or_none(flow: Flow, ticket_id: int) -> Message | None:
    try:
        return await ticket.card_for(flow.services, await flow.identified(), ticket_id)
    except BackendError as exc:
        log.warning("card_reread_failed", ticket=ticket_id, error=repr(exc))
        return None


async def _guarded(
    flow: Flow,
    key: str,
    work: Callable[[Caller], Awaitable[Message]],
    *,
    operation: str,
    ticket_id: int | None,
) -> Message | None:
    """Authorize, claim ``key``, run ``work``; None when the key was claimed before (a
    double click or a redelivery). Failures come back as an error message; every
    attempt leaves one audit event."""
    refusal = await flow.authorize(flow.caller)
    if refusal is not None:
        _audit(flow, operation, ticket_id, "refused")
        return error_message(refusal)
    store = flow.services.store
    if store is not None and not await store.claim(CLAIM_KIND, key):
        log.info("duplicate_action_dropped", key=key)
        return None
    try:
        done = await work(await flow.identified())
    except (UsageError, NotConfigured, BackendError) as exc:
        if store is not None and no_effect(exc):
            await store.release(CLAIM_KIND, key)
        outcome: AuditOutcome = "invalid" if isinstance(exc, UsageError) else "error"
        _audit(flow, operation, ticket_id, outcome, type(exc).__name__)
        log.warning("action_failed", key=key, error=repr(exc))
        return error_message(failure_sentence(exc))
    _audit(flow, operation, ticket_id, "ok" if done.ok else "error")
    return done


def _ticket_and_nonce(value: str) -> tuple[int, str]:
    head, _, nonce = value.partition(":")
    if not head.isdigit() or int(head) <= 0:
        raise ValueError(f"bad button value {value[:40]!r}")
    return int(head), nonce or head


def _line(text: str) -> Message:
    return Message(text=text, blocks=[section(text)])


async def run_action(action_id: str, value: str, flow: Flow) -> Outcome:
    """What a button does. Unknown or forged values answer one sentence, never raise."""
    try:
        return await _run_action(action_id, value, flow)
    except (ValueError, TypeError):
        log.warning("bad_button_value", action=action_id)
        return Outcome(reply=error_message("That button is out of date; run the command again."))


async def _run_action(action_id: str, value: str, flow: Flow) -> Outcome:
    services = flow.services
    if action_id in {ACTION_CARD_NOTE, ACTION_OPEN_CREATE_FORM}:
        refusal = await flow.authorize(flow.caller)
        if refusal is not None:
            return Outcome(reply=error_message(refusal))
        if action_id == ACTION_OPEN_CREATE_FORM:
            return Outcome(form=await start_create_form(services, flow.caller))
        return Outcome(form=note_form(_ticket_and_nonce(value)[0]))
    if action_id in {ACTION_CARD_RESOLVE, ACTION_CARD_REOPEN}:
        ticket_id, nonce = _ticket_and_nonce(value)
        req = ticket.TicketResolve(ticket_id=ticket_id)
        shown = ticket.TicketShow(ticket_id=ticket_id)

        async def status(caller: Caller) -> Message:
            if action_id == ACTION_CARD_RESOLVE:
                return await ticket.resolve(req, caller, services)
            return await ticket.reopen(shown, caller, services)

        operation = "/ticket resolve" if action_id == ACTION_CARD_RESOLVE else "/ticket reopen"
        done = await _guarded(
            flow, f"{action_id}:{nonce}", status, operation=operation, ticket_id=ticket_id
        )
        if done is None:
            return Outcome()
        if not done.ok:
            return Outcome(reply=done)
        return Outcome(replace=done, announce=_line(done.text), ticket_id=ticket_id)
    if action_id in {ACTION_CARD_WATCH, ACTION_CARD_UNWATCH}:
        ticket_id, nonce = _ticket_and_nonce(value)
        watch = subscriptions.Watch(ticket_id=ticket_id)
        handler = subscriptions.watch if action_id == ACTION_CARD_WATCH else subscriptions.unwatch

        async def toggle(caller: Caller) -> Message:
            return await handler(watch, caller, services)

        operation = "/ticket watch" if action_id == ACTION_CARD_WATCH else "/ticket unwatch"
        done = await _guarded(
            flow, f"{action_id}:{nonce}", toggle, operation=operation, ticket_id=ticket_id
        )
        if done is None:
            return Outcome()
        if not done.ok:
            return Outcome(reply=done)
        return Outcome(
            replace=await _card_or_none(flow, ticket_id), announce=done, ticket_id=ticket_id
        )
    if action_id in {ACTION_PREVIEW_CREATE, ACTION_PREVIEW_CANCEL}:
        return await _preview(action_id, unpack(value), flow)
    if action_id == ACTION_OUTAGE_NOTE:
        data = unpack(value)
        ticket_id, text = int(data.get("t") or 0), str(data.get("d") or "")
        once = str(data.get("n") or "")
        if ticket_id <= 0 or not text or not once:
            raise ValueError("bad outage note value")
        request = note.NoteAdd(ticket_id=ticket_id, text=text)

        async def add(caller: Caller) -> Message:
            return await note.add(request, caller, services)

        done = await _guarded(
            flow, f"{action_id}:{once}", add, operation="/note add", ticket_id=ticket_id
        )
        if done is None:
            return Outcome()
        if not done.ok:
            return Outcome(reply=done)
        confirm = _line(f":memo: Added your description to ticket *{ticket_id}* as a note.")
        return Outcome(replace=confirm, post=done, ticket_id=ticket_id)
    raise ValueError(f"unknown action {action_id!r}")


async def _preview(action_id: str, data: Mapping[str, object], flow: Flow) -> Outcome:
    """Create / Cancel on a ``/ticket new <sn> <description…>`` preview (one shared key:
    whichever is clicked first wins, a repeat does nothing)."""
    nonce = str(data.get("n") or "")
    number, category, text = (str(data.get(k) or "") for k in ("s", "c", "d"))
    if not (nonce and number and text):
        raise ValueError("bad preview value")
    key = f"preview:{nonce}"
    store = flow.services.store
    if action_id == ACTION_PREVIEW_CANCEL:
        if store is not None and not await store.claim(CLAIM_KIND, key):
            return Outcome()
        return Outcome(delete=True)
    refusal = await flow.authorize(flow.caller)
    if refusal is not None:
        return Outcome(reply=error_message(refusal))
    caller = await flow.identified()
    values = {F_SERVICE: number, F_CATEGORY: category, F_DESCRIPTION: text}
    values |= contact_values(caller.profile)
    if _contact_check(values):
        form = await start_create_form(flow.services, caller, values=values)
        note_text = (
            "Bruin needs an email or a phone for the site contact and your profile has "
            "neither; the form is open so you can add one."
        )
        return Outcome(form=form, reply=_line(note_text))
    customer = int(str(data.get("u") or 0)) or await flow.services.customer_for(caller)
    created: list[int] = []

    async def create(caller: Caller) -> Message:
        ticket_id = await create_ticket(
            flow.services,
            caller,
            customer=customer,
            service_number=number,
            category=category or None,
            description=text,
            contact=_contact(values),
        )
        created.append(ticket_id)
        return await _created_card(flow.services, caller, ticket_id, number, customer)

    done = await _guarded(flow, key, create, operation="/ticket new", ticket_id=None)
    if done is None:
        return Outcome()
    if not done.ok:
        return Outcome(reply=done)
    ticket_id = created[0]
    confirm = _line(f":white_check_mark: Created ticket *{ticket_id}*; its card is in the channel.")
    return Outcome(replace=confirm, post=done, ticket_id=ticket_id)


# -- service number search -----------------------------------------------------------------


@dataclass
class _Inventory:
    at: float
    items: list[InventoryItem]


_CACHE_KEY = "ticket_actions.inventory"


async def _active_inventory(services: Services, customer: int) -> list[InventoryItem]:
    """The customer's active inventory, read at most once a minute (searching re-reads it
    on every keystroke otherwise); concurrent readers share one call."""
    cache: dict[int, _Inventory] = services.extras.setdefault(_CACHE_KEY, {})
    locks: dict[int, asyncio.Lock] = services.extras.setdefault(_CACHE_KEY + ".locks", {})
    lock = locks.setdefault(customer, asyncio.Lock())
    async with lock:
        found = cache.get(customer)
        if found is None or time.monotonic() - found.at > INVENTORY_TTL:
            items = await services.bruin.list_inventory(client_id=customer, status="A")
            found = _Inventory(time.monotonic(), [i for i in items if i.service_number])
            cache[customer] = found
        return found.items


def _service_label(item: InventoryItem) -> str:
    parts = [
        item.service_number,
        item.product_category or item.product_type or "",
        item.site_label or "",
    ]
    return " · ".join(p for p in parts if p)


async def service_options(
    services: Services, customer: int, query: str, *, limit: int = 100
) -> list[Option]:
    """Active service numbers matching ``query`` (service number, product, site), at most
    ``limit``; numbers that start with the query first."""
    needle = query.strip().lower()
    items = await _active_inventory(services, customer)
    found = [i for i in items if not needle or needle in _service_label(i).lower()]
    found.sort(key=lambda i: (not i.service_number.lower().startswith(needle), i.service_number))
    return [Option(i.service_number, _service_label(i)) for i in found[:limit]]
