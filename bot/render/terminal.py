"""Render a Block Kit message readably in a terminal (the console's view of a card)."""

from __future__ import annotations

import re
import shutil
from typing import Any

from bot.render.text import Mrkdwn, clean

__all__ = ["render_terminal", "terminal_line"]

_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)\*(?![\w*])")
_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
"""Slack's ``<!date^…|fallback>``: the console shows the fallback (the configured zone)."""
_EMOJI = {
    ":warning:": "⚠",
    ":white_check_mark:": "✔",
    ":large_orange_circle:": "●",
    ":new:": "✚",
    ":memo:": "✎",
    ":ticket:": "✚",
    ":rotating_light:": "!",
    ":lock:": "■",
    ":arrows_counterclockwise:": "↺",
    ":information_source:": "ℹ",
    ":hourglass_flowing_sand:": "…",
}


def _unescape(text: str) -> str:
    """Slack's three entities back to characters (Slack decodes no others, so neither do
    we: ``&amp;#27;`` must stay text, not become an escape sequence)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def terminal_line(text: str) -> str:
    """One line of a form (intro, label, hint, option) for a terminal prompt: cleaned of
    control and bidi characters; Mrkdwn loses its entities and ``*``/````` marks."""
    if isinstance(text, Mrkdwn):
        return _unescape(_DATE.sub(r"\1", clean(text)).replace("*", "").replace("`", ""))
    return clean(text)


def _mrkdwn(text: str, color: bool) -> str:
    text = clean(text)  # the terminal's own colours are added below, nothing else
    for code, glyph in _EMOJI.items():
        text = text.replace(code, glyph)
    text = _DATE.sub(r"\1", text)
    text = _LINK.sub(r"\2 (\1)", text)
    if color:
        text = _BOLD.sub("\033[1m\\1\033[0m", text)
        text = _CODE.sub("\033[36m\\1\033[0m", text)
    else:
        text = _BOLD.sub(r"\1", text)
        text = _CODE.sub(r"\1", text)
    lines = [("  │ " + line[1:]) if line.startswith(">") else line for line in text.split("\n")]
    return _unescape("\n".join(lines))


def _text_of(obj: dict[str, Any] | None, color: bool) -> str:
    if not obj:
        return ""
    text = str(obj.get("text", ""))
    return _mrkdwn(text, color) if obj.get("type") == "mrkdwn" else clean(text)


def render_terminal(payload: dict[str, Any], *, color: bool = False) -> str:
    """Turn ``{"text", "blocks"}`` into lines of text; buttons become numbered choices."""
    width = min(shutil.get_terminal_size((100, 24)).columns, 110)
    out: list[str] = []
    choices: list[str] = []
    for block in payload.get("blocks") or []:
        kind = block.get("type")
        if kind == "header":
            title = _text_of(block.get("text"), color)
            out.append(f"\033[1m{title}\033[0m" if color else title)
            out.append("═" * min(len(title), width))
        elif kind == "section":
            if block.get("text"):
                out.append(_text_of(block["text"], color))
            fields = [_text_of(f, color) for f in block.get("fields") or []]
            for field in fields:
                label, _, value = field.partition("\n")
                out.append(f"  {label:<16} {value.replace(chr(10), ' · ')}")
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "button":
                choices.append(_text_of(accessory.get("text"), color))
                out[-1] += f"  [{len(choices)}]"
        elif kind == "context":
            parts = [_text_of(e, color) for e in block.get("elements") or []]
            line = "  ".join(p for p in parts if p)
            out.append(f"\033[2m{line}\033[0m" if color else line)
        elif kind == "divider":
            out.append("─" * min(width, 60))
        elif kind == "actions":
            labels = []
            for element in block.get("elements") or []:
                label = _text_of(element.get("text"), color)
                if element.get("url"):
                    labels.append(f"{label}: {element['url']}")
                else:
                    choices.append(label)
                    labels.append(f"[{len(choices)}] {label}")
            out.append("   ".join(labels))
    if not out:
        out.append(_unescape(clean(str(payload.get("text", "")))))
    return "\n".join(out)
