"""The command grammar of SPEC §4: words, ``"quoted strings"`` and ``key=value`` filters.

``tokenize`` turns raw command text into :class:`Tokens`; ``bind`` turns tokens into a
typed request (a pydantic model) for one subcommand. Anything a person can type gives a
typed request or a :class:`UsageError` with one clear sentence, never another exception.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from bot.render.text import clean

__all__ = [
    "MAX_TEXT",
    "Date",
    "FreeText",
    "Request",
    "TicketId",
    "Token",
    "Tokens",
    "UsageError",
    "bind",
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
            raise ValueError(f"{value!r} is not a ticket id (a positive number like 4503)")
        return int(text)
    return value


TicketId = Annotated[int, BeforeValidator(_positive_id), Field(gt=0, lt=2**31)]
"""A positive Bruin id; ``#4503`` is accepted too."""


def _date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD") from None
    return value


Date = Annotated[dt.date, BeforeValidator(_date)]


def _not_blank(value: str) -> str:
    value = clean(value).strip()
    if not value:
        raise ValueError("the text is empty")
    return value


FreeText = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_not_blank)]


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
        raise UsageError(_explain(exc), usage=usage) from None


def _explain(exc: ValidationError) -> str:
    err = exc.errors(include_url=False, include_input=False)[0]
    name = str(err["loc"][0]) if err["loc"] else "value"
    label = name.replace("_", " ")
    if err["type"] == "missing":
        return f"The {label} is missing."
    reason = str(err["msg"]).removeprefix("Value error, ")
    return f"Bad {label}: {reason}."
