"""Block Kit as plain dicts: the one place that knows the shape of each block, element and
text object the bot sends, and the limits that go with it.

Every builder returns the ``dict`` Slack receives, built once, with its text already escaped
(mrkdwn) or cleaned (plain_text) and cut within Slack's limits; there is no object model and
no second pass to serialise it. Keys are written in the order slack_sdk's models wrote them
(sorted), so the JSON is the same as before, byte for byte. What cannot be cut without
breaking it (a button's value or URL, an action or block id, a view's metadata) is checked
here and refused with ValueError, as slack_sdk's validation did.

Text rules (:mod:`bot.render.text`): mrkdwn takes :class:`~bot.render.text.Mrkdwn`, and a
plain ``str`` given instead is escaped as text; ``plain_text`` is cleaned of control and bidi
characters by :func:`~bot.render.text.plain_label`. A key whose value is empty (None, "",
[]) is left out, as slack_sdk left it out.

The dicts are the message's own: read them, don't change them after building (messages share
blocks, e.g. a card under a banner).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from bot.core.forms import BUTTON_VALUE_MAX, METADATA_MAX, SEAL_ROOM
from bot.render.text import (
    BUTTON_TEXT_MAX,
    FIELD_MAX,
    HEADER_MAX,
    SECTION_MAX,
    Mrkdwn,
    escape,
    md,
    plain_label,
    truncate,
)

__all__ = [
    "ACTIONS_MAX",
    "ACTION_ID_MAX",
    "BLOCK_ID_MAX",
    "CALLBACK_ID_MAX",
    "CONFIRM_BUTTON_MAX",
    "CONFIRM_TEXT_MAX",
    "CONFIRM_TITLE_MAX",
    "CONTEXT_ELEMENTS_MAX",
    "FIELDS_MAX",
    "OPTION_TEXT_MAX",
    "OPTION_VALUE_MAX",
    "URL_MAX",
    "VIEW_BLOCKS_MAX",
    "Block",
    "Element",
    "Text",
    "actions",
    "button",
    "checkboxes",
    "confirm",
    "context",
    "context_block",
    "divider",
    "email_input",
    "external_select",
    "fields",
    "header",
    "input_block",
    "mrkdwn",
    "option",
    "plain_text",
    "plain_text_input",
    "section",
    "static_select",
    "view",
]

Block = dict[str, Any]
"""A layout block (section, header, context, actions, divider, input)."""
Element = dict[str, Any]
"""A block element (button, select, input) or a composition object (option, confirm)."""
Text = dict[str, Any]
"""A text object: ``{"text": …, "type": "mrkdwn" | "plain_text"}``."""

FIELDS_MAX = 10
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_MAX = 25
ACTION_ID_MAX = 255
BLOCK_ID_MAX = 255
URL_MAX = 3000
OPTION_VALUE_MAX = 150
VIEW_BLOCKS_MAX = 100
CALLBACK_ID_MAX = 255
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30
OPTION_TEXT_MAX = 75
ButtonStyle = Literal["primary", "danger"]


def _too_long(what: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise ValueError(f"{what} cannot exceed {limit} characters ({len(value)})")


# -- text objects ---------------------------------------------------------------------------


def mrkdwn(text: Mrkdwn, limit: int = SECTION_MAX) -> Text:
    """A mrkdwn text object (a plain ``str`` is escaped as text), cut within ``limit``."""
    shown = truncate(escape(text), limit)
    if not shown:
        return {"type": "mrkdwn"}
    return {"text": shown, "type": "mrkdwn"}


def plain_text(text: str | None, limit: int, *, emoji: bool = False) -> Text:
    """A plain_text object: cleaned, cut, "—" when nothing is left (Slack wants one
    character). ``emoji`` writes ``"emoji": true`` (headers and placeholders had it)."""
    shown = plain_label(text, limit)
    if emoji:
        return {"emoji": True, "text": shown, "type": "plain_text"}
    return {"text": shown, "type": "plain_text"}


# -- blocks -----------------------------------------------------------------------------------


def section(
    text: Mrkdwn, *, accessory: Element | None = None, block_id: str | None = None
) -> Block:
    """A section of mrkdwn ``text`` (escaped if a plain ``str``, cut to 3000), with an
    optional accessory (a button)."""
    block: Block = {}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        _too_long("block_id", block_id, BLOCK_ID_MAX)
        block["block_id"] = block_id
    block["text"] = mrkdwn(text)
    block["type"] = "section"
    return block


def fields(pairs: Iterable[tuple[str, Mrkdwn]]) -> Block:
    """A section of up to ten ``*label*`` / value fields (labels are text, values Mrkdwn;
    a plain ``str`` value is escaped), each cut within 2000 characters."""
    items: list[Text] = []
    for label, value in pairs:
        items.append(mrkdwn(md("*{}*\n{}", label, escape(value)), FIELD_MAX))
        if len(items) == FIELDS_MAX:
            break
    if not items:
        raise ValueError("a section needs text or fields")
    return {"fields": items, "type": "section"}


def header(text: str) -> Block:
    """A header: plain text (no markup is read there), cleaned and cut to 150."""
    return {"text": plain_text(text, HEADER_MAX, emoji=True), "type": "header"}


def context(*parts: Mrkdwn) -> Block:
    """A context line of up to ten mrkdwn parts; empty parts are left out."""
    return context_block([mrkdwn(p) for p in parts if p])


def context_block(elements: Sequence[Text], *, block_id: str | None = None) -> Block:
    """A context block of these text objects (up to ten)."""
    block: Block = {}
    if block_id:
        _too_long("block_id", block_id, BLOCK_ID_MAX)
        block["block_id"] = block_id
    if elements:
        block["elements"] = list(elements[:CONTEXT_ELEMENTS_MAX])
    block["type"] = "context"
    return block


def divider() -> Block:
    return {"type": "divider"}


def actions(elements: Sequence[Element]) -> Block:
    """A row of up to 25 interactive elements (buttons)."""
    block: Block = {}
    if elements:
        block["elements"] = list(elements[:ACTIONS_MAX])
    block["type"] = "actions"
    return block


def input_block(
    block_id: str,
    label: str,
    element: Element,
    *,
    hint: str | None = None,
    optional: bool = False,
    dispatch_action: bool = False,
) -> Block:
    """An input of a modal; ``block_id`` names it in ``view.state.values``."""
    _too_long("block_id", block_id, BLOCK_ID_MAX)
    block: Block = {"block_id": block_id}
    if dispatch_action:
        block["dispatch_action"] = True
    block["element"] = element
    if hint:
        block["hint"] = plain_text(hint, 2000)
    block["label"] = plain_text(label, 2000)
    block["optional"] = optional
    block["type"] = "input"
    return block


# -- elements ---------------------------------------------------------------------------------


def confirm(
    title: str, text: str, yes: str, no: str = "Cancel", *, style: ButtonStyle = "primary"
) -> Element:
    """A confirm dialog (plain text throughout, each part cut within its limit)."""
    return {
        "title": plain_text(title, CONFIRM_TITLE_MAX),
        "text": plain_text(text, CONFIRM_TEXT_MAX),
        "confirm": plain_text(yes, CONFIRM_BUTTON_MAX),
        "deny": plain_text(no, CONFIRM_BUTTON_MAX),
        "style": style,
    }


def button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    url: str | None = None,
    style: ButtonStyle | None = None,
    confirm: Element | None = None,
) -> Element:
    """A button. ``value`` (sealed on the way out, ``bot.slack.seal``) and ``url`` cannot be
    cut: one beyond Slack's limit is refused with ValueError."""
    _too_long("action_id", action_id, ACTION_ID_MAX)
    _too_long("value", value, BUTTON_VALUE_MAX - SEAL_ROOM)  # sealed on the way out
    _too_long("url", url, URL_MAX)
    if style is not None and style not in ("primary", "danger"):
        raise ValueError(f"button style must be primary or danger, not {style!r}")
    element: Element = {"action_id": action_id}
    if confirm:
        element["confirm"] = confirm
    if style:
        element["style"] = style
    element["text"] = plain_text(text, BUTTON_TEXT_MAX)
    element["type"] = "button"
    if url:
        element["url"] = url
    if value:
        element["value"] = value
    return element


