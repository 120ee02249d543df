"""Bric response decoding and error mapping: a pure function of the response.

Bric's error bodies are undocumented and the backend looks like Rails, so nothing here
assumes JSON on an error: a failed Basic auth is a 401 with
``WWW-Authenticate: Basic realm="Application"`` and a plain-text body; validation is most
likely ``422 {"errors": {field: [msg]}}``; unknown ids are 404. Backend text never goes
into a message verbatim beyond a short, cut excerpt.
"""

from __future__ import annotations

from typing import Any

from bot.clients.core import RequestInfo
from bot.clients.decoding import (
    INVALID,
    bad_json,
    error_for_status,
    json_or_invalid,
    parse_retry_after,
)
from bot.clients.errors import ApiError
from bot.clients.transport import RawResponse

__all__ = ["decode", "parse_retry_after", "unwrap"]

_MAX_MESSAGE = 300


def decode(resp: RawResponse, info: RequestInfo) -> Any:
    """Return the decoded JSON of a successful answer (None when empty) or raise."""
    if 200 <= resp.status < 300:
        payload = json_or_invalid(resp.body)
        if payload is INVALID:
            raise bad_json(resp.status, info)
        return payload
    raise _api_error(resp, info)


def unwrap(payload: Any, key: str) -> Any:
    """The value under Bric's plural root key (``{"projects": [...]}``), or None."""
    if isinstance(payload, dict):
        return payload.get(key)
    return None


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _fields(errors: Any) -> dict[str, list[str]]:
    """``{"errors": {field: [msg]}}`` -> ``{field: [msg]}``; a bare list goes under ``base``."""
    out: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for name, msgs in errors.items():
            if isinstance(msgs, list):
                out[str(name)] = [_cut(str(m)) for m in msgs if m is not None]
            elif msgs is not None:
                out[str(name)] = [_cut(str(msgs))]
    elif isinstance(errors, list):
        out["base"] = [_cut(str(m)) for m in errors if m is not None]
    elif isinstance(errors, str):
        out["base"] = [_cut(errors)]
    return out


def _message(payload: Any, body: bytes, content_type: str) -> str | None:
    """A short human message from a JSON ``error``/``message`` or a plain-text body."""
    if isinstance(payload, dict):
        for key in ("error", "message"):
            value = payload.get(key)
            if isinstance(value, str) and value.strip():
                return _cut(value)
        return None
    if payload is INVALID and "html" not in content_type:
        text = body.decode("utf-8", "replace").strip()
        return _cut(text) if text else None
    return None


def _api_error(resp: RawResponse, info: RequestInfo) -> ApiError:
    payload = json_or_invalid(resp.body)
    content_type = resp.headers.get("content-type", "").lower()
    # A Rails 5xx body is an error page or an internal message: never shown to a person.
    message = None if resp.status >= 500 else _message(payload, resp.body, content_type)
    return error_for_status(
        resp.status,
        message,
        info,
        fields=_fields(payload.get("errors")) if isinstance(payload, dict) else {},
        retry_after=parse_retry_after(resp.headers.get("retry-after")),
    )
