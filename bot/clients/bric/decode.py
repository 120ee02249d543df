"""Bric response decoding and error mapping: a pure function of the response.

Bric's error bodies are undocumented and the backend looks like Rails, so nothing here
assumes JSON on an error: a failed Basic auth is a 401 with
``WWW-Authenticate: Basic realm="Application"`` and a plain-text body; validation is most
likely ``422 {"errors": {field: [msg]}}``; unknown ids are 404. Backend text never goes
into a message verbatim beyond a short, cut excerpt.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

from bot.clients.core import RequestInfo
from bot.clients.errors import (
    ApiError,
    AuthError,
    BadResponse,
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    UpstreamUnavailable,
    ValidationFailed,
)
from bot.clients.transport import RawResponse

__all__ = ["decode", "parse_retry_after", "unwrap"]

_MAX_MESSAGE = 300
_INVALID: Any = object()


def decode(resp: RawResponse, info: RequestInfo) -> Any:
    """Return the decoded JSON of a successful answer (None when empty) or raise."""
    if 200 <= resp.status < 300:
        payload = _json(resp.body)
        if payload is _INVALID:
            raise BadResponse(
                "the answer is not valid JSON",
                backend=info.backend,
                method=info.method,
                path=info.path,
                status=resp.status,
                operation=info.operation,
            )
        return payload
    raise _api_error(resp, info)


def unwrap(payload: Any, key: str) -> Any:
    """The value under Bric's plural root key (``{"projects": [...]}``), or None."""
    if isinstance(payload, dict):
        return payload.get(key)
    return None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _json(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _INVALID


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
    if payload is _INVALID and "html" not in content_type:
        text = body.decode("utf-8", "replace").strip()
        return _cut(text) if text else None
    return None


def _api_error(resp: RawResponse, info: RequestInfo) -> ApiError:
    status = resp.status
    payload = _json(resp.body)
    content_type = resp.headers.get("content-type", "").lower()
    message = _message(payload, resp.body, content_type)
    fields = _fields(payload.get("errors")) if isinstance(payload, dict) else {}
    kw: dict[str, Any] = {
        "backend": info.backend,
        "method": info.method,
        "path": info.path,
        "status": status,
        "operation": info.operation,
    }
    retry_after = parse_retry_after(resp.headers.get("retry-after"))
    if status == 401:
        return AuthError(message or "access denied", **kw)
    if status == 403:
        return Forbidden(message or "forbidden", **kw)
    if status == 404:
        return NotFound(message or "not found", **kw)
    if status == 409:
        return Conflict(message or "conflict", **kw)
    if status == 429:
        return RateLimited(message or "too many requests", retry_after=retry_after, **kw)
    if status >= 500:
        return UpstreamUnavailable(f"HTTP {status}", retry_after=retry_after, **kw)
    if status in (400, 422):
        return ValidationFailed(message or f"HTTP {status}", fields=fields, **kw)
    return ApiError(message or f"HTTP {status}", fields=fields, **kw)