def option(value: str, label: str) -> Element:
    """An option of a select or checkboxes: the value cut to 150, the label to 75."""
    return {"text": plain_text(label, OPTION_TEXT_MAX), "value": value[:OPTION_VALUE_MAX]}


def _input_element(kind: str, action_id: str, placeholder: Text | None, **rest: Any) -> Element:
    _too_long("action_id", action_id, ACTION_ID_MAX)
    element: Element = {"action_id": action_id}
    for key, value in rest.items():  # callers pass them in sorted order
        if value is not None and value != "" and value != []:
            element[key] = value
    if placeholder:
        element["placeholder"] = placeholder
    element["type"] = kind
    return element


def plain_text_input(
    action_id: str,
    *,
    initial_value: str | None = None,
    max_length: int | None = None,
    multiline: bool | None = None,
    placeholder: Text | None = None,
) -> Element:
    return _input_element(
        "plain_text_input",
        action_id,
        placeholder,
        initial_value=initial_value,
        max_length=max_length,
        multiline=multiline,
    )


def email_input(
    action_id: str, *, initial_value: str | None = None, placeholder: Text | None = None
) -> Element:
    return _input_element("email_text_input", action_id, placeholder, initial_value=initial_value)


def static_select(
    action_id: str,
    options: Sequence[Element],
    *,
    initial_option: Element | None = None,
    placeholder: Text | None = None,
) -> Element:
    if not options:
        raise ValueError("a static select needs options")
    return _input_element(
        "static_select",
        action_id,
        placeholder,
        initial_option=initial_option,
        options=list(options),
    )


