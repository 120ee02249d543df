"""Ticket work behind buttons, modals and shortcuts, the same for Slack and the console.

``register(registry)`` puts every button of a card, a preview or an outage answer in the
action table (action id -> handler) and the three modals in the form table. A front end
turns a click into ``registry.actions[action_id](interaction, value)`` and a submitted form
into ``kind.check`` (fast, before Slack's 3 s ack; nothing written) and then
``kind.write``. Both answer with an :class:`~bot.core.registry.Outcome` the front end shows
its own way.

Every write goes through the one write gate (``bot.core.gate``): authorize, rate, customer
scope, idempotency claim (the button's nonce or the view id), run, audit. Button values
are read with the codecs of ``bot.render.values``; they never carry a customer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence

import structlog

from bot.clients.bruin.models import Contact, InventoryItem, NewNote, Topic
from bot.clients.errors import BackendError
from bot.core.caller import Caller, Profile
from bot.core.deps import NotConfigured, Services
from bot.core.forms import Field, Form, Option, Values, check_phone
from bot.core.gate import CLAIM_KIND, Duplicate, Refused, Write, failure_sentence
from bot.core.grammar import UsageError
from bot.core.registry import Created, FormKind, Interaction, Outcome, Registry
from bot.render.blocks import Message, error_message, section
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
from bot.render.text import Mrkdwn, code, escape, md, plain_label, truncate
from bot.render.values import OutageNote, Preview, TicketButton
from handlers import note, subscriptions, ticket

__all__ = [
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
    "button_write",
    "contact_values",
    "create_form",
    "is_form_command",
    "message_note_form",
    "refresh_create_form",
    "register",
    "service_options",
    "start_create_form",
    "start_watching",
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

TEXT_MAX = 3000
"""Slack's plain_text_input limit; the audit line is added after it."""
CHECK_SECONDS = 2.0
"""How long a form's pre-write check may wait for Bruin (the ack is due within 3 s)."""


def is_form_command(command: str, text: str) -> bool:
    """``/ticket new`` alone opens the create form instead of answering with a message."""
    return command == "/ticket" and text.strip().lower() == "new"


def _stopped(exc: BaseException) -> Outcome:
    """A write the gate stopped or that failed: one sentence for the person."""
    return Outcome(reply=_error(failure_sentence(exc)))


_STOPS = (Refused, UsageError, NotConfigured, BackendError)
"""What the gate or a write can stop with; each becomes one sentence (failure_sentence)."""


def _error(sentence: str) -> Message:
    return error_message(sentence)


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
    banner = md(
        ":ticket: {} opened ticket *{}* for {}.", caller.display_name, ticket_id, code(number)
    )
    return await ticket.card_with_banner(services, caller, ticket_id, banner, customer=customer)


async def _checked(interaction: Interaction, write: Write, field_key: str) -> dict[str, str]:
    """The gate's checks before the ack (authorize, rate, scope), as field errors."""
    try:
        await asyncio.wait_for(
            interaction.gate.check(interaction.services, interaction.caller, write),
            CHECK_SECONDS,
        )
    except Refused as exc:
        return {field_key: exc.sentence}
    except TimeoutError:
        return {field_key: "Bruin did not answer in time; try again in a moment."}
    except (BackendError, NotConfigured) as exc:
        return {field_key: plain_label(failure_sentence(exc), 300)}
    return {}


def _meta_ticket(meta: Mapping[str, object]) -> int:
    return int(str(meta.get("t") or 0))


def _typed_ticket(values: Values) -> int:
    return int(values[F_TICKET].strip().lstrip("#"))


async def _check_create(
    interaction: Interaction, values: Values, meta: Mapping[str, object]
) -> dict[str, str]:
    form = create_form(values, channel_id=interaction.caller.channel_id)
    return form.validate(values) or await _checked(
        interaction, Write("/ticket new"), form.first_input
    )


