"""Pure decoding of Bruin answers (no network): status/body -> value or typed error.

Also the one sentence each error shows to a person (``user_message()``).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import math
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clients.bruin.decode import decipher, error_in_body, parse_retry_after
from bot.clients.core import RequestInfo
from bot.clients.errors import (
    ApiError,
    AuthError,
    BackendError,
    BackendTimeout,
    BadResponse,
    BusyError,
    Conflict,
    ConnectError,
    Forbidden,
    NotFound,
    RateLimited,
    TransportError,
    UpstreamUnavailable,
    ValidationFailed,
)
from bot.clients.transport import RawResponse

LIST = RequestInfo("bruin", "GET", "/api/Ticket", "listing tickets")
NOTE = RequestInfo("bruin", "POST", "/api/Ticket/6120455/notes", "adding a note")


def raw(status: int, body: bytes | str | Any = b"", headers: dict[str, str] | None = None):
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return RawResponse(status, headers or {}, body)


def decode_error(resp: RawResponse, info: RequestInfo = LIST) -> BackendError:
    with pytest.raises(BackendError) as caught:
        decipher(resp, info)
    return caught.value


# -- successful answers -----------------------------------------------------------------


def test_200_returns_the_decoded_body(raw_sample):
    data = decipher(raw(200, raw_sample("ticket_list_ok")), LIST)
    assert data["responses"][0]["ticketID"] == 6120455
    assert data["row"] == 10000


@pytest.mark.parametrize("status", [200, 201, 204])
def test_empty_success_body_is_none(status):
    assert decipher(raw(status, b""), NOTE) is None
    assert decipher(raw(status, b"  \n"), NOTE) is None


def test_outage_answer_with_error_codes_in_items_is_not_an_error(raw_sample):
    # errorCode 409/471 inside assets[] are outcomes, not failures of the call.
    for name in ("ticket_repair_exists_in_progress", "ticket_repair_exists_resolved"):
        data = decipher(raw(200, raw_sample(name)), NOTE)
        assert data["assets"][0]["errorCode"] in (409, 471)


def test_200_with_unrelated_type_field_is_not_an_error():
    body = {"type": "site", "email": "store112@example.com"}
    assert decipher(raw(200, body), LIST) == body


def test_200_error_envelope_with_low_code_is_not_an_error():
    body = {"type": "InfoException", "code": 200, "message": "ok"}
    assert decipher(raw(200, body), LIST) == body


# -- error statuses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ValidationFailed),
        (401, AuthError),
        (403, Forbidden),
        (404, NotFound),
        (409, Conflict),
        (422, ValidationFailed),
        (429, RateLimited),
        (500, UpstreamUnavailable),
        (502, UpstreamUnavailable),
        (503, UpstreamUnavailable),
        (504, UpstreamUnavailable),
    ],
)
def test_status_maps_to_error_class(status, cls):
    body = {"message": "boom", "type": "SomeException", "code": status, "traceId": "t-1"}
    err = decode_error(raw(status, body))
    assert type(err) is cls
    assert err.status == status
    assert err.trace_id == "t-1"
    assert err.backend == "bruin"
    assert err.method == "GET"
    assert err.path == "/api/Ticket"
    assert err.operation == "listing tickets"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ValidationFailed),
        (401, AuthError),
        (403, Forbidden),
        (404, NotFound),
        (409, Conflict),
        (429, RateLimited),
        (500, UpstreamUnavailable),
        (502, UpstreamUnavailable),
        (503, UpstreamUnavailable),
    ],
)
def test_empty_body_on_error_status(status, cls):
    err = decode_error(raw(status, b""))
    assert type(err) is cls
    assert err.status == status
    assert err.trace_id is None
    assert err.message == ("not found" if status == 404 else f"HTTP {status}")


@pytest.mark.parametrize("body", [b"<html>Bad Gateway</html>", b'"Got 401 from Bruin"', b"[1,2]"])
def test_non_object_error_bodies_still_map_by_status(body):
    assert type(decode_error(raw(502, body))) is UpstreamUnavailable
    assert type(decode_error(raw(401, body))) is AuthError


def test_validation_failed_carries_field_messages(raw_sample):
    err = decode_error(raw(400, raw_sample("ticket_list_error400")))
    assert isinstance(err, ValidationFailed)
    assert err.fields == {
        "ClientId": ["The ClientId field is required."],
        "Rows": ["Rows must be between 1 and 10000."],
    }
    assert err.message == "The request is invalid."
    assert err.trace_id == "0HMVD8K2Q5T1A:00000002"
    text = err.user_message()
    assert "ClientId: The ClientId field is required" in text
    assert "Rows: Rows must be between 1 and 10000" in text


def test_validation_field_message_as_plain_string():
    body = {"message": "bad", "data": {"TicketId": "must be a number"}, "code": 400}
    err = decode_error(raw(400, body))
    assert err.fields == {"TicketId": ["must be a number"]}


def test_huge_messages_are_bounded():
    body = {"message": "x" * 5000, "data": {"Note": ["y" * 5000]}}
    err = decode_error(raw(400, body))
    assert len(err.message) <= 300
    assert all(len(m) <= 300 for m in err.fields["Note"])


@pytest.mark.parametrize("key", ["traceId", "TraceId", "traceID", "TRACEID"])
def test_trace_id_is_carried_whatever_its_casing(key):
    err = decode_error(raw(403, {"message": "Access denied", key: "abc-123"}), NOTE)
    assert isinstance(err, Forbidden)
    assert err.trace_id == "abc-123"
    assert "Bruin traceId abc-123" in err.user_message()
    assert "abc-123" in str(err)


def test_forbidden_sample_carries_capitalised_trace_id(raw_sample):
    err = decode_error(raw(403, raw_sample("note_add_error403")), NOTE)
    assert isinstance(err, Forbidden)
    assert err.trace_id == "0HMVD8K2Q5T1A:00000003"
    assert err.operation == "adding a note"


def test_error_message_falls_back_to_error_message_key():
    err = decode_error(raw(409, {"errorMessage": "already exists"}))
    assert isinstance(err, Conflict)
    assert err.message == "already exists"


# -- Retry-After --------------------------------------------------------------------------


def test_429_retry_after_delta_seconds():
    err = decode_error(raw(429, b"", {"retry-after": "7"}))
    assert isinstance(err, RateLimited)
    assert err.retry_after == 7.0


def test_429_retry_after_http_date():
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    err = decode_error(raw(429, b"", {"retry-after": when}))
    assert isinstance(err, RateLimited)
    assert err.retry_after is not None
    assert 115 <= err.retry_after <= 121


def test_429_without_retry_after():
    err = decode_error(raw(429, b""))
    assert isinstance(err, RateLimited)
    assert err.retry_after is None


def test_503_retry_after_is_kept():
    err = decode_error(raw(503, b"", {"retry-after": "2"}))
    assert isinstance(err, UpstreamUnavailable)
    assert err.retry_after == 2.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 3 ", 3.0),
        ("0.5", 0.5),
        ("-5", 0.0),
        ("0", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after_values(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_past_date_is_zero():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "Infinity", "1e400"])
def test_parse_retry_after_rejects_non_finite(value):
    seconds = parse_retry_after(value)
    assert seconds is None or math.isfinite(seconds)


# -- errors inside HTTP 200 ---------------------------------------------------------------


def test_200_with_error_body_raises(raw_sample):
    info = RequestInfo("bruin", "GET", "/api/Ticket/topics", "reading ticket categories")
    err = decode_error(raw(200, raw_sample("ticket_topics_error200")), info)
    assert isinstance(err, ValidationFailed)
    assert err.status == 400
    assert err.message.startswith("No source access under ClientId[40123]")
    assert err.trace_id == "0HMVD8K2Q5T1A:00000001"
    assert "Bruin traceId 0HMVD8K2Q5T1A:00000001" in err.user_message()


@pytest.mark.parametrize(
    ("code", "cls"),
    [(403, Forbidden), (404, NotFound), (409, Conflict), (500, UpstreamUnavailable)],
)
def test_200_error_body_code_picks_the_class(code, cls):
    body = {"message": "m", "type": "SomeException", "code": code}
    assert type(decode_error(raw(200, body))) is cls


def test_200_error_body_without_code_is_validation_failed():
    err = decode_error(raw(200, {"type": "ValidationError", "message": "nope"}))
    assert isinstance(err, ValidationFailed)
    assert err.status == 400


def test_200_error_body_with_error_code_key():
    err = decode_error(raw(200, {"Type": "ValidationException", "errorCode": 409}))
    assert isinstance(err, Conflict)


def test_error_in_body_detector():
    assert error_in_body({"type": "ValidationException", "code": 400})
    assert error_in_body({"TYPE": "ValidationError"})
    assert not error_in_body({"assets": [{"errorCode": 471}]})
    assert not error_in_body({"type": 5})
    assert not error_in_body({"type": "ValidationException", "code": 204})


@pytest.mark.parametrize("body", [b"{not json", b"<html>ok</html>", b"\xff\xfe\x00garbage"])
def test_malformed_json_on_200_is_bad_response(body):
    err = decode_error(raw(200, body))
    assert type(err) is BadResponse
    assert err.status == 200
    assert err.path == "/api/Ticket"
    assert err.user_message() == "Bruin sent an answer the bot could not read."


# -- property: decipher never leaks a non-backend exception -----------------------------


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    status=st.integers(min_value=100, max_value=599),
    body=st.binary(max_size=300),
    retry_after=st.none() | st.text(max_size=40),
)
def test_decipher_on_arbitrary_bytes_raises_only_backend_errors(status, body, retry_after):
    headers = {} if retry_after is None else {"retry-after": retry_after}
    with contextlib.suppress(BackendError):
        decipher(RawResponse(status, headers, body), LIST)


_finite = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
_finite |= st.floats(allow_nan=False, allow_infinity=False)
_values = st.recursive(
    _finite,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
_envelopes = st.fixed_dictionaries(
    {"type": st.sampled_from(["ValidationException", "ValidationError", "Error", "x"])},
    optional={
        k: _values
        for k in ("code", "errorCode", "message", "errorMessage", "data", "traceId", "TraceId")
    },
)


@settings(max_examples=150, deadline=None, database=None)
@given(status=st.integers(min_value=100, max_value=599), payload=_envelopes)
def test_decipher_on_bruin_like_envelopes_raises_only_backend_errors(status, payload):
    body = json.dumps(payload).encode()
    try:
        result = decipher(RawResponse(status, {}, body), LIST)
    except BackendError as exc:
        assert exc.user_message().endswith((".", ")"))
    else:
        assert 200 <= status < 300
        assert result == payload


@pytest.mark.parametrize("code", [b"1e999", b"Infinity", b"-Infinity"])
def test_decipher_non_finite_code_is_a_backend_error(code):
    body = b'{"type":"ValidationException","code":' + code + b',"message":"x"}'
    with pytest.raises(BackendError):
        decipher(RawResponse(200, {}, body), LIST)


@pytest.mark.parametrize("status", [200, 500])
def test_decipher_deeply_nested_json_is_a_backend_error(status):
    with pytest.raises(BackendError):
        decipher(RawResponse(status, {}, b"[" * 100_000), LIST)


# -- user_message(): one sentence for a person --------------------------------------------


def _one_sentence(text: str) -> None:
    assert text.endswith("."), text
    assert "\n" not in text
    assert not text.endswith(".."), text
    body = text[:-1]
    # No second sentence: no ". X" / "? X" / "! X" break inside.
    for stop in (". ", "? ", "! "):
        idx = body.find(stop)
        assert idx == -1 or not body[idx + 2 : idx + 3].isupper(), text


def _kw(trace: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "backend": "bruin",
        "method": "POST",
        "path": "/api/Ticket/6120455/notes",
        "trace_id": trace,
        **extra,
    }


ERRORS_WITHOUT_TRACE: list[tuple[BackendError, str]] = [
    (BackendError("it broke", **_kw()), "Bruin reported an error: it broke."),
    (
        TransportError("request failed", **_kw()),
        "Could not reach Bruin; try again in a minute.",
    ),
    (
        BackendTimeout("slow", timeout=2.5, **_kw()),
        "Bruin did not answer in 2.5 s; try again in a minute.",
    ),
    (
        ConnectError("refused", **_kw()),
        "Could not reach Bruin; try again in a minute.",
    ),
    (ApiError("weird", **_kw()), "Bruin reported an error: weird."),
    (
        AuthError("refused", **_kw()),
        "Bruin refused the bot's credentials; an admin should check them with `chatops-bot check`.",
    ),
    (
        Forbidden("Access denied", operation="adding a note", **_kw()),
        "Bruin refused adding a note: the bot's service account lacks the permission "
        "for it (an account admin must grant the scope).",
    ),
    (NotFound("Ticket 6120455 was not found", **_kw()), "Ticket 6120455 was not found."),
    (
        ValidationFailed("The request is invalid.", **_kw()),
        "Bruin rejected the request: The request is invalid.",
    ),
    (
        ValidationFailed("bad", fields={"Note": ["is required"], "A": ["x", "y"]}, **_kw()),
        "Bruin rejected the request: A: x y; Note: is required.",
    ),
    (
        Conflict("Ticket 6120455 is already closed", **_kw()),
        "Bruin refused: Ticket 6120455 is already closed.",
    ),
    (
        RateLimited("slow down", retry_after=30, **_kw()),
        "Bruin is rate limiting the bot; try again in 30 s.",
    ),
    (
        RateLimited("slow down", **_kw()),
        "Bruin is rate limiting the bot; try again in a moment.",
    ),
    (
        UpstreamUnavailable("HTTP 503", **_kw()),
        "Bruin is unavailable right now (HTTP 503).",
    ),
    (BadResponse("not json", **_kw()), "Bruin sent an answer the bot could not read."),
    (
        BusyError("too many calls waiting", backend="bruin"),
        "The bot is busy talking to Bruin; try again in a moment.",
    ),
]


@pytest.mark.parametrize(("err", "expected"), ERRORS_WITHOUT_TRACE, ids=lambda v: type(v).__name__)
def test_user_message_is_one_sentence(err, expected):
    text = err.user_message()
    assert text == expected
    _one_sentence(text)


def test_forbidden_without_operation_is_still_a_sentence():
    text = Forbidden("Access denied", **_kw()).user_message()
    assert "refused this operation" in text
    _one_sentence(text)


def test_forbidden_names_the_operation_from_decode(raw_sample):
    err = decode_error(raw(403, raw_sample("note_add_error403")), NOTE)
    assert "adding a note" in err.user_message()


def test_user_message_mentions_trace_id():
    for cls in (AuthError, Forbidden, NotFound, ValidationFailed, Conflict, BadResponse):
        text = cls("m", **_kw("0HMVD8K2Q5T1A:9")).user_message()
        assert "Bruin traceId 0HMVD8K2Q5T1A:9" in text, cls
    other = UpstreamUnavailable("m", backend="bric", trace_id="t-9").user_message()
    assert "trace id t-9" in other
    assert "Bruin traceId" not in other


@pytest.mark.parametrize(
    "err",
    [
        Forbidden("Access denied", operation="adding a note", **_kw("0HMVD8K2Q5T1A:3")),
        UpstreamUnavailable("HTTP 503", **_kw("0HMVD8K2Q5T1A:6")),
        NotFound("Ticket 6120455 was not found", **_kw("0HMVD8K2Q5T1A:5")),
    ],
    ids=lambda e: type(e).__name__,
)
def test_user_message_with_trace_id_ends_with_a_period(err):
    text = err.user_message()
    assert "Bruin traceId" in text
    _one_sentence(text)


def test_str_and_repr_name_the_call_but_not_the_query():
    err = UpstreamUnavailable("HTTP 503", **_kw("t-1"), status=503)
    assert str(err) == "HTTP 503 (POST /api/Ticket/6120455/notes) [traceId t-1]"
    assert "UpstreamUnavailable(" in repr(err)
    assert "'/api/Ticket/6120455/notes'" in repr(err)
