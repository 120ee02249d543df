"""The command grammar of SPEC §4: words, ``"quoted strings"`` and ``key=value`` filters.

``tokenize`` turns raw command text into :class:`Tokens`; ``bind`` turns tokens into a
typed request (a pydantic model) for one subcommand. Anything a person can type gives a
typed request or a :class:`UsageError` with one clear sentence, never another exception.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin

import annotated_types
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo

from bot.render.text import clean

__all__ = [
    "MAX_TEXT",
    "Date",
    "FieldHelp",
    "FreeText",
    "Lower",
    "Request",
    "SiteId",
    "TicketId",
    "Token",
    "Tokens",
    "UsageError",
    "bind",
    "field_help",
    "field_sentence",
    "tokenize",
]

MAX_TEXT = 4000
"""Longest command text accepted (Slack caps slash-command text near this size)."""

_QUOTES = {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'"}
_KEY = re.compile(r"^([a-z][a-z_]{0,30})=(.*)$", re.DOTALL)


class UsageError(Exception):
    """The text does not fit the grammar; ``str()`` is the sentence to show."""

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


@dataclass(frozen=True)
class Token:
    raw: str
    key: str | None = None
    value: str = ""


@dataclass(frozen=True)
class Tokens:
    items: tuple[Token, ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(t.raw for t in self.items if t.key is None)

    @property
    def options(self) -> dict[str, str]:
        return {t.key: t.value for t in self.items if t.key is not None}

    def tail(self) -> Tokens:
        """Everything after the first plain word (the subcommand)."""
        for i, tok in enumerate(self.items):
            if tok.key is None:
                return Tokens(self.items[:i] + self.items[i + 1 :])
        return self


def tokenize(text: str) -> Tokens:
    """Split command text into words and ``key=value`` options, keeping their order.

    Quotes group words (``"called the carrier"``); Slack's curly quotes count as quotes;
    a quoted value (``site="Store 112"``) keeps its spaces; a fully quoted
    ``"a=b"`` is a word.
    """
    if len(text) > MAX_TEXT:
        raise UsageError(f"That command is too long ({len(text)} characters; at most {MAX_TEXT}).")
    if any(_is_control(ch) for ch in text):
        raise UsageError("That command contains control characters; type plain text.")
    text = clean(text)  # bidi overrides and isolates (U+202E…) never reach a backend
    for fancy, plain in _QUOTES.items():
        text = text.replace(fancy, plain)
    items: list[Token] = []
    for raw, quoting, original in _split(text):
        match = None if quoting == "full" else _KEY.match(raw)
        if match:
            items.append(Token(original, match.group(1), match.group(2)))
        else:
            items.append(Token(raw))
    return Tokens(tuple(items))


def _is_control(ch: str) -> bool:
    # Unassigned code points stay allowed: emoji newer than Python's Unicode tables are text.
    return ch not in "\n\t" and unicodedata.category(ch) in {"Cc", "Cs"}


def _split(text: str) -> list[tuple[str, str, str]]:
    """Shell-like split into (text, quoting: "" | "full" | "value", original text)."""
    out: list[tuple[str, str, str]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        buf: list[str] = []
        quoted = ""
        begin = i
        while i < n and not text[i].isspace():
            ch = text[i]
            if ch in "\"'":
                end = text.find(ch, i + 1)
                if end < 0:
                    raise UsageError(f"A {ch} quote is not closed.")
                quoted = "full" if not buf else "value"
                buf.append(text[i + 1 : end])
                i = end + 1
            else:
                buf.append(ch)
                i += 1
        out.append(("".join(buf), quoted, text[begin:i]))
    return out


# -- typed request fields -------------------------------------------------------------------


def _positive_id(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lstrip("#")
        if not text.isdigit():
            raise ValueError("not a number")
        return int(text)
    return value


_ID = Annotated[int, BeforeValidator(_positive_id), Field(gt=0, lt=2**31)]

TicketId = Annotated[_ID, Field(description="a ticket number", examples=[4503])]
"""A positive Bruin ticket id; ``#4503`` is accepted too."""

SiteId = Annotated[_ID, Field(description="a site number", examples=[812])]
"""A positive Bruin site id (``/site list`` shows them)."""


def _date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("not a date") from None
    return value


Date = Annotated[dt.date, BeforeValidator(_date)]


def _not_blank(value: str) -> str:
    value = clean(value).strip()
    if not value:
        raise ValueError("the text is empty")
    return value


FreeText = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_not_blank)]


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


Lower = BeforeValidator(_lower)
"""For a ``Literal`` of words: ``status=Open`` is ``status=open``."""


