"""Bruin response decoding and error mapping: a pure function of the response.

Bruin reports errors by status *and* inside HTTP 200 bodies
(``{"message", "messageDetail", "data", "type": "ValidationException", "code": 400,
"traceId"}``); both become the same typed errors, carrying Bruin's ``traceId``.
"""

from __future__ import annotations

from collections.abc import Mapping
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

__all__ = ["decipher", "error_in_body", "parse_retry_after"]  # re-exported for callers

_MAX_MESSAGE = 300


def decipher(resp: RawResponse, info: RequestInfo) -> Any:
    """Return the decoded JSON body of a successful answer or raise the matching error."""
    payload = json_or_invalid(resp.body)
    if 200 <= resp.status < 300:
        if payload is INVALID:
            raise bad_json(resp.status, info)
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
    trace = _get(payload, "traceId")
    return error_for_status(
        status,
        str(message)[:_MAX_MESSAGE] if message else None,
        info,
        fields=_fields(_get(payload, "data")),
        retry_after=parse_retry_after(headers.get("retry-after")),
        trace_id=str(trace) if trace else None,
    )
