"""A :class:`bot.core.forms.Form` as a Slack modal, plus the small views around it.

Each field becomes an ``input`` block whose ``block_id`` and ``action_id`` are the field's
key, so ``view.state.values`` parse back with :func:`bot.core.forms.parse_state` and validation
errors are keyed correctly. slack_sdk's models check Slack's limits on ``to_dict()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    CheckboxesElement,
    ContextBlock,
    EmailInputElement,
    ExternalDataSelectElement,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.blocks import Option as SlackOption
from slack_sdk.models.blocks.block_elements import InputInteractiveElement
from slack_sdk.models.views import View

from bot.core.forms import Field, Form, Option
from bot.render.blocks import ACTION_OPEN_LINK, button, mrkdwn
from bot.render.text import Mrkdwn, clean, enforce, escape, md, plain_label

__all__ = [
    "OPTIONS_MAX",
    "OPTION_TEXT_MAX",
    "OPTION_VALUE_MAX",
    "TITLE_MAX",
    "form_view",
    "info_view",
    "options_payload",
]

TITLE_MAX = 24
"""Modal title / submit / close labels."""
OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
PLACEHOLDER_MAX = 150
INPUT_MAX = 3000


def _option(option: Option) -> SlackOption:
    return SlackOption(
        value=option.value[:OPTION_VALUE_MAX],
        text=PlainTextObject(text=plain_label(option.label, OPTION_TEXT_MAX)),
    )


def options_payload(options: Sequence[Option]) -> list[dict[str, Any]]:
    """The ``options`` of a block_suggestion answer: at most 100, within the text limits."""
    return [enforce(_option(o).to_dict()) for o in options[:OPTIONS_MAX]]


def _placeholder(f: Field) -> PlainTextObject | None:
    if not f.placeholder:
        return None
    return PlainTextObject(text=plain_label(f.placeholder, PLACEHOLDER_MAX))


def _element(f: Field) -> InputInteractiveElement:
    if f.kind == "email":
        return EmailInputElement(
            action_id=f.key, initial_value=f.initial or None, placeholder=_placeholder(f)
        )
    if f.kind == "search":
        initial = _option(Option(f.initial, f.initial)) if f.initial else None
        return ExternalDataSelectElement(
            action_id=f.key,
            placeholder=_placeholder(f) or "Type to search",
            initial_option=initial,
            min_query_length=0,
        )
    if f.kind == "select":
        options = [_option(o) for o in (f.options or ())[:OPTIONS_MAX]]
        chosen = next((o for o in options if o.value == f.initial), None)
        return StaticSelectElement(
            action_id=f.key,
            options=options,
            initial_option=chosen,
            placeholder=_placeholder(f) or "Choose",
        )
    if f.kind == "checkbox":
        boxes = [_option(o) for o in f.options or (Option("yes", f.label),)]
        return CheckboxesElement(
            action_id=f.key,
            options=boxes,
            initial_options=boxes[:1] if f.initial == "yes" else None,
        )
    return PlainTextInputElement(
        action_id=f.key,
        initial_value=clean(f.initial)[:INPUT_MAX] or None,
        multiline=f.multiline or None,
        max_length=min(f.max_length or INPUT_MAX, INPUT_MAX),
        placeholder=_placeholder(f),
    )


def _field_block(f: Field) -> Block:
    if not f.is_input:
        hint = f.hint or f"The {f.label.lower()} choices appear here."
        return ContextBlock(
            block_id=f"{f.key}_pending", elements=[mrkdwn(md("*{}:* {}", f.label, hint))]
        )
    return InputBlock(
        block_id=f.key,
        label=PlainTextObject(text=plain_label(f.label, 2000)),
        element=_element(f),
        hint=PlainTextObject(text=plain_label(f.hint, 2000)) if f.hint else None,
        optional=not f.required,
        dispatch_action=True if f.dispatch else None,
    )


def form_view(form: Form, *, metadata: str = "") -> dict[str, Any]:
    """The modal for ``form``; ``metadata`` becomes ``private_metadata``. Intro lines are
    Mrkdwn (``md``); a plain ``str`` line is escaped as text."""
    blocks: list[Block] = [ContextBlock(elements=[mrkdwn(escape(line))]) for line in form.intro]
    blocks.extend(_field_block(f) for f in form.fields)
    view = View(
        type="modal",
        callback_id=form.kind,
        title=PlainTextObject(text=plain_label(form.title, TITLE_MAX)),
        submit=PlainTextObject(text=plain_label(form.submit, TITLE_MAX)),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
        private_metadata=metadata,
    )
    return dict(enforce(view.to_dict()))


def info_view(
    title: str,
    lines: Sequence[Mrkdwn],
    *,
    callback_id: str = "chatops_info",
    link: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """A read-only modal (working…, done, failed) with a Close button; ``link`` is (label, url).
    ``lines`` are Mrkdwn (``md``); a plain ``str`` line is escaped as text."""
    blocks: list[Block] = [SectionBlock(text=mrkdwn(line)) for line in lines]
    if link is not None:
        blocks.append(ActionsBlock(elements=[button(link[0], ACTION_OPEN_LINK, url=link[1])]))
    view = View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=plain_label(title, TITLE_MAX)),
        close=PlainTextObject(text="Close"),
        blocks=blocks,
    )
    return dict(enforce(view.to_dict()))