async def _write_create(
    interaction: Interaction, values: Values, meta: Mapping[str, object]
) -> Outcome:
    services = interaction.services
    number = values[F_SERVICE].strip()

    async def create(caller: Caller) -> Outcome:
        customer = await services.customer_for(caller)  # the channel's, never the form's
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
        return Outcome(post=card, created=Created(ticket_id, watch=values.get(F_UPDATES) == "yes"))

    return await interaction.gate.run(services, interaction.caller, Write("/ticket new"), create)


def _note_spec(values: Values, meta: Mapping[str, object]) -> Form:
    return note_form(_meta_ticket(meta))


async def _check_note(
    interaction: Interaction, values: Values, meta: Mapping[str, object]
) -> dict[str, str]:
    form = note_form(_meta_ticket(meta))
    write = Write("/note add", ticket_id=_meta_ticket(meta))
    return form.validate(values) or await _checked(interaction, write, form.first_input)


async def _write_note(
    interaction: Interaction, values: Values, meta: Mapping[str, object]
) -> Outcome:
    ticket_id = _meta_ticket(meta)
    services = interaction.services

    async def add(caller: Caller) -> Message:
        return await note.add(
            note.NoteAdd(ticket_id=ticket_id, text=values[F_NOTE]), caller, services
        )

    added = await interaction.gate.run(
        services, interaction.caller, Write("/note add", ticket_id=ticket_id), add
    )
    return Outcome(replace=await _card_or_none(interaction, ticket_id), announce=added)


async def _check_message_note(
    interaction: Interaction, values: Values, meta: Mapping[str, object]
) -> dict[str, str]:
    form = message_note_form("")
    errors = form.validate(values)
    if errors:
        return errors
    ticket_id = _typed_ticket(values)
    found = await _checked(interaction, Write("/note add", ticket_id=ticket_id), F_TICKET)
    if found.get(F_TICKET, "").startswith(f"Ticket {ticket_id} was not found"):
        return {F_TICKET: f"Ticket {ticket_id} was not found in Bruin."}
    return found


async def _write_message_note(
    interaction: Interaction, values: Values, meta: Mapping[str, object]
) -> Outcome:
    ticket_id = _typed_ticket(values)
    text = values[F_NOTE].strip()
    link = meta.get("lk")
    if link:
        text = f"{text}\n\nFrom Slack: {link}"
    services = interaction.services

    async def add(caller: Caller) -> Message:
        return await note.add(note.NoteAdd(ticket_id=ticket_id, text=text), caller, services)

    added = await interaction.gate.run(
        services, interaction.caller, Write("/note add", ticket_id=ticket_id), add
    )
    return Outcome(post=added)


async def start_watching(interaction: Interaction, ticket_id: int) -> Message:
    """ "Post updates in this channel": the same as ``/ticket watch`` there."""
    services = interaction.services

    async def watch(caller: Caller) -> Message:
        return await subscriptions.watch(subscriptions.Watch(ticket_id=ticket_id), caller, services)

    write = Write("/ticket watch", ticket_id=ticket_id)
    return await interaction.gate.run(services, interaction.caller, write, watch)


# -- buttons -------------------------------------------------------------------------------


async def _card_or_none(interaction: Interaction, ticket_id: int) -> Message | None:
    caller = await interaction.gate.identify(interaction.caller)
    try:
        return await ticket.card_for(interaction.services, caller, ticket_id)
    except BackendError as exc:
        log.warning("card_reread_failed", ticket=ticket_id, error=repr(exc))
        return None


def _line(text: Mrkdwn) -> Message:
    return Message(text=text, blocks=[section(text)])


async def _open_note_form(interaction: Interaction, value: str) -> Outcome:
    """Add note (a card): the note form, for writers only."""
    ticket_id = TicketButton.decode(value).ticket_id
    try:
        await interaction.gate.may_write(interaction.caller)
    except Refused as exc:
        return _stopped(exc)
    return Outcome(form=note_form(ticket_id))


async def _open_create_form(interaction: Interaction, value: str) -> Outcome:
    """New ticket… (a prompt or the Home tab): the create form, for writers only."""
    try:
        await interaction.gate.may_write(interaction.caller)
    except Refused as exc:
        return _stopped(exc)
    return Outcome(form=await start_create_form(interaction.services, interaction.caller))


