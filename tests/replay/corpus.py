"""The replay corpus: Slack payloads recorded in Slack's own public repositories, adapted
only where they must name our workspace, and turned back into signed HTTP bodies.

Each file in ``payloads/`` is one request, as JSON::

    {
      "kind": "block_actions",              what it is (the suite's coverage is by kind)
      "transport": "interactive",           event (JSON body) | interactive (form with a
                                            payload field) | command (form fields) |
                                            form (a raw form, e.g. ssl_check)
      "sources": [{"repository": "slackapi/bolt-python", "path": "tests/…",
                   "commit": "…", "where": "…"}],
      "recorded": …,                        the data exactly as recorded there (a raw form
                                            body is kept as its string)
      "ids": {"W111": "U0CALLER", …},       ids renamed to ours, wherever they occur
      "set": {"/response_url": {"$response_url": {}}, …},
      "expect": "…"                         what the bot must do with it, in a sentence
    }

Only two things change what was recorded, both declared in the file:

* ``ids``: a string equal to an id (a dict key too: block and action ids key
  ``state.values``), or an id inside a mention (``<@W111>``, ``<#C111|…>``), becomes ours:
  team, enterprise, app, bot, user and channel ids, callback, block and action ids;
* ``set``: fields (JSON pointers that exist in the recording; none is added or removed)
  given our value: the response_url and trigger_id the fake Slack issues, a button value
  or view metadata sealed with the test key (a few are left as recorded, unsealed, to
  replay the forged path), the command name, and in Slack's json-logs samples (templates
  whose every value is an empty placeholder) the few placeholders a request needs to
  route at all (the envelope ``type``, an event's ``tab`` or ``channel_type``).

Placeholders in ``set`` values are resolved at replay time (:class:`Issuer`):
``{"$response_url": {}}``, ``{"$trigger_id": {}}``, ``{"$sealed": [action_id, value]}``
and ``{"$sealed_meta": [callback_id, {meta}]}`` (placeholders nest inside the meta).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "KINDS",
    "PAYLOADS",
    "TRANSPORTS",
    "Issuer",
    "Recorded",
    "adapt",
    "encode",
    "exists",
    "kinds_of",
    "leaves",
    "load",
    "names",
    "rename",
    "resolve",
]

PAYLOADS = Path(__file__).resolve().parent / "payloads"
KINDS = (
    "slash_command",
    "app_mention",
    "message.im",
    "message",
    "app_home_opened",
    "event",
    "url_verification",
    "ssl_check",
    "block_actions",
    "block_suggestion",
    "view_submission",
    "view_closed",
    "message_action",
    "shortcut",
)
TRANSPORTS = ("event", "interactive", "command", "form")
_MENTION = re.compile(r"<([@#]|!subteam\^)([A-Z0-9_]+)([|>])")


class Issuer(Protocol):
    """What only the running test can make: Slack's hooks and the test key's seals."""

    def response_url(self, **link: Any) -> str: ...
    def trigger_id(self) -> str: ...
    def sealed(self, action_id: str, value: str) -> str: ...
    def sealed_meta(self, callback_id: str, meta: dict[str, Any]) -> str: ...


@dataclass(frozen=True)
class Recorded:
    name: str
    kind: str
    transport: str
    sources: list[dict[str, str]]
    recorded: Any
    ids: dict[str, str]
    set: dict[str, Any]
    expect: str

    @property
    def fields(self) -> Any:
        """The recording as data: a form's raw string becomes its ordered fields."""
        if isinstance(self.recorded, str):
            return dict(parse_qsl(self.recorded, keep_blank_values=True))
        return self.recorded


def names() -> list[str]:
    return sorted(p.stem for p in PAYLOADS.glob("*.json"))


def load(name: str) -> Recorded:
    data = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return Recorded(
        name=name,
        kind=data["kind"],
        transport=data["transport"],
        sources=data["sources"],
        recorded=data["recorded"],
        ids=data.get("ids") or {},
        set=data.get("set") or {},
        expect=data["expect"],
    )


# -- adaptation ----------------------------------------------------------------------------


def rename(value: Any, ids: Mapping[str, str]) -> Any:
    """``value`` with every id of ``ids`` replaced (whole strings, dict keys, mentions)."""
    if isinstance(value, dict):
        return {rename(k, ids): rename(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [rename(v, ids) for v in value]
    if isinstance(value, str):
        if value in ids:
            return ids[value]
        return _MENTION.sub(
            lambda m: f"<{m.group(1)}{ids.get(m.group(2), m.group(2))}{m.group(3)}", value
        )
    return value


def _steps(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def _parent(doc: Any, pointer: str) -> tuple[Any, str | int]:
    *path, last = _steps(pointer)
    node = doc
    for step in path:
        node = node[int(step)] if isinstance(node, list) else node[step]
    if isinstance(node, list):
        return node, int(last)
    if last not in node:
        raise KeyError(f"{pointer} is not in the recording")
    return node, last


def exists(doc: Any, pointer: str) -> bool:
    try:
        _parent(doc, pointer)
    except (KeyError, IndexError, TypeError, ValueError):
        return False
    return True


def resolve(value: Any, issuer: Issuer) -> Any:
    """Placeholders (``{"$…": …}``) made real by ``issuer``; anything else as it is."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith("$"):
        ((op, arg),) = value.items()
        if op == "$response_url":
            return issuer.response_url(**arg)
        if op == "$trigger_id":
            return issuer.trigger_id()
        if op == "$sealed":
            return issuer.sealed(arg[0], arg[1])
        if op == "$sealed_meta":
            return issuer.sealed_meta(arg[0], resolve(arg[1], issuer))
        raise ValueError(f"unknown placeholder {op}")
    if isinstance(value, dict):
        return {k: resolve(v, issuer) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, issuer) for v in value]
    return value


def adapt(rec: Recorded, issuer: Issuer) -> Any:
    """The recording as replayed: ids renamed, then the declared fields set."""
    doc = rename(copy.deepcopy(rec.fields), rec.ids)
    for pointer, value in rec.set.items():
        node, key = _parent(doc, pointer)
        node[key] = resolve(value, issuer)
    return doc


def encode(rec: Recorded, doc: Any) -> tuple[bytes, str]:
    """The HTTP body and content type Slack would send ``doc`` with."""
    if rec.transport == "event":
        return json.dumps(doc).encode(), "application/json"
    form = "application/x-www-form-urlencoded"
    if rec.transport == "interactive":
        return urlencode({"payload": json.dumps(doc)}).encode(), form

    def text(value: Any) -> str:
        return json.dumps(value) if isinstance(value, bool) else str(value)

    return urlencode([(k, text(v)) for k, v in doc.items()]).encode(), form


def leaves(doc: Any, at: str = "") -> Iterator[tuple[str, Any]]:
    """(JSON pointer, value) of every scalar in ``doc``."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from leaves(value, f"{at}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(doc, list):
        for n, value in enumerate(doc):
            yield from leaves(value, f"{at}/{n}")
    else:
        yield at, doc


def kinds_of(recs: list[Recorded]) -> dict[str, int]:
    found: dict[str, int] = {}
    for rec in recs:
        found[rec.kind] = found.get(rec.kind, 0) + 1
    return found
