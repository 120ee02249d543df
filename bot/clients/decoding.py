"""What every backend's decoder shares: lenient JSON, Retry-After, status -> error class.

Each backend keeps its own pure ``decode(resp, info)`` (where its conventions differ:
Bruin's errors inside 200 bodies and ``traceId``; Bric's plain-text Rails errors); the
pieces below are the same for both.
"""

from __future__ import annotations

import email.utils
import json
import math
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

__all__ = ["INVALID", "bad_json", "error_for_status", "json_or_invalid", "parse_retry_after"]

INVALID: Any = object()
"""Marker: the body is not JSON (distinct from an empty body, which is None)."""


def json_or_invalid(body: bytes) -> Any:
    """The decoded body, None when empty, :data:`INVALID` when it is not JSON."""
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return INVALID


def bad_json(status: int, info: RequestInfo) -> BadResponse:
    return BadResponse(
        "the answer is not valid JSON",
        backend=info.backend,
        method=info.method,
        path=info.path,
        status=status,
        operation=info.operation,
    )


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent
    or unusable (a NaN or infinite value must never become a wait)."""
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


def error_for_status(
    status: int,
    message: str | None,
    info: RequestInfo,
    *,
    fields: dict[str, list[str]] | None = None,
    retry_after: float | None = None,
    trace_id: str | None = None,
) -> ApiError:
    """The typed error for an HTTP error status (``message`` already cut and safe)."""
    kw: dict[str, Any] = {
        "backend": info.backend,
        "method": info.method,
        "path": info.path,
        "status": status,
        "trace_id": trace_id,
        "operation": info.operation,
    }
    text = message or f"HTTP {status}"
    if status == 401:
        return AuthError(text, **kw)
    if status == 403:
        return Forbidden(text, **kw)
    if status == 404:
        return NotFound(message or "not found", **kw)
    if status == 409:
        return Conflict(text, **kw)
    if status == 429:
        return RateLimited(text, retry_after=retry_after, **kw)
    if status >= 500:
        return UpstreamUnavailable(text, retry_after=retry_after, **kw)
    if 400 <= status < 500:
        return ValidationFailed(text, fields=fields or {}, **kw)
    return ApiError(text, fields=fields or {}, **kw)