async def button_write(
    interaction: Interaction, write: Write, work: Callable[[Caller], Awaitable[Message]]
) -> Message | Outcome:
    """A button's write through the gate: the message it made, or the Outcome that says it
    did nothing (a repeat click: nothing to show) or why it stopped (one sentence)."""
    try:
        done = await interaction.gate.run(interaction.services, interaction.caller, write, work)
    except Duplicate:
        return Outcome()
    except _STOPS as exc:
        return _stopped(exc)
    return done if done.ok else Outcome(reply=done)


async def _set_status(interaction: Interaction, value: str, *, resolve: bool) -> Outcome:
    button = TicketButton.decode(value)
    services = interaction.services
    operation = "/ticket resolve" if resolve else "/ticket reopen"

    async def status(caller: Caller) -> Message:
        if resolve:
            return await ticket.resolve(
                ticket.TicketResolve(ticket_id=button.ticket_id), caller, services
            )
        return await ticket.reopen(ticket.TicketShow(ticket_id=button.ticket_id), caller, services)

    write = Write(operation, ticket_id=button.ticket_id, key=f"{operation}:{button.nonce}")
    done = await button_write(interaction, write, status)
    if isinstance(done, Outcome):
        return done
    return Outcome(replace=done, announce=_line(escape(done.text)))


async def _resolve(interaction: Interaction, value: str) -> Outcome:
    """Resolve (a card)."""
    return await _set_status(interaction, value, resolve=True)


async def _reopen(interaction: Interaction, value: str) -> Outcome:
    """Reopen (a card)."""
    return await _set_status(interaction, value, resolve=False)


async def _toggle_watch(interaction: Interaction, value: str, *, on: bool) -> Outcome:
    button = TicketButton.decode(value)
    services = interaction.services
    operation = "/ticket watch" if on else "/ticket unwatch"
    handler = subscriptions.watch if on else subscriptions.unwatch

    async def toggle(caller: Caller) -> Message:
        return await handler(subscriptions.Watch(ticket_id=button.ticket_id), caller, services)

    write = Write(operation, ticket_id=button.ticket_id, key=f"{operation}:{button.nonce}")
    done = await button_write(interaction, write, toggle)
    if isinstance(done, Outcome):
        return done
    return Outcome(replace=await _card_or_none(interaction, button.ticket_id), announce=done)


async def _watch(interaction: Interaction, value: str) -> Outcome:
    """Watch (a card)."""
    return await _toggle_watch(interaction, value, on=True)


async def _unwatch(interaction: Interaction, value: str) -> Outcome:
    """Unwatch (a card)."""
    return await _toggle_watch(interaction, value, on=False)


async def _outage_note(interaction: Interaction, value: str) -> Outcome:
    """Add as note (an outage answer): the description onto the ticket that covers it."""
    found = OutageNote.decode(value)
    services = interaction.services

    async def add(caller: Caller) -> Message:
        request = note.NoteAdd(ticket_id=found.ticket_id, text=found.description)
        return await note.add(request, caller, services)

    write = Write("/note add", ticket_id=found.ticket_id, key=f"{ACTION_OUTAGE_NOTE}:{found.nonce}")
    done = await button_write(interaction, write, add)
    if isinstance(done, Outcome):
        return done
    confirm = _line(md(":memo: Added your description to ticket *{}* as a note.", found.ticket_id))
    return Outcome(replace=confirm, post=done)


async def _preview_cancel(interaction: Interaction, value: str) -> Outcome:
    """Cancel (a create preview): whichever of Create / Cancel is clicked first wins."""
    found = Preview.decode(value)
    store = interaction.services.store
    if store is not None and not await store.claim(CLAIM_KIND, f"preview:{found.nonce}"):
        return Outcome()
    return Outcome(delete=True)


