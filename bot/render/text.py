"""Text safety for Slack: escape backend text, cut it within Block Kit limits."""

from __future__ import annotations

import datetime as dt

__all__ = [
    "BUTTON_TEXT_MAX",
    "ELLIPSIS",
    "FIELD_MAX",
    "HEADER_MAX",
    "SECTION_MAX",
    "escape",
    "fmt_time",
    "plain",
    "truncate",
]

SECTION_MAX = 3000
FIELD_MAX = 2000
HEADER_MAX = 150
BUTTON_TEXT_MAX = 75
CONTEXT_MAX = 3000
ELLIPSIS = "…"


def escape(text: str | None) -> str:
    """Escape ``&``, ``<`` and ``>`` so backend text cannot ping ``@channel`` or forge links."""
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with "…" when cut.

    Never cuts inside an ``&amp;``-style entity, so escaped text stays valid.
    """
    if len(text) <= limit:
        return text
    cut = text[: max(limit - len(ELLIPSIS), 0)]
    amp = cut.rfind("&")
    if amp >= 0 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + ELLIPSIS


def plain(text: str | None, limit: int) -> str:
    """Escape and cut in one go (for mrkdwn built from backend text)."""
    return truncate(escape(text), limit)


def fmt_time(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
