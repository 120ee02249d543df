"""A :class:`bot.core.forms.Form` as a Slack modal, plus the small views around it.

Each field becomes an ``input`` block whose ``block_id`` and ``action_id`` are the field's
key, so ``view.state.values`` parse back with :func:`bot.core.forms.parse_state` and validation
errors are keyed correctly. Built with :mod:`bot.render.kit`, within Slack's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.forms import Field, Form, Option
from bot.render import kit
from bot.render.blocks import ACTION_OPEN_LINK, Block, button, mrkdwn
from bot.render.kit import OPTION_TEXT_MAX, OPTION_VALUE_MAX, Element, Text
from bot.render.text import Mrkdwn, clean, enforce, escape, md

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
PLACEHOLDER_MAX = 150
INPUT_MAX = 3000


def _option(option: Option) -> Element:
    return kit.option(option.value, option.label)


def options_payload(options: Sequence[Option]) -> list[dict[str, Any]]:
    """The ``options`` of a block_suggestion answer: at most 100, within the text limits."""
    return [_option(o) for o in options[:OPTIONS_MAX]]


def _placeholder(f: Field, default: str | None = None) -> Text | None:
    """The field's placeholder; else ``default`` (written with ``"emoji": true``, as
    slack_sdk wrote a placeholder given as a string)."""
    if f.placeholder:
        return kit.plain_text(f.placeholder, PLACEHOLDER_MAX)
    if default is not None:
        return kit.plain_text(default, PLACEHOLDER_MAX, emoji=True)
    return None


def _element(f: Field) -> Element:
    if f.kind == "email":
        return kit.email_input(f.key, initial_value=f.initial or None, placeholder=_placeholder(f))
    if f.kind == "search":
        return kit.external_select(
            f.key,
            initial_option=_option(Option(f.initial, f.initial)) if f.initial else None,
            min_query_length=0,
            placeholder=_placeholder(f, "Type to search"),
        )
    if f.kind == "select":
        options = [_option(o) for o in (f.options or ())[:OPTIONS_MAX]]
        chosen = next((o for o in options if o["value"] == f.initial), None)
        return kit.static_select(
            f.key, options, initial_option=chosen, placeholder=_placeholder(f, "Choose")
        )
    if f.kind == "checkbox":
        boxes = [_option(o) for o in f.options or (Option("yes", f.label),)]
        return kit.checkboxes(
            f.key, boxes, initial_options=boxes[:1] if f.initial == "yes" else None
        )
    return kit.plain_text_input(
        f.key,
        initial_value=clean(f.initial)[:INPUT_MAX] or None,
        max_length=min(f.max_length or INPUT_MAX, INPUT_MAX),
        multiline=f.multiline or None,
        placeholder=_placeholder(f),
    )


def _field_block(f: Field) -> Block:
    if not f.is_input:
        hint = f.hint or f"The {f.label.lower()} choices appear here."
        return kit.context_block(
            [mrkdwn(md("*{}:* {}", f.label, hint))], block_id=f"{f.key}_pending"
        )
    return kit.input_block(
        f.key,
        f.label,
        _element(f),
        hint=f.hint,
        optional=not f.required,
        dispatch_action=f.dispatch,
    )


def form_view(form: Form, *, metadata: str = "") -> dict[str, Any]:
    """The modal for ``form``; ``metadata`` becomes ``private_metadata``. Intro lines are
    Mrkdwn (``md``); a plain ``str`` line is escaped as text."""
    blocks = [kit.context_block([mrkdwn(escape(line))]) for line in form.intro]
    blocks.extend(_field_block(f) for f in form.fields)
    return dict(
        enforce(
            kit.view(
                "modal",
                blocks,
                callback_id=form.kind,
                title=kit.plain_text(form.title, TITLE_MAX),
                submit=kit.plain_text(form.submit, TITLE_MAX),
                close=kit.plain_text("Cancel", TITLE_MAX),
                private_metadata=metadata,
            )
        )
    )


def info_view(
    title: str,
    lines: Sequence[Mrkdwn],
    *,
    callback_id: str = "chatops_info",
    link: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """A read-only modal (working…, done, failed) with a Close button; ``link`` is (label, url).
    ``lines`` are Mrkdwn (``md``); a plain ``str`` line is escaped as text."""
    blocks = [kit.section(line) for line in lines]
    if link is not None:
        blocks.append(kit.actions([button(link[0], ACTION_OPEN_LINK, url=link[1])]))
    return dict(
        enforce(
            kit.view(
                "modal",
                blocks,
                callback_id=callback_id,
                title=kit.plain_text(title, TITLE_MAX),
                close=kit.plain_text("Close", TITLE_MAX),
            )
        )
    )