async def _preview_create(interaction: Interaction, value: str) -> Outcome:
    """Create (a create preview): the ticket, for the channel's customer."""
    found = Preview.decode(value)
    services = interaction.services
    try:
        await interaction.gate.may_write(interaction.caller)
    except Refused as exc:
        return _stopped(exc)
    caller = await interaction.gate.identify(interaction.caller)
    values = {
        F_SERVICE: found.service_number,
        F_CATEGORY: found.category,
        F_DESCRIPTION: found.description,
    }
    values |= contact_values(caller.profile)
    if _contact_check(values):
        form = await start_create_form(services, caller, values=values)
        note_text = md(
            "Bruin needs an email or a phone for the site contact and your profile has "
            "neither; the form is open so you can add one."
        )
        return Outcome(form=form, reply=_line(note_text))

    async def create(caller: Caller) -> tuple[int, Message]:
        customer = await services.customer_for(caller)  # the channel's, never the value's
        ticket_id = await create_ticket(
            services,
            caller,
            customer=customer,
            service_number=found.service_number,
            category=found.category or None,
            description=found.description,
            contact=_contact(values),
        )
        card = await _created_card(services, caller, ticket_id, found.service_number, customer)
        return ticket_id, card

    write = Write("/ticket new", key=f"preview:{found.nonce}")
    try:
        ticket_id, card = await interaction.gate.run(services, caller, write, create)
    except Duplicate:
        return Outcome()
    except _STOPS as exc:
        return _stopped(exc)
    confirm = _line(
        md(":white_check_mark: Created ticket *{}*; its card is in the channel.", ticket_id)
    )
    return Outcome(replace=confirm, post=card, created=Created(ticket_id))


# -- service number search -----------------------------------------------------------------


async def _active_inventory(services: Services, customer: int) -> list[InventoryItem]:
    """The customer's active inventory, read at most once a minute (searching re-reads it
    on every keystroke otherwise); concurrent readers share one call."""

    async def load() -> list[InventoryItem]:
        items = await services.bruin.list_inventory(client_id=customer, status="A")
        return [i for i in items if i.service_number]

    return await services.inventory.get(customer, load)


def _service_label(item: InventoryItem) -> str:
    parts = [
        item.service_number,
        item.product_category or item.product_type or "",
        item.site_label or "",
    ]
    return " · ".join(p for p in parts if p)


async def service_options(
    services: Services, caller: Caller, query: str, *, limit: int = 100
) -> list[Option]:
    """Active service numbers of the caller's channel's customer matching ``query``
    (service number, product, site), at most ``limit``; numbers that start with it first."""
    customer = await services.customer_for(caller)
    needle = query.strip().lower()
    items = await _active_inventory(services, customer)
    found = [i for i in items if not needle or needle in _service_label(i).lower()]
    found.sort(key=lambda i: (not i.service_number.lower().startswith(needle), i.service_number))
    return [Option(i.service_number, _service_label(i)) for i in found[:limit]]


def _create_spec(values: Values, meta: Mapping[str, object]) -> Form:
    return create_form(values, channel_id=str(meta.get("ch") or ""))


def _message_note_spec(values: Values, meta: Mapping[str, object]) -> Form:
    return message_note_form("")


def register(registry: Registry) -> None:
    """The action table and the form table."""
    registry.action(ACTION_CARD_NOTE, _open_note_form)
    registry.action(ACTION_OPEN_CREATE_FORM, _open_create_form)
    registry.action(ACTION_CARD_RESOLVE, _resolve)
    registry.action(ACTION_CARD_REOPEN, _reopen)
    registry.action(ACTION_CARD_WATCH, _watch)
    registry.action(ACTION_CARD_UNWATCH, _unwatch)
    registry.action(ACTION_OUTAGE_NOTE, _outage_note)
    registry.action(ACTION_PREVIEW_CREATE, _preview_create)
    registry.action(ACTION_PREVIEW_CANCEL, _preview_cancel)
    registry.form(FORM_CREATE, FormKind(_create_spec, _check_create, _write_create))
    registry.form(FORM_NOTE, FormKind(_note_spec, _check_note, _write_note))
    registry.form(
        FORM_MESSAGE_NOTE, FormKind(_message_note_spec, _check_message_note, _write_message_note)
    )
