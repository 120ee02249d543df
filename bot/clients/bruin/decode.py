"""Bruin response decoding and error mapping: a pure function of the response.

Bruin reports errors by status *and* inside HTTP 200 bodies
(``{"message", "messageDetail", "data", "type": "ValidationException", "code": 400,
"traceId"}``); both become the same typed errors, carrying Bruin's ``traceId``.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Mapping
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

__all__ = ["decipher", "error_in_body", "parse_retry_after"]

_MAX_MESSAGE = 300


def decipher(resp: RawResponse, info: RequestInfo) -> Any:
    """Return the decoded JSON body of a successful answer or raise the matching error."""
    payload = _json_or_none(resp.body)
    if 200 <= resp.status < 300:
        if payload is _INVALID:
            raise BadResponse(
                "the answer is not valid JSON",
                backend=info.backend,
                method=info.method,
                path=info.path,
                status=resp.status,
                operation=info.operation,
            )
        if isinstance(payload, dict) and error_in_body(payload):
            code = _int(_get(payload, "code")) or _int(_get(payload, "errorCode")) or 400
            raise _api_error(code, payload, resp.headers, info)
        return payload
    return_payload = payload if isinstance(payload, dict) else {}
    raise _api_error(resp.status, return_payload, resp.headers, info)


def error_in_body(payload: Mapping[str, Any]) -> bool:
    """True when a 2xx body is really one of Bruin's error envelopes."""
    kind = _get(payload, "type")
    if not isinstance(kind, str) or not ("Exception" in kind or "Error" in kind):
        return False
    code = _int(_get(payload, "code"))
    return code is None or code >= 400


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


_INVALID: Any = object()


def _json_or_none(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _INVALID


def _get(payload: Mapping[str, Any], key: str) -> Any:
    if key in payload:
        return payload[key]
    lowered = key.lower()
    for k, v in payload.items():
        if isinstance(k, str) and k.lower() == lowered:
            return v
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _fields(data: Any) -> dict[str, list[str]]:
    if not isinstance(data, dict):
        return {}
    out: dict[str, list[str]] = {}
    for name, msgs in data.items():
        if isinstance(msgs, list):
            out[str(name)] = [str(m)[:_MAX_MESSAGE] for m in msgs]
        elif isinstance(msgs, str):
            out[str(name)] = [msgs[:_MAX_MESSAGE]]
    return out


def _api_error(
    status: int, payload: Mapping[str, Any], headers: Mapping[str, str], info: RequestInfo
) -> ApiError:
    message = _get(payload, "message") or _get(payload, "errorMessage")
    text = str(message)[:_MAX_MESSAGE] if message else f"HTTP {status}"
    trace = _get(payload, "traceId")
    kw: dict[str, Any] = {
        "backend": info.backend,
        "method": info.method,
        "path": info.path,
        "status": status,
        "trace_id": str(trace) if trace else None,
        "operation": info.operation,
    }
    retry_after = parse_retry_after(headers.get("retry-after"))
    if status == 401:
        return AuthError(text, **kw)
    if status == 403:
        return Forbidden(text, **kw)
    if status == 404:
        return NotFound(text if message else "not found", **kw)
    if status == 409:
        return Conflict(text, **kw)
    if status == 429:
        return RateLimited(text, retry_after=retry_after, **kw)
    if status >= 500:
        return UpstreamUnavailable(text, retry_after=retry_after, **kw)
    return ValidationFailed(text, fields=_fields(_get(payload, "data")), **kw)
