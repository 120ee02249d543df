"""Text safety for Slack: one escaping rule where text leaves for Slack, applied by
construction; sanitising of control and bidi characters; cuts within Block Kit limits.

Slack reads ``&``, ``<`` and ``>`` in mrkdwn (and in a message's top-level ``text``) as
markup: ``<!channel>`` pings everyone, ``<url|label>`` hides a link behind any label,
``<@U…>`` mentions someone. So every piece of text that goes to Slack as mrkdwn is a
:class:`Mrkdwn`, a ``str`` that only this module creates:

* :func:`escape` (``&`` -> ``&amp;``, ``<`` -> ``&lt;``, ``>`` -> ``&gt;``, after
  :func:`clean`) turns any text into Mrkdwn that shows exactly that text;
* :func:`md` formats a template (``md("New note on ticket *{}* by {}", tid, name)``): the
  template's own text and every argument are escaped, except arguments that already are
  Mrkdwn, so the only markup in the result is mrkdwn formatting (``*``, ``_``, `````,
  ``:emoji:``) and what the constructors below built; :func:`md_join` joins the same way;
* :func:`quote`, :func:`code`, :func:`plain`, :func:`truncate` keep text Mrkdwn;
* the deliberate Slack syntax the bot writes has one constructor each: :func:`channel_link`
  (``<#C…>``), :func:`user_mention` (``<@U…>``), :func:`link` (``<url|label>``, the URL
  checked, the label escaped) and :func:`slack_date` (``<!date^…>``).

Anything else (an f-string, ``+``, ``str.join``, ``.replace``) gives a plain ``str`` again,
and the block builders of :mod:`bot.render.blocks` (and ``Message.to_dict()``, for blocks
built around them) escape a plain ``str`` as text: a mistake shows text literally (an
escape done by hand, twice), it never turns into a mention or a link.
``plain_text`` objects need no entities; :func:`plain_label` only cleans and cuts them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import string
from collections.abc import Iterable
from typing import Any, LiteralString, overload

__all__ = [
    "BUTTON_TEXT_MAX",
    "DISPLAY_ZONE",
    "ELLIPSIS",
    "FIELD_MAX",
    "HEADER_MAX",
    "SECTION_MAX",
    "Mrkdwn",
    "channel_link",
    "clean",
    "code",
    "configure_zone",
    "enforce",
    "escape",
    "fmt_time",
    "link",
    "md",
    "md_join",
    "plain",
    "plain_label",
    "quote",
    "slack_date",
    "truncate",
    "user_mention",
    "when",
]

SECTION_MAX = 3000
FIELD_MAX = 2000
HEADER_MAX = 150
BUTTON_TEXT_MAX = 75
CONTEXT_MAX = 3000
ELLIPSIS = "…"

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 controls but tab and newline, DEL, C1 controls
    "\u061c\u200e\u200f"  # bidi marks: Arabic letter mark, LRM, RLM
    "\u202a-\u202e"  # bidi embeddings and overrides (LRE RLE PDF LRO RLO)
    "\u2066-\u2069"  # bidi isolates (LRI RLI FSI PDI)
    "\ud800-\udfff]"  # lone surrogates (cannot be encoded as UTF-8)
)


def clean(text: str | None) -> str:
    """``text`` without control characters (but newline and tab) and bidi controls.

    For every text that crosses a boundary: backend text before it is rendered, a
    person's text before it is sent to a backend.
    """
    if not text:
        return ""
    return _UNSAFE.sub("", text)


class Mrkdwn(str):
    """Text that is safe as Slack mrkdwn: built only by this module's functions.

    ``Mrkdwn("…")`` is refused; build with :func:`md`, :func:`escape` and the constructors.
    Any ``str`` operation on it (``+``, f-strings, ``.join``) gives a plain ``str`` again.
    """

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Mrkdwn:
        raise TypeError("build Mrkdwn with md(), escape() or a constructor of bot.render.text")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_trusted, (str(self),))

    def __repr__(self) -> str:
        return f"Mrkdwn({str.__repr__(self)})"


_new = str.__new__
_SPECIAL = re.compile(_UNSAFE.pattern[:-1] + "&<>]")
"""Anything :func:`escape` changes: an unsafe character or one of Slack's three."""


def _trusted(text: str) -> Mrkdwn:
    """Mark ``text`` as mrkdwn: only for text this module built or escaped."""
    return _new(Mrkdwn, text)


