"""Forms defined once, shown twice: a Slack modal (``bot.render.forms``) and console prompts
(``bot.console.ui``).

A :class:`Form` is a title, a submit label and ordered :class:`Field` s; ``Form.validate``
is the one validation both front ends run, so an error the console prints is the error
Slack shows next to the field (``response_action: errors`` keyed by the field's key, which
is the input block's ``block_id``). Values are plain strings keyed by field key; a ticked
checkbox is ``"yes"``.

``pack``/``unpack`` carry small context (a channel, a customer id, a ticket id) through
Slack's ``private_metadata`` and button values, which hold strings of bounded size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bot.render.text import clean

__all__ = [
    "BUTTON_VALUE_MAX",
    "METADATA_MAX",
    "SEAL_ROOM",
    "Field",
    "Form",
    "Option",
    "Values",
    "check_email",
    "check_phone",
    "pack",
    "parse_state",
    "unpack",
]

METADATA_MAX = 3000
"""Slack's limit on a view's ``private_metadata``."""
BUTTON_VALUE_MAX = 2000
"""Slack's limit on a button's ``value``."""
SEAL_ROOM = 64
"""Characters a button value or a view's metadata keeps free for the seal added on the way
out (``bot.slack.seal``: a separator and a 22-character MAC)."""

FieldKind = Literal["text", "email", "select", "search", "checkbox"]
Values = dict[str, str]
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_PHONE = re.compile(r"^\+?[0-9 ().\-]{7,20}$")


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    """One input. ``options`` of a ``select`` is None while unknown (a hint is shown instead);
    ``dispatch`` means choosing a value re-renders the form (Slack: ``dispatch_action``)."""

    key: str
    label: str
    kind: FieldKind = "text"
    required: bool = True
    multiline: bool = False
    max_length: int | None = None
    hint: str | None = None
    placeholder: str | None = None
    initial: str = ""
    options: tuple[Option, ...] | None = None
    dispatch: bool = False
    missing: str | None = None
    check: Callable[[str], str | None] | None = None

    @property
    def is_input(self) -> bool:
        """False for a select whose options are not known yet (rendered as a hint)."""
        return not (self.kind == "select" and not self.options)

    def error(self, value: str) -> str | None:
        """The sentence shown next to this field for ``value``, or None when it is fine."""
        value = value.strip()
        if not self.is_input:
            return None
        if not value:
            if not self.required:
                return None
            verb = "Pick" if self.kind in {"select", "search"} else "Enter"
            return self.missing or f"{verb} the {self.label.lower()}."
        if self.max_length is not None and len(value) > self.max_length:
            return f"At most {self.max_length} characters, please ({len(value)} now)."
        if self.kind == "select" and value not in {o.value for o in self.options or ()}:
            return "Pick one of the listed choices."
        if self.kind == "email":
            found = check_email(value)
            if found:
                return found
        return self.check(value) if self.check else None


@dataclass(frozen=True)
class Form:
    """A modal / a prompt sequence. ``kind`` is the Slack ``callback_id``."""

    kind: str
    title: str
    submit: str
    fields: tuple[Field, ...]
    intro: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    check: Callable[[Values], dict[str, str]] | None = None

    def get(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)

    @property
    def first_input(self) -> str:
        return next(f.key for f in self.fields if f.is_input)

    def validate(self, values: Mapping[str, str]) -> dict[str, str]:
        """Field errors keyed by field key (only input fields, so Slack accepts the keys)."""
        errors: dict[str, str] = {}
        for f in self.fields:
            problem = f.error(values.get(f.key, ""))
            if problem:
                errors[f.key] = problem
        if self.check is not None:
            for key, problem in self.check(dict(values)).items():
                errors.setdefault(key, problem)
        return errors

    def with_values(self, values: Mapping[str, str]) -> Form:
        """The same form showing ``values`` as the initial values."""
        fields = tuple(
            replace(f, initial=values[f.key]) if f.key in values else f for f in self.fields
        )
        return replace(self, fields=fields)


def check_email(value: str) -> str | None:
    return None if _EMAIL.match(value.strip()) else "That does not look like an email address."


def check_phone(value: str) -> str | None:
    if _PHONE.match(value.strip()):
        return None
    return "Enter a phone number with digits only (spaces, +, -, ( ) are fine)."


def parse_state(state: Mapping[str, Any] | None) -> Values:
    """``view.state.values`` -> ``{key: text}`` for every element kind the forms use,
    cleaned of control and bidi characters (they would be stored in Bruin as typed)."""
    values: Values = {}
    blocks = (state or {}).get("values") or {}
    for actions in blocks.values():
        if not isinstance(actions, dict):
            continue
        for action_id, entry in actions.items():
            if not isinstance(entry, dict):
                continue
            kind = entry.get("type")
            if kind in {"static_select", "external_select", "radio_buttons"}:
                option = entry.get("selected_option") or {}
                values[action_id] = clean(str(option.get("value") or ""))
            elif kind == "checkboxes":
                values[action_id] = "yes" if entry.get("selected_options") else ""
            else:
                values[action_id] = clean(str(entry.get("value") or ""))
    return values


def pack(data: Mapping[str, Any], *, limit: int = METADATA_MAX) -> str:
    """Compact JSON for ``private_metadata`` / a button value; ValueError beyond ``limit``."""
    text = json.dumps(
        {k: v for k, v in data.items() if v not in (None, "")},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    if len(text) > limit:
        raise ValueError(f"packed context is {len(text)} characters (limit {limit})")
    return text


def unpack(text: str | None) -> dict[str, Any]:
    """The dict ``pack`` made; {} for anything else (a forged or stale value). Text values
    come back cleaned of control and bidi characters (a forged value may carry them)."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: clean(v) if isinstance(v, str) else v for k, v in data.items()}