class Request(BaseModel):
    """Base of typed requests. Subclasses list their positional fields in ``positional``;
    when ``rest`` names a field, it takes every remaining word joined by spaces."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    positional: ClassVar[tuple[str, ...]] = ()
    rest: ClassVar[str | None] = None

    @model_validator(mode="before")
    @classmethod
    def _clean_text(cls, data: Any) -> Any:
        """Every text argument without control or bidi characters, however the request
        is built (typed, or by a button or a form in ``handlers.ticket_actions``)."""
        if isinstance(data, dict):
            return {k: clean(v) if isinstance(v, str) else v for k, v in data.items()}
        return data


R = TypeVar("R", bound=Request)


def bind(model: type[R], tokens: Tokens, *, usage: str) -> R:
    """Fill ``model`` from ``tokens`` (those after the subcommand); UsageError on any misfit.

    A ``key=value`` whose key is not one of the model's filters is free text when the
    model has a ``rest`` field (``/note add 4503 set mtu=1500``), else an error.
    """
    filters = {k for k in model.model_fields if k not in model.positional and k != model.rest}
    values: dict[str, Any] = {}
    words: list[str] = []
    for tok in tokens.items:
        if tok.key is not None and tok.key in filters:
            if tok.key in values:
                raise UsageError(f"The filter {tok.key}= is given twice.", usage=usage)
            values[tok.key] = tok.value
        elif tok.key is not None and model.rest is None:
            known = ", ".join(f"{k}=" for k in sorted(filters)) or "none"
            raise UsageError(f"Unknown filter {tok.key}= (known: {known}).", usage=usage)
        else:
            words.append(tok.raw)
    for name in model.positional:
        if not words:
            break
        values[name] = words.pop(0)
    if model.rest is not None and words:
        values[model.rest] = " ".join(words)
        words = []
    if words:
        raise UsageError(f"Unexpected {words[0]!r}.", usage=usage)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise UsageError(_explain(model, exc), usage=usage) from None


def _explain(model: type[Request], exc: ValidationError) -> str:
    """One sentence in the command's words: no validator or pattern text ever shows."""
    err = exc.errors(include_url=False, include_input=False)[0]
    name = str(err["loc"][0]) if err["loc"] else ""
    if name not in model.model_fields:
        return "That does not fit the command; see the usage below."
    return field_sentence(model, name, missing=err["type"] == "missing")


# -- what a field takes, in words ----------------------------------------------------------


@dataclass(frozen=True)
class FieldHelp:
    """How a person gives one field of a request, and what it takes.

    ``kind`` is ``positional`` (a word in its place), ``filter`` (``key=value``) or
    ``rest`` (the remaining words); ``takes`` reads after "must be" ("a whole number from
    1 to 25"); ``example`` is a value that fits.
    """

    name: str
    kind: Literal["positional", "filter", "rest"]
    label: str
    takes: str
    example: str

    @property
    def typed(self) -> str:
        """The example as a person types it: ``limit=10``, ``4503``, ``"called the carrier"``."""
        value = f'"{self.example}"' if " " in self.example else self.example
        return f"{self.name}={value}" if self.kind == "filter" else value


def field_help(model: type[Request], name: str) -> FieldHelp:
    """What ``model``'s field ``name`` takes, from its type and constraints (a field's
    ``description`` and ``examples`` say it in its own words where the type cannot)."""
    info = model.model_fields[name]
    base, meta, description, examples = _unwrap(info)
    kind: Literal["positional", "filter", "rest"] = (
        "positional" if name in model.positional else "rest" if name == model.rest else "filter"
    )
    label = name.replace("_", " ")
    default = None if info.is_required() else info.default
    takes, example = _takes(base, meta, default)
    if description:
        takes = description
    if examples:
        example = str(examples[0])
    return FieldHelp(name, kind, label, takes, example)


def field_sentence(model: type[Request], name: str, *, missing: bool = False) -> str:
    """The usage error for one field: names it, says what it takes, gives an example."""
    f = field_help(model, name)
    if missing:
        return f"The {f.label} is missing: give {f.takes}, e.g. {f.typed}."
    if f.kind == "filter":
        return f"{f.name} must be {f.takes}, e.g. {f.typed}."
    return f"The {f.label} must be {f.takes}, e.g. {f.typed}."


def _unwrap(info: FieldInfo) -> tuple[Any, list[Any], str | None, list[Any]]:
    """(base type, constraints, description, examples) through ``Optional`` and
    ``Annotated`` layers."""
    annotation: Any = info.annotation
    meta: list[Any] = list(info.metadata)
    description, examples = info.description, list(info.examples or [])
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            for item in extra:
                if isinstance(item, FieldInfo):
                    meta.extend(item.metadata)
                    description = description or item.description
                    examples = examples or list(item.examples or [])
                else:
                    meta.append(item)
        elif origin is Union or origin is types.UnionType:
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                break
            annotation = args[0]
        else:
            break
    return annotation, meta, description, examples


def _bounds(meta: list[Any]) -> tuple[int | None, int | None]:
    """The inclusive (lowest, highest) whole number the constraints allow."""
    low = high = None
    for m in meta:
        if isinstance(m, annotated_types.Ge):
            low = int(m.ge)  # type: ignore[call-overload]
        elif isinstance(m, annotated_types.Gt):
            low = int(m.gt) + 1  # type: ignore[call-overload]
        elif isinstance(m, annotated_types.Le):
            high = int(m.le)  # type: ignore[call-overload]
        elif isinstance(m, annotated_types.Lt):
            high = int(m.lt) - 1  # type: ignore[call-overload]
    return low, high


def _takes(base: Any, meta: list[Any], default: Any) -> tuple[str, str]:
    if get_origin(base) is Literal:
        words = [str(v) for v in get_args(base)]
        example = next((w for w in words if w != default), words[0])
        return f"one of {', '.join(words)}", example
    if base is int:
        low, high = _bounds(meta)
        if high is not None and high >= 2**31 - 1:
            high = None  # an id's storage limit, not a range anyone types against
        example = str(default if isinstance(default, int) else (low or 1))
        if low is not None and high is not None:
            return f"a whole number from {low} to {high}", example
        if low == 1:
            return "a positive whole number", example
        if low is not None:
            return f"a whole number of {low} or more", example
        return "a whole number", example
    if base is dt.date:
        return "a date in the form YYYY-MM-DD", "2025-12-24"
    longest = next((m.max_length for m in meta if isinstance(m, annotated_types.MaxLen)), None)
    blank = any(isinstance(m, AfterValidator) and m.func is _not_blank for m in meta)
    text = "text" if not blank else "non-empty text"
    if longest is not None:
        return f"{text} of at most {longest} characters", "text"
    return text, "text"