EMPTY = _trusted("")


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape(text: object) -> Mrkdwn:
    """``text`` as mrkdwn that shows exactly it: cleaned, then ``&``, ``<`` and ``>``
    escaped. None is ""; Mrkdwn comes back unchanged (it is escaped already)."""
    if isinstance(text, Mrkdwn):
        return text
    if text is None:
        return EMPTY
    raw = text if isinstance(text, str) else str(text)
    if _SPECIAL.search(raw) is None:  # the common case: nothing to clean or escape
        return _new(Mrkdwn, raw)
    return _new(Mrkdwn, _entities(_UNSAFE.sub("", raw)))


_FORMATTER = string.Formatter()
_Field = tuple[str, int | str | None, str, str | None]


@functools.lru_cache(maxsize=1024)
def _parse(template: str) -> tuple[_Field, ...]:
    """``template`` split once into (escaped literal, argument index or keyword, spec,
    conversion); automatic numbering (``{}``) is resolved here."""
    fields: list[_Field] = []
    auto = 0
    for literal, name, spec, conversion in _FORMATTER.parse(template):
        key: int | str | None = name
        if name == "":
            key, auto = auto, auto + 1
        elif name is not None and name.isdigit():
            key = int(name)
        fields.append((_entities(literal), key, spec or "", conversion))
    return tuple(fields)


def md(template: LiteralString, /, *args: object, **kwargs: object) -> Mrkdwn:
    """Format ``template`` (``str.format`` fields: ``{}``, ``{0}``, ``{name}``, ``{:>4}``) to
    Mrkdwn. The template's text is escaped like any text, so it carries formatting
    (``*bold*``, ``_italic_``, `````code`````, ``:emoji:``) and never a ``<…>`` token; each
    argument is escaped unless it is Mrkdwn (built by :func:`md` or a constructor)."""
    out: list[str] = []
    for literal, key, spec, conversion in _parse(template):
        out.append(literal)
        if key is None:
            continue
        value = args[key] if isinstance(key, int) else kwargs[key]
        if conversion:
            value = _FORMATTER.convert_field(value, conversion)
        out.append(escape(format(value, spec) if spec else value))
    return _new(Mrkdwn, "".join(out))


def md_join(separator: LiteralString, parts: Iterable[object]) -> Mrkdwn:
    """``separator.join(parts)`` as Mrkdwn: each part escaped unless it is Mrkdwn."""
    return _trusted(_entities(separator).join(escape(p) for p in parts))


@overload
def truncate(text: Mrkdwn, limit: int) -> Mrkdwn: ...
@overload
def truncate(text: str, limit: int) -> str: ...
def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with "…" when cut.

    Never cuts inside an ``&amp;``-style entity, nor (in Mrkdwn) inside a ``<…>`` token,
    so escaped text stays valid and a link is kept whole or left out.
    """
    if len(text) <= limit:
        return text
    cut = text[: max(limit - len(ELLIPSIS), 0)]
    amp = cut.rfind("&")
    if amp >= 0 and ";" not in cut[amp:]:
        cut = cut[:amp]
    if isinstance(text, Mrkdwn):
        lt = cut.rfind("<")
        if lt >= 0 and ">" not in cut[lt:]:
            cut = cut[:lt]
        return _trusted(cut.rstrip() + ELLIPSIS)
    return cut.rstrip() + ELLIPSIS


def plain(text: str | None, limit: int) -> Mrkdwn:
    """Escape and cut in one go (for mrkdwn built from backend text)."""
    return truncate(escape(text), limit)


def quote(text: str | None, limit: int) -> Mrkdwn:
    """``text`` escaped, cut to ``limit`` and shown as a block quote (``>`` on each line)."""
    body = plain(text, limit)
    return _trusted(">" + body.replace("\n", "\n>"))


def code(text: object) -> Mrkdwn:
    """``text`` escaped, as inline code."""
    return _trusted("`" + escape(text) + "`")


def plain_label(text: str | None, limit: int) -> str:
    """Text for a ``plain_text`` object (header, button, option, modal label): no
    entities there, so only cleaned of control and bidi characters, and cut. Slack wants
    at least one character there: text that cleans away to nothing shows as "—"."""
    shown = clean(text)
    return truncate(shown, limit) if shown.strip() else "—"


# -- deliberate Slack syntax --------------------------------------------------------------

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,30}")
_URL = re.compile(r"https?://[^\s<>|\"'`\x00-\x1f\x7f]+", re.IGNORECASE)
_DATE_TOKENS = re.compile(
    r"(?:\{(?:date_num|date|date_short|date_long|date_pretty|date_short_pretty|"
    r"date_long_pretty|time|time_secs|ago)\}|[^{}<>|^&\x00-\x1f])+"
)


def user_mention(user_id: str) -> Mrkdwn:
    """``<@U…>`` for a Slack user id the bot knows (from Slack, or its own store); anything
    that is not a user id is shown as text (``@…``), never as markup."""
    if _USER_ID.fullmatch(user_id or ""):
        return _trusted(f"<@{user_id}>")
    return escape(f"@{user_id}")


def channel_link(channel_id: str) -> Mrkdwn:
    """``<#C…>`` for a Slack conversation id; anything else is shown as text (``#…``)."""
    if _CHANNEL_ID.fullmatch(channel_id or ""):
        return _trusted(f"<#{channel_id}>")
    return escape(f"#{channel_id}")