def external_select(
    action_id: str,
    *,
    initial_option: Element | None = None,
    min_query_length: int | None = None,
    placeholder: Text | None = None,
) -> Element:
    return _input_element(
        "external_select",
        action_id,
        placeholder,
        initial_option=initial_option,
        min_query_length=min_query_length,
    )


def checkboxes(
    action_id: str,
    options: Sequence[Element],
    *,
    initial_options: Sequence[Element] | None = None,
) -> Element:
    return _input_element(
        "checkboxes",
        action_id,
        None,
        initial_options=list(initial_options or ()),
        options=list(options),
    )


# -- views ------------------------------------------------------------------------------------


def view(
    kind: Literal["modal", "home"],
    blocks: Sequence[Block],
    *,
    callback_id: str | None = None,
    title: Text | None = None,
    submit: Text | None = None,
    close: Text | None = None,
    private_metadata: str | None = None,
) -> dict[str, Any]:
    """A modal or the App Home tab. Its ``private_metadata`` is sealed on the way out
    (``bot.slack.seal``); metadata beyond 3000 characters or no blocks at all (or more than
    100) is refused with ValueError."""
    if not 0 < len(blocks) <= VIEW_BLOCKS_MAX:
        raise ValueError(f"a view must have between 1 and {VIEW_BLOCKS_MAX} blocks")
    _too_long("callback_id", callback_id, CALLBACK_ID_MAX)
    _too_long("private_metadata", private_metadata, METADATA_MAX - SEAL_ROOM)
    if kind == "home" and (submit or close):
        raise ValueError("a home view has no submit or close")
    out: dict[str, Any] = {"blocks": list(blocks)}
    if callback_id:
        out["callback_id"] = callback_id
    if close:
        out["close"] = close
    if private_metadata:
        out["private_metadata"] = private_metadata
    if submit:
        out["submit"] = submit
    if title:
        out["title"] = title
    out["type"] = kind
    return out