def link(url: str, label: str | None = None) -> Mrkdwn:
    """``<url|label>``: an http(s) URL without spaces or markup characters (its ``&``
    escaped, as Slack reads it), the label escaped. A URL that does not pass is not
    linked: the label (or the URL) is shown as text."""
    label_text = clean(label).replace("\n", " ").strip() if label else ""
    if not _URL.fullmatch(url or "") or clean(url) != url:
        return escape(label_text or url)
    target = url.replace("&", "&amp;")
    if not label_text:
        return _trusted(f"<{target}>")
    return _trusted(f"<{target}|{escape(label_text)}>")


def slack_date(
    moment: dt.datetime, tokens: str = "{date_short_pretty} {time}", *, fallback: str = ""
) -> Mrkdwn:
    """``<!date^…>``: ``moment`` shown in each reader's own time zone; ``tokens`` are
    Slack's date tokens (``{date_short}``, ``{time}``, ``{ago}``…) and plain words;
    ``fallback`` (default: :func:`fmt_time`) is what clients that cannot format show."""
    if not _DATE_TOKENS.fullmatch(tokens):
        raise ValueError(f"not a Slack date token string: {tokens!r}")
    shown = escape(fallback or fmt_time(moment))
    return _trusted(f"<!date^{int(moment.timestamp())}^{tokens}|{shown}>")


class _Zone:
    """The zone of text that cannot show each reader's own time: Slack's fallback text and
    the console. Process-wide, like the log configuration: ``chatops-bot run`` and the
    console set it once at start from CHATOPS_TIMEZONE (:func:`configure_zone`)."""

    zone: dt.tzinfo = dt.UTC


DISPLAY_ZONE = _Zone()


def configure_zone(zone: dt.tzinfo) -> None:
    DISPLAY_ZONE.zone = zone


def fmt_time(value: dt.datetime | None) -> str:
    """``2026-12-06 09:05 UTC`` in the configured zone (:data:`DISPLAY_ZONE`)."""
    if value is None:
        return "—"
    zone = DISPLAY_ZONE.zone
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(zone)
    name = "UTC" if zone is dt.UTC else (local.tzname() or str(zone))
    return local.strftime("%Y-%m-%d %H:%M ") + name


def when(value: dt.datetime | None) -> Mrkdwn:
    """A moment as each reader's own local date and time in Slack (``<!date^…>``), with
    :func:`fmt_time` as the fallback text; "—" when there is none."""
    if value is None:
        return escape("—")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return slack_date(value, "{date_short_pretty} {time}", fallback=fmt_time(value))


# -- the boundary ---------------------------------------------------------------------------


_CONTAINERS = (dict, list)


def enforce(payload: Any) -> Any:
    """Walk a Block Kit payload (dicts and lists) at the boundary: every mrkdwn text that is
    not :class:`Mrkdwn` is escaped as text, every plain_text is cleaned. The builders of
    :mod:`bot.render.kit` write only such text already, so their blocks pass unchanged; a
    block built around them is changed in place. Returns ``payload``."""
    if isinstance(payload, dict):
        text = payload.get("text")
        if isinstance(text, str):
            kind = payload.get("type")
            if kind == "mrkdwn":
                if not isinstance(text, Mrkdwn):
                    payload["text"] = escape(text)
            elif kind == "plain_text" and _UNSAFE.search(text) is not None:
                payload["text"] = clean(text)
        for value in payload.values():
            if isinstance(value, _CONTAINERS):
                enforce(value)
    elif isinstance(payload, list):
        for value in payload:
            if isinstance(value, _CONTAINERS):
                enforce(value)
    return payload
