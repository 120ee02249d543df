"""A faithful fake of the MetTel Bruin API as a real ``aiohttp.web`` application.

Paths, envelopes and field names follow ``docs/BRUIN_API.md``; payloads are plain
dicts in the API's own shapes (see :mod:`bot.sandbox.bruin_seed`), never built from the
client's models, so a wrong field name in the client fails a test.

Routes (route names in brackets, used by :class:`~bot.sandbox.faults.FaultBoard`)::

    POST /identity/connect/token                         [token]
    GET  /api/Ticket                                     [ticket.list]
    GET  /api/Ticket/basic                               [ticket.basic]
    GET  /api/Ticket/topics                              [ticket.topics]
    GET  /api/Ticket/{id}/details                        [ticket.details]
    POST /api/Ticket/{id}/notes                          [note.add]
    POST /api/Ticket/{id}/notes/advanced                 [note.advanced]
    POST /api/Ticket  (and /api/Ticket/)                 [ticket.create]
    POST /api/Ticket/repair                              [ticket.repair]
    PUT  /api/Ticket/{id}/details/{detailId}/status      [detail.status]
    PUT  /api/Ticket/{id}/close                          [ticket.close]
    GET  /api/Inventory                                  [inventory]
    GET  /api/Inventory/Attribute                        [inventory.attribute]
    GET  /api/Site                                       [site]

Control endpoints (not recorded as calls, no auth), under ``/_sandbox`` by default::

    POST   /_sandbox/faults          {"route": "...", <Fault fields>}
    GET    /_sandbox/faults          the active faults
    DELETE /_sandbox/faults          clear all (or ?route=NAME)
    GET    /_sandbox/calls           [{"route", "method", "path"}]
    POST   /_sandbox/tokens/expire   every issued token becomes stale
    POST   /_sandbox/reset           reseed, clear faults and calls
    POST   /_sandbox/flags           {"repair_unavailable": bool, "repair_unresolve": bool}
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import copy
import hashlib
import hmac
import json
import logging
import os
import pathlib
import re
import secrets
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import parse_qsl, unquote_plus

import aiohttp
from aiohttp import web

from .bruin_seed import (
    BOT_CREATED_BY,
    BOT_EMAIL,
    BOT_USER_ID,
    CLIENTS,
    EASTERN,
    OPEN_STATUSES,
    PRODUCT_TOPICS,
    TOPICS,
    BruinState,
    iso_ms,
    normalise_status,
    parse_iso,
    seed_state,
    us_date,
)
from .control import FaultControl
from .faults import BRUIN_ROUTES, Fault, FaultBoard

__all__ = [
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SANDBOX_CUSTOMER_ID",
    "BruinSandbox",
    "CallRecord",
]

SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"
SANDBOX_CUSTOMER_ID = 40123

_log = logging.getLogger(__name__)

_MAX_ROWS = 10000
_DEFAULT_PAGE_SIZE = 100
_HANG_SECONDS = 120.0
_SANDBOX_HEADER = {"x-sandbox": "bruin"}

#: Scope named in a 403 answer, per route.
_SCOPES = {
    "ticket.list": "FunctionPermissionTicketGet",
    "ticket.basic": "FunctionPermissionTicketGet",
    "ticket.details": "FunctionPermissionTicketGet",
    "ticket.topics": "FunctionPermissionTicketGet",
    "note.add": "FunctionPermissionTicketUpdate",
    "note.advanced": "FunctionPermissionTicketUpdate",
    "ticket.create": "FunctionPermissionTicketCreate",
    "ticket.repair": "FunctionPermissionTicketCreate",
    "detail.status": "FunctionPermissionTicketUpdate",
    "ticket.close": "FunctionPermissionTicketUpdate",
    "inventory": "FunctionPermissionInventoryGet",
    "inventory.attribute": "FunctionPermissionInventoryGet",
    "site": "FunctionPermissionSiteGet",
}

_NOTE_TYPES = {"ADN", "CON", "RFO", "MTK", "DDD", "TROUBLESTART", "LDSCR", "CANCELLATIONREASON"}
_FXS_NOTE = re.compile(r"^FXS\d+INFO$")


@dataclass
class CallRecord:
    """One request the sandbox received on an API or token route."""

    route: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    """Parsed JSON, the form dict of the token route, the raw text if unparsable, or None."""
    headers: dict[str, str]
    status: int = 0
    """HTTP status of the answer (0 while in flight or when the client went away)."""


# --------------------------------------------------------------------------- helpers


def error_body(
    message: str,
    *,
    data: Any = None,
    type_: str = "ValidationError",
    code: int = 400,
    detail: str | None = None,
) -> dict[str, Any]:
    """The standard Bruin error body, with a fresh ``traceId``."""
    return {
        "message": message,
        "messageDetail": detail,
        "data": data,
        "type": type_,
        "code": code,
        "traceId": str(uuid.uuid4()),
    }


def _json(
    data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    all_headers = dict(_SANDBOX_HEADER)
    if headers:
        all_headers.update(headers)
    return web.json_response(data, status=status, headers=all_headers)


class _ApiError(Exception):
    """Raised inside a handler to answer with ``response`` instead."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _fail(status: int, body: dict[str, Any]) -> NoReturn:
    raise _ApiError(_json(body, status=status))


def _invalid(data: dict[str, list[str]], message: str | None = None) -> NoReturn:
    _fail(400, error_body(message or "One or more validation errors occurred.", data=data))


def _not_found(message: str = "Resource not found") -> NoReturn:
    _fail(404, error_body(message, type_="NotFoundException", code=404))


def _ci_get(obj: Mapping[str, Any], *names: str) -> Any:
    """Value of the first of ``names`` present in ``obj``, ignoring key case."""
    lowered = {str(k).lower(): v for k, v in obj.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


class _Query:
    """Query parameters with case-insensitive names (``ClientId`` = ``clientID``)."""

    def __init__(self, query: Mapping[str, str] | Any) -> None:
        self._values: dict[str, list[str]] = {}
        for key, value in query.items():
            self._values.setdefault(str(key).lower(), []).append(str(value))

    def get(self, name: str) -> str | None:
        for value in self._values.get(name.lower(), []):
            if value.strip():
                return value.strip()
        return None

    def getall(self, name: str) -> list[str]:
        """Every value of ``name``, repeated keys and comma lists alike."""
        out: list[str] = []
        for value in self._values.get(name.lower(), []):
            out.extend(part.strip() for part in value.split(",") if part.strip())
        return out

    def integer(
        self, name: str, *, required: bool = False, default: int | None = None
    ) -> int | None:
        raw = self.get(name)
        if raw is None:
            if required:
                _invalid({name: [f"The {name} field is required."]})
            return default
        value = _as_int(raw)
        if value is None:
            _invalid({name: [f"The value '{raw}' is not valid for {name}."]})
        return value

    def ints(self, name: str) -> set[int]:
        values: set[int] = set()
        for raw in self.getall(name):
            value = _as_int(raw)
            if value is None:
                _invalid({name: [f"The value '{raw}' is not valid for {name}."]})
            values.add(value)
        return values

    def date(self, name: str, *, end: bool = False) -> datetime | None:
        raw = self.get(name)
        if raw is None:
            return None
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                day = datetime.fromisoformat(raw).replace(tzinfo=UTC)
                return day + timedelta(days=1) if end else day
            return parse_iso(raw)
        except ValueError:
            _invalid({name: [f"The value '{raw}' is not valid for {name}."]})


@dataclass
class _Ctx:
    route: str
    request: web.Request
    query: _Query
    body: Any
    body_invalid: bool
    record: CallRecord

    def json_object(self) -> dict[str, Any]:
        """The JSON body as an object, or a 400 answer."""
        if self.body_invalid:
            _invalid({"body": ["The request body is not valid JSON."]}, "Invalid request body.")
        if not isinstance(self.body, dict):
            _invalid({"body": ["A JSON object body is required."]}, "Invalid request body.")
        return self.body

    def ticket_id(self) -> int:
        value = _as_int(self.request.match_info.get("ticket_id", ""))
        if value is None:
            _not_found()
        return value


_Handler = Callable[[_Ctx], web.Response]


# --------------------------------------------------------------------------- the sandbox


class BruinSandbox(FaultControl):
    """In-memory Bruin: state, tokens, fault switches and a call log; mount with add_routes."""

    def __init__(self, *, token_ttl: float = 3600, state_file: pathlib.Path | None = None) -> None:
        self.token_ttl = token_ttl
        self.state_file = state_file
        self.client_secret = SANDBOX_CLIENT_SECRET
        """The OAuth client secret the token endpoint accepts (tests set their own)."""
        self.faults = FaultBoard(BRUIN_ROUTES)
        self.calls: list[CallRecord] = []
        self.repair_unavailable = False
        """Outage tickets answer ``ticketId`` 0 ("feature temporarily unavailable")."""
        self.repair_unresolve = False
        """Outage request on a Resolved ticket unresolves it (errorCode 472) instead of 471."""
        self.webhook_url: str | None = None
        """When set (with ``webhook_secret``), writes emit signed Bruin webhooks here."""
        self.webhook_secret: str | None = None
        self.webhooks_sent: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._webhook_tasks: set[asyncio.Task[None]] = set()
        self._tokens: dict[str, float] = {}
        self._hanging: set[asyncio.Future[None]] = set()
        self._dirty = False
        self._file_sig: tuple[int, int] | None = None
        self.state: BruinState = self._load_or_seed()

    # ---------------------------------------------------------------- test helpers

    @property
    def token_requests(self) -> int:
        """Requests to the token endpoint, successful or not."""
        return self.call_count("token")

    @property
    def live_tokens(self) -> int:
        now = time.monotonic()
        return sum(1 for t in self._tokens.values() if now - t < self.token_ttl)

    def expire_tokens(self) -> None:
        """Every issued token becomes stale (401 on use)."""
        self._tokens.clear()

    def revoke_tokens(self) -> None:
        """Same as :meth:`expire_tokens`."""
        self.expire_tokens()

    def reset(self) -> None:
        """Reseed the state, clear faults, calls and flags (issued tokens stay valid)."""
        self.state = seed_state()
        self.faults.clear()
        self.calls.clear()
        self.repair_unavailable = False
        self.repair_unresolve = False
        self.release_timeouts()
        self._save()

    def release_timeouts(self) -> None:
        """Let every request hanging on a ``timeout`` fault finish (with a 504)."""
        for fut in list(self._hanging):
            if not fut.done():
                with contextlib.suppress(RuntimeError):  # its loop is gone
                    fut.set_result(None)
        self._hanging.clear()

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        """The ticket record as ``GET /api/Ticket`` shows it (KeyError if unknown)."""
        return self.state.tickets[ticket_id]

    def ticket_notes(self, ticket_id: int) -> list[dict[str, Any]]:
        return self.state.notes[ticket_id]

    def ticket_details(self, ticket_id: int) -> list[dict[str, Any]]:
        return self.state.details[ticket_id]

    # ---------------------------------------------------------------- wiring

    def add_carrier_note(self, ticket_id: int, text: str) -> int:
        """A note written on the ticket outside the bot (the carrier, the NOC portal):
        what the bot's poller and webhooks report as a change. Returns the note id."""
        self._ticket_or_404(ticket_id)
        note = self._add_note(ticket_id, "ADN", text, self._ticket_services(ticket_id))
        return int(note["noteId"])

    def make_app(self) -> web.Application:
        app = web.Application()
        self.add_routes(app)
        return app

    def add_routes(self, app: web.Application, *, control_prefix: str = "/_sandbox") -> None:
        """Mount the Bruin routes (and the control endpoints under ``control_prefix``)."""
        ep = self._endpoint
        app.router.add_post("/identity/connect/token", ep("token", self._h_token, auth=False))
        app.router.add_get("/api/Ticket", ep("ticket.list", self._h_list))
        app.router.add_get("/api/Ticket/basic", ep("ticket.basic", self._h_basic))
        app.router.add_get("/api/Ticket/topics", ep("ticket.topics", self._h_topics))
        app.router.add_get("/api/Ticket/{ticket_id}/details", ep("ticket.details", self._h_details))
        app.router.add_post("/api/Ticket/{ticket_id}/notes", ep("note.add", self._h_note_add))
        app.router.add_post(
            "/api/Ticket/{ticket_id}/notes/advanced", ep("note.advanced", self._h_note_advanced)
        )
        create = ep("ticket.create", self._h_create)
        app.router.add_post("/api/Ticket", create)
        app.router.add_post("/api/Ticket/", create)
        app.router.add_post("/api/Ticket/repair", ep("ticket.repair", self._h_repair))
        app.router.add_put(
            "/api/Ticket/{ticket_id}/details/{detail_id}/status",
            ep("detail.status", self._h_detail_status),
        )
        app.router.add_put("/api/Ticket/{ticket_id}/close", ep("ticket.close", self._h_close))
        app.router.add_get("/api/Inventory", ep("inventory", self._h_inventory))
        app.router.add_get("/api/Inventory/Attribute", ep("inventory.attribute", self._h_attr))
        app.router.add_get("/api/Site", ep("site", self._h_site))

        prefix = control_prefix.rstrip("/")
        self.add_fault_routes(app, prefix)
        app.router.add_post(f"{prefix}/tokens/expire", self._c_expire)
        app.router.add_post(f"{prefix}/reset", self._c_reset)
        app.router.add_post(f"{prefix}/flags", self._c_flags)
        app.on_shutdown.append(self._on_shutdown)

    async def _context(self, route: str, request: web.Request) -> _Ctx:
        raw = await request.read()
        body: Any = None
        invalid = False
        if route == "token":
            body = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        elif raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
                invalid = True
        record = CallRecord(
            route=route,
            method=request.method,
            path=request.path,
            query={k: request.query.getall(k) for k in request.query},
            body=body,
            headers={str(k): v for k, v in request.headers.items()},
        )
        self.calls.append(record)
        return _Ctx(route, request, _Query(request.query), body, invalid, record)

    async def _serve(self, ctx: _Ctx, handler: _Handler, *, auth: bool) -> web.StreamResponse:
        fault = self.faults.take(ctx.route)
        if fault is not None:
            faulted = await self._apply_fault(ctx.route, fault)
            if faulted is not None:
                return faulted
        if auth and not self._authorised(ctx.request):
            return _unauthorised()
        self._maybe_reload()
        try:
            response = handler(ctx)
        except _ApiError as exc:
            return exc.response
        except Exception:
            _log.exception("bruin sandbox handler %s failed", ctx.route)
            return _json(
                error_body("An unexpected error occurred.", type_="InternalServerError", code=500),
                status=500,
            )
        if self._dirty:
            self._dirty = False
            self._save()
        if fault is not None and fault.stall_after > 0:
            await asyncio.sleep(fault.stall_after)
        events, self._events = self._events, []
        if 200 <= response.status < 300:
            for event in events:
                self._send_webhook(event)
        return response

    # ---------------------------------------------------------------- webhooks

    def _emit(self, event_type: str, ticket_id: int, **extra: Any) -> None:
        """Queue a webhook; it is sent only if the request that caused it succeeds."""
        client = self.state.tickets[ticket_id]["clientID"]
        self._events.append(
            {"eventType": event_type, "ticketId": ticket_id, "clientId": client, **extra}
        )

    def _send_webhook(self, event: dict[str, Any]) -> None:
        if not self.webhook_url or not self.webhook_secret:
            return
        body = json.dumps(event).encode()
        signature = hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        url, headers = (
            self.webhook_url,
            {
                "Content-Type": "application/json",
                "x-bruin-webhook-signature": signature.upper(),
            },
        )

        async def post() -> None:
            try:
                async with (
                    aiohttp.ClientSession() as session,
                    session.post(
                        url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
                    ) as resp,
                ):
                    await resp.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                _log.warning("sandbox webhook to %s failed: %r", url, exc)

        self.webhooks_sent.append(event)
        task = asyncio.get_running_loop().create_task(post())
        self._webhook_tasks.add(task)
        task.add_done_callback(self._webhook_tasks.discard)

    # ---------------------------------------------------------------- faults

    async def _apply_fault(self, route: str, fault: Fault) -> web.StreamResponse | None:
        if fault.latency > 0:
            await asyncio.sleep(fault.latency)
        if fault.timeout:
            await self._hang()
            return _json(
                error_body("The sandbox released a hanging request.", type_="Timeout", code=504),
                status=504,
            )
        status = fault.effective_status
        if status is not None:
            headers: dict[str, str] = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            if status == 401:
                return _unauthorised()
            return _json(_fault_body(route, status), status=status, headers=headers)
        if fault.malformed:
            return web.Response(
                status=200,
                text='{"responses": [{"ticketID": 4503, "ticketStatus": "InProg',
                content_type="application/json",
                headers=_SANDBOX_HEADER,
            )
        if fault.error_in_200:
            return _json(
                error_body(
                    "The request could not be processed (sandbox fault).",
                    type_="ValidationException",
                    code=400,
                )
            )
        return None

    async def _hang(self) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._hanging.add(fut)
        try:
            await asyncio.wait([fut], timeout=_HANG_SECONDS)
        finally:
            self._hanging.discard(fut)
            if not fut.done():
                fut.cancel()

    # ---------------------------------------------------------------- auth

    def _authorised(self, request: web.Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return False
        issued = self._tokens.get(token)
        return issued is not None and time.monotonic() - issued < self.token_ttl

    def _h_token(self, ctx: _Ctx) -> web.Response:
        form: dict[str, str] = ctx.body if isinstance(ctx.body, dict) else {}
        client_id = form.get("client_id")
        client_secret = form.get("client_secret")
        scheme, _, encoded = ctx.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic" and encoded.strip():
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            basic_id, sep, basic_secret = decoded.partition(":")
            if sep:
                client_id, client_secret = unquote_plus(basic_id), unquote_plus(basic_secret)
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if client_id != SANDBOX_CLIENT_ID or client_secret != self.client_secret:
            return _json({"error": "invalid_client"}, status=400, headers=headers)
        grant = form.get("grant_type")
        if not grant:
            return _json({"error": "invalid_request"}, status=400, headers=headers)
        if grant != "client_credentials":
            return _json({"error": "unsupported_grant_type"}, status=400, headers=headers)
        scope = form.get("scope")
        if scope and "public_api" not in scope.split():
            return _json({"error": "invalid_scope"}, status=400, headers=headers)
        token = secrets.token_urlsafe(32)
        self._tokens[token] = time.monotonic()
        return _json(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": int(self.token_ttl),
                "scope": "public_api",
            },
            headers=headers,
        )

    # ---------------------------------------------------------------- lookups

    def _ticket_or_404(self, ticket_id: int) -> dict[str, Any]:
        ticket = self.state.tickets.get(ticket_id)
        if ticket is None:
            _not_found()
        return ticket

    def _asset(self, client_id: int, service_number: str, *, active: bool) -> dict[str, Any] | None:
        wanted = service_number.strip().lower()
        for doc in self.state.inventory:
            if doc["clientID"] == client_id and doc["serviceNumber"].lower() == wanted:
                if active and doc["status"] != "A":
                    return None
                return doc
        return None

    def _ticket_services(self, ticket_id: int) -> list[str]:
        return [d["detailValue"] for d in self.state.details.get(ticket_id, [])]

    def _created(self, ticket_id: int) -> datetime:
        return parse_iso(self.state.meta[ticket_id]["created"])

    def _newest_first(self, ids: Iterable[int]) -> list[int]:
        return sorted(ids, key=lambda t: (self._created(t), t), reverse=True)

    def _filter_tickets(self, q: _Query, *, client_required: bool) -> list[int]:
        client_id = q.integer("ClientId", required=client_required)
        ticket_ids = q.ints("TicketId")
        statuses = {normalise_status(s) for s in q.getall("TicketStatus")}
        topics = {s.upper() for s in q.getall("TicketTopic")}
        products = {s.lower() for s in q.getall("ProductCategory")}
        services = {s.lower() for s in q.getall("ServiceNumber")}
        site_ids = q.ints("SiteId")
        start = q.date("StartDate")
        end = q.date("EndDate", end=True)
        out: list[int] = []
        for tid, ticket in self.state.tickets.items():
            meta = self.state.meta[tid]
            if client_id is not None and ticket["clientID"] != client_id:
                continue
            if ticket_ids and tid not in ticket_ids:
                continue
            if statuses and normalise_status(ticket["ticketStatus"]) not in statuses:
                continue
            if topics and str(ticket["category"]).upper() not in topics:
                continue
            if products and str(meta["productCategory"]).lower() not in products:
                continue
            if services and not services & {s.lower() for s in self._ticket_services(tid)}:
                continue
            if site_ids and meta["siteId"] not in site_ids:
                continue
            created = self._created(tid)
            if start is not None and created < start:
                continue
            if end is not None and created > end:
                continue
            out.append(tid)
        return self._newest_first(out)

    # ---------------------------------------------------------------- ticket reads

    def _h_list(self, ctx: _Ctx) -> web.Response:
        q = ctx.query
        ids = self._filter_tickets(q, client_required=True)
        start = q.integer("Start", default=0) or 0
        rows = q.integer("Rows", default=_MAX_ROWS) or 0
        if start < 0:
            _invalid({"Start": ["Start must be 0 or more."]})
        if rows < 1:
            _invalid({"Rows": ["Rows must be between 1 and 10000."]})
        rows = min(rows, _MAX_ROWS)
        page = ids[start : start + rows]
        return _json(
            {
                "responses": [self.state.tickets[t] for t in page],
                "row": rows,
                "start": start,
            }
        )

    def _h_basic(self, ctx: _Ctx) -> web.Response:
        q = ctx.query
        ids = self._filter_tickets(q, client_required=False)
        size = q.integer("PageSize", default=_DEFAULT_PAGE_SIZE) or 0
        number = q.integer("PageNumber", default=1) or 0
        if size < 1 or size > _MAX_ROWS:
            _invalid({"PageSize": ["PageSize must be between 1 and 10000."]})
        if number < 1:
            _invalid({"PageNumber": ["PageNumber starts at 1."]})
        offset = (number - 1) * size
        page = ids[offset : offset + size]
        responses = []
        for tid in page:
            ticket = self.state.tickets[tid]
            responses.append(
                {
                    "clientID": ticket["clientID"],
                    "ticketID": tid,
                    "ticketStatus": ticket["ticketStatus"],
                    "callType": self.state.meta[tid]["callType"],
                    "category": ticket["category"],
                    "createDate": ticket["createDate"],
                    "createdBy": ticket["createdBy"],
                    "address": ticket["address"],
                }
            )
        return _json(
            {
                "total": len(ids),
                "start": offset,
                "currentPageSize": len(responses),
                "responses": responses,
            }
        )

    def _h_details(self, ctx: _Ctx) -> web.Response:
        tid = ctx.ticket_id()
        self._ticket_or_404(tid)
        details = copy.deepcopy(self.state.details[tid])
        if ctx.request.headers.get("api-version", "").strip() == "2.0":
            for detail in details:
                detail["skillName"] = _skill(detail)
        return _json({"ticketDetails": details, "ticketNotes": self.state.notes[tid]})

    def _h_topics(self, ctx: _Ctx) -> web.Response:
        q = ctx.query
        client_id = q.integer("ClientId", required=True)
        assert client_id is not None
        service_number = q.get("ServiceNumber")
        if client_id not in CLIENTS:
            return _json(_no_inventory_body(client_id, service_number or ""))
        if service_number:
            asset = self._asset(client_id, service_number, active=True)
            if asset is None:
                return _json(_no_inventory_body(client_id, service_number))
            codes = set(PRODUCT_TOPICS.get(asset["productCategory"], ("VOO", "VAS")))
        else:
            codes = set()
            for doc in self.state.inventory:
                if doc["clientID"] == client_id and doc["status"] == "A":
                    codes.update(PRODUCT_TOPICS.get(doc["productCategory"], ()))
        return _json({"callTypes": [dict(t) for code, t in TOPICS.items() if code in codes]})

    # ---------------------------------------------------------------- notes

    def _add_note(
        self, ticket_id: int, note_type: str, text: str, services: list[str]
    ) -> dict[str, Any]:
        note = {
            "noteId": self.state.next_id("note"),
            "noteType": note_type,
            "noteValue": text,
            "serviceNumber": list(services),
            "createdDate": iso_ms(_now()),
            "creator": BOT_EMAIL,
        }
        self.state.notes.setdefault(ticket_id, []).append(note)
        self.state.tickets[ticket_id]["mostRecentNote"] = text
        self._dirty = True
        self._emit("NewNoteAdded", ticket_id, noteId=note["noteId"])
        return note

    def _h_note_add(self, ctx: _Ctx) -> web.Response:
        tid = ctx.ticket_id()
        self._ticket_or_404(tid)
        body = ctx.json_object()
        text = _ci_get(body, "note")
        if not isinstance(text, str) or not text.strip():
            _invalid({"Note": ["The Note field is required."]})
        on_ticket = self._ticket_services(tid)
        raw_services = _ci_get(body, "serviceNumbers")
        if raw_services is None or raw_services == []:
            services = on_ticket
        else:
            if not isinstance(raw_services, list) or not all(
                isinstance(s, str) for s in raw_services
            ):
                _invalid({"ServiceNumbers": ["ServiceNumbers must be a list of strings."]})
            known = {s.lower(): s for s in on_ticket}
            missing = [s for s in raw_services if s.lower() not in known]
            if missing:
                _invalid(
                    {
                        "ServiceNumbers": [
                            f"Service number {s} is not on ticket {tid}." for s in missing
                        ]
                    }
                )
            services = [known[s.lower()] for s in raw_services]
        note = self._add_note(tid, "ADN", text, services)
        # The real response shape is undocumented; the sandbox answers the new note in the
        # shape of GET /api/Ticket/{id}/details' ticketNotes, wrapped the same way:
        # {"ticketNotes": [<note>]}. Clients should not depend on more than a 2xx here.
        return _json({"ticketNotes": [note]})

    def _h_note_advanced(self, ctx: _Ctx) -> web.Response:
        tid = ctx.ticket_id()
        self._ticket_or_404(tid)
        body = ctx.json_object()
        items = _ci_get(body, "notes")
        if not isinstance(items, list) or not items:
            _invalid({"Notes": ["At least one note is required."]})
        details = self.state.details[tid]
        by_id = {d["detailID"]: d for d in details}
        by_sn = {str(d["detailValue"]).lower(): d for d in details}
        errors: dict[str, list[str]] = {}
        planned: list[tuple[str, str, dict[str, Any]]] = []
        for index, item in enumerate(items):
            key = f"Notes[{index}]"
            if not isinstance(item, dict):
                errors[key] = ["A note must be an object."]
                continue
            value = _ci_get(item, "noteValue", "noteText")
            if not isinstance(value, str) or not value.strip():
                errors[f"{key}.NoteValue"] = ["The NoteValue field is required."]
            note_type = _ci_get(item, "noteType") or "ADN"
            if not isinstance(note_type, str) or not _valid_note_type(note_type):
                errors[f"{key}.NoteType"] = [f"Note type '{note_type}' is not valid."]
            detail_id = _as_int(_ci_get(item, "detailId"))
            service_number = _ci_get(item, "serviceNumber")
            detail: dict[str, Any] | None = None
            if detail_id is not None:
                detail = by_id.get(detail_id)
                if detail is None:
                    errors[f"{key}.DetailId"] = [f"Detail {detail_id} is not on ticket {tid}."]
            elif isinstance(service_number, str) and service_number.strip():
                detail = by_sn.get(service_number.strip().lower())
                if detail is None:
                    errors[f"{key}.ServiceNumber"] = [
                        f"Service number {service_number} is not on ticket {tid}."
                    ]
            else:
                errors[key] = ["Each note needs a serviceNumber or a detailId."]
            if detail is not None and isinstance(value, str) and isinstance(note_type, str):
                planned.append((note_type.upper(), value, detail))
        if errors:
            _invalid(errors)
        out = []
        for note_type, value, detail in planned:
            note = self._add_note(tid, note_type, value, [detail["detailValue"]])
            out.append(
                {
                    "noteID": note["noteId"],
                    "noteType": note["noteType"],
                    "noteValue": note["noteValue"],
                    "detailID": detail["detailID"],
                    "serviceNumber": detail["detailValue"],
                    "enteredBy": BOT_EMAIL,
                    "enteredDate": note["createdDate"],
                }
            )
        return _json({"ticketNotes": out})

    # ---------------------------------------------------------------- ticket writes

    def _new_ticket(
        self,
        client_id: int,
        category: str,
        assets: list[dict[str, Any]],
        *,
        creation_note: str | None,
        notes: list[tuple[str, str]],
    ) -> int:
        topic = TOPICS[category]
        first = assets[0]
        site_id = int(first["siteId"])
        tid = self.state.next_id("ticket")
        now = _now()
        services = [a["serviceNumber"] for a in assets]
        self.state.details[tid] = [
            {
                "detailID": self.state.next_id("detail"),
                "detailType": "Repair_WTN" if topic["callType"] == "REP" else "WTN",
                "detailStatus": "O",
                "detailValue": sn,
                "assignedToName": "0",
                "currentTaskID": self.state.next_id("task"),
                "currentTaskName": _open_task(topic["callType"]),
                "currentTaskStatus": None,
                "lastUpdatedBy": BOT_USER_ID,
                "lastUpdatedAt": iso_ms(now),
                "subcategoryName": None,
            }
            for sn in services
        ]
        self.state.notes[tid] = []
        self.state.meta[tid] = {
            "callType": topic["callType"],
            "siteId": site_id,
            "productCategory": first["productCategory"],
            "created": now.isoformat(timespec="milliseconds"),
        }
        address = self.state.site_addresses.get(site_id) or {
            "addressID": None,
            **first["address"],
        }
        self.state.tickets[tid] = {
            "clientID": client_id,
            "clientName": CLIENTS[client_id],
            "ticketID": tid,
            "category": category,
            "topic": topic["categoryDescription"],
            "referenceTicketNumber": None,
            "ticketStatus": "New",
            "address": dict(address),
            "createDate": us_date(now),
            "createdBy": BOT_CREATED_BY,
            "creationNote": creation_note,
            "resolveDate": None,
            "mostRecentNote": None,
            "nextScheduledDate": None,
            "flags": "",
            "severity": {"VOO": "2", "VAS": "3"}.get(category, "4"),
            "specialties": "Repair" if topic["callType"] == "REP" else topic["callTypeDescription"],
        }
        for note_type, text in notes:
            self._add_note(tid, note_type, text, services)
        self._dirty = True
        # One Created event for a new ticket, not one NewNoteAdded per creation note.
        self._events = [e for e in self._events if e["ticketId"] != tid]
        self._emit("Created", tid)
        return tid

    def _h_create(self, ctx: _Ctx) -> web.Response:
        body = ctx.json_object()
        errors: dict[str, list[str]] = {}
        client_id = _as_int(_ci_get(body, "clientId"))
        if client_id is None:
            errors["ClientId"] = ["The ClientId field is required."]
        elif client_id not in CLIENTS:
            errors["ClientId"] = [f"No source access under ClientId[{client_id}]."]
        raw_category = _ci_get(body, "category")
        category = _topic_code(raw_category)
        if category is None:
            errors["Category"] = [
                f"Category '{raw_category}' is not a valid topic."
                if raw_category
                else "The Category field is required."
            ]
        assets: list[dict[str, Any]] = []
        services = _ci_get(body, "services")
        if not isinstance(services, list) or not services:
            errors["Services"] = ["At least one service number is required."]
        else:
            seen: set[str] = set()
            for index, service in enumerate(services):
                sn = _ci_get(service, "serviceNumber") if isinstance(service, dict) else None
                if not isinstance(sn, str) or not sn.strip():
                    errors.setdefault("Services", []).append(
                        f"Services[{index}].ServiceNumber is required."
                    )
                    continue
                if sn.strip().lower() in seen:
                    continue
                seen.add(sn.strip().lower())
                asset = self._asset(client_id, sn, active=True) if client_id in CLIENTS else None
                if asset is None:
                    errors.setdefault("Services", []).append(
                        f"No active inventory found by serviceNumber[{sn}] "
                        f"under ClientId[{client_id}]."
                    )
                else:
                    assets.append(asset)
        contacts = _ci_get(body, "contacts")
        if not isinstance(contacts, list):
            contacts = []
        has_site = False
        for index, contact in enumerate(contacts):
            if not isinstance(contact, dict):
                errors.setdefault("Contacts", []).append(f"Contacts[{index}] must be an object.")
                continue
            kind = str(_ci_get(contact, "type") or "").lower()
            has_site = has_site or kind == "site"
            email = _ci_get(contact, "email")
            name = _ci_get(contact, "name")
            phone = _ci_get(contact, "phone")
            if not email and not (name and phone):
                errors.setdefault("Contacts", []).append(
                    f"Contacts[{index}] needs an email or a name and a phone."
                )
        if not has_site:
            errors.setdefault("Contacts", []).insert(0, "A Site contact is required.")
        notes: list[tuple[str, str]] = []
        raw_notes = _ci_get(body, "notes") or []
        if not isinstance(raw_notes, list):
            errors["Notes"] = ["Notes must be a list."]
            raw_notes = []
        for index, note in enumerate(raw_notes):
            note_type = _ci_get(note, "noteType") if isinstance(note, dict) else None
            value = _ci_get(note, "noteValue", "noteText") if isinstance(note, dict) else None
            if not isinstance(note_type, str) or not _valid_note_type(note_type):
                errors.setdefault("Notes", []).append(f"Notes[{index}].NoteType is not valid.")
            elif not isinstance(value, str) or not value.strip():
                errors.setdefault("Notes", []).append(f"Notes[{index}].NoteValue is required.")
            else:
                notes.append((note_type.upper(), value))
        if errors:
            _invalid(errors)
        assert client_id is not None
        assert category is not None
        mtk = next((text for kind, text in notes if kind == "MTK"), None)
        tid = self._new_ticket(client_id, category, assets, creation_note=mtk, notes=notes)
        return _json({"ticketIds": [tid]})

    def _find_ticket(self, service_number: str, statuses: Iterable[str]) -> int | None:
        """Newest ticket in one of ``statuses`` with a detail on ``service_number`` (REP first)."""
        wanted = set(statuses)
        sn = service_number.lower()
        matches = [
            tid
            for tid, ticket in self.state.tickets.items()
            if normalise_status(ticket["ticketStatus"]) in wanted
            and sn in {s.lower() for s in self._ticket_services(tid)}
        ]
        if not matches:
            return None
        return max(
            matches,
            key=lambda t: (self.state.meta[t]["callType"] == "REP", self._created(t), t),
        )

    def _h_repair(self, ctx: _Ctx) -> web.Response:
        body = ctx.json_object()
        errors: dict[str, list[str]] = {}
        client_id = _as_int(_ci_get(body, "clientId"))
        if client_id is None:
            errors["ClientID"] = ["The ClientID field is required."]
        wtns = _ci_get(body, "wtns")
        if not isinstance(wtns, list) or not wtns or not all(isinstance(w, str) for w in wtns):
            errors["WTNs"] = ["At least one WTN is required."]
        description = _ci_get(body, "requestDescription")
        if not isinstance(description, str) or not description.strip():
            errors["RequestDescription"] = ["The RequestDescription field is required."]
        if errors:
            _invalid(errors)
        assert client_id is not None
        assert isinstance(wtns, list)
        assert isinstance(description, str)
        unique: list[str] = []
        for wtn in wtns:
            if wtn.strip() and wtn.strip().lower() not in {u.lower() for u in unique}:
                unique.append(wtn.strip())
        assets = {w: self._asset(client_id, w, active=True) for w in unique}
        unknown = [w for w, a in assets.items() if a is None]
        if not unique or unknown or client_id not in CLIENTS:
            return _json(_no_inventory_body(client_id, ",".join(unknown or unique)))
        found = {w: a for w, a in assets.items() if a is not None}

        results: dict[str, dict[str, Any]] = {}
        to_create: list[str] = []
        for wtn in unique:
            asset = found[wtn]
            item: dict[str, Any] = {
                "ticketId": 0,
                "inventoryId": asset["inventoryID"],
                "wtn": asset["serviceNumber"],
                "errorMessage": None,
                "errorCode": None,
            }
            results[wtn] = item
            if self.repair_unavailable:
                item["errorMessage"] = "Feature temporarily unavailable. Please try again later."
                continue
            open_tid = self._find_ticket(wtn, OPEN_STATUSES)
            if open_tid is not None:
                item.update(
                    ticketId=open_tid,
                    errorCode=409,
                    errorMessage=f"Ticket {open_tid} is already in progress for "
                    f"service number {asset['serviceNumber']}.",
                )
                continue
            resolved_tid = self._find_ticket(wtn, {"resolved"})
            if resolved_tid is not None and self.repair_unresolve:
                self._unresolve(resolved_tid, asset["serviceNumber"], description)
                item.update(
                    ticketId=resolved_tid,
                    errorCode=472,
                    errorMessage=f"Resolved ticket {resolved_tid} was unresolved and is now "
                    "In-Progress.",
                )
            elif resolved_tid is not None:
                item.update(
                    ticketId=resolved_tid,
                    errorCode=471,
                    errorMessage=f"Resolved ticket {resolved_tid} already exists for "
                    f"service number {asset['serviceNumber']}.",
                )
            else:
                to_create.append(wtn)
        if to_create:
            tid = self._new_ticket(
                client_id,
                "VOO",
                [found[w] for w in to_create],
                creation_note=description,
                notes=[("MTK", description)],
            )
            for wtn in to_create:
                results[wtn]["ticketId"] = tid
        return _json({"assets": [results[w] for w in unique]})

    def _unresolve(self, ticket_id: int, service_number: str, description: str) -> None:
        ticket = self.state.tickets[ticket_id]
        ticket["ticketStatus"] = "InProgress"
        ticket["resolveDate"] = None
        now = iso_ms(_now())
        for detail in self.state.details[ticket_id]:
            if detail["detailValue"].lower() == service_number.lower():
                detail.update(
                    detailStatus="O",
                    currentTaskName=_open_task("REP"),
                    lastUpdatedAt=now,
                    lastUpdatedBy=BOT_USER_ID,
                )
        self._add_note(
            ticket_id,
            "ADN",
            f"Ticket unresolved by a new outage request: {description}",
            [service_number],
        )

    def _h_detail_status(self, ctx: _Ctx) -> web.Response:
        tid = ctx.ticket_id()
        ticket = self._ticket_or_404(tid)
        detail_id = _as_int(ctx.request.match_info.get("detail_id", ""))
        detail = next((d for d in self.state.details[tid] if d["detailID"] == detail_id), None)
        if detail is None:
            _not_found(
                f"Detail {ctx.request.match_info.get('detail_id')} not found on ticket {tid}"
            )
        body = ctx.json_object()
        status = _ci_get(body, "status")
        if not isinstance(status, str) or status.strip().upper() not in ("O", "R"):
            _invalid({"Status": ["Status must be 'O' (open) or 'R' (resolved)."]})
        status = status.strip().upper()
        interfaces = _ci_get(body, "interfaces")
        if interfaces is not None and (
            not isinstance(interfaces, list) or not all(isinstance(i, str) for i in interfaces)
        ):
            _invalid({"Interfaces": ["Interfaces must be a list of strings."]})
        if normalise_status(ticket["ticketStatus"]) == "closed":
            _invalid({"TicketId": [f"Ticket {tid} is closed."]}, f"Ticket {tid} is closed.")
        now = _now()
        detail.update(
            detailStatus=status,
            currentTaskName="Customer Confirmation "
            if status == "R"
            else _open_task(self.state.meta[tid]["callType"]),
            lastUpdatedAt=iso_ms(now),
            lastUpdatedBy=BOT_USER_ID,
        )
        if all(d["detailStatus"] in ("R", "C") for d in self.state.details[tid]):
            ticket["ticketStatus"] = "Resolved"
            ticket["resolveDate"] = us_date(now)
        elif status == "O":
            if normalise_status(ticket["ticketStatus"]) == "resolved":
                self._emit("Unresolved", tid)
            ticket["ticketStatus"] = "InProgress"
            ticket["resolveDate"] = None
        self._dirty = True
        return _json(
            {
                "ticketId": tid,
                "detailId": detail["detailID"],
                "detailStatus": status,
                "ticketStatus": ticket["ticketStatus"],
                "interfaces": interfaces or [],
            }
        )

    def _h_close(self, ctx: _Ctx) -> web.Response:
        tid = ctx.ticket_id()
        ticket = self._ticket_or_404(tid)
        body = ctx.json_object()
        note = _ci_get(body, "closeNote")
        if not isinstance(note, str) or not note.strip():
            _invalid({"CloseNote": ["The CloseNote field is required."]})
        if normalise_status(ticket["ticketStatus"]) == "closed":
            _invalid(
                {"TicketId": [f"Ticket {tid} is already closed."]},
                f"Ticket {tid} is already closed.",
            )
        now = _now()
        for detail in self.state.details[tid]:
            detail.update(
                detailStatus="C",
                currentTaskName="Closed ",
                lastUpdatedAt=iso_ms(now),
                lastUpdatedBy=BOT_USER_ID,
            )
        ticket["ticketStatus"] = "Closed"
        if ticket["resolveDate"] is None:
            ticket["resolveDate"] = us_date(now)
        self._add_note(tid, "ADN", note, self._ticket_services(tid))
        self._emit("Closed", tid)
        return _json({"ticketId": tid, "ticketStatus": "Closed"})

    # ---------------------------------------------------------------- inventory and sites

    def _h_inventory(self, ctx: _Ctx) -> web.Response:
        q = ctx.query
        client_id = q.integer("ClientId", required=True)
        statuses = {s.upper() for s in q.getall("Status")}
        services = [s.lower() for s in q.getall("ServiceNumber")]
        site_ids = q.ints("SiteId")
        products = {s.lower() for s in q.getall("ProductCategory")}
        sub_products = {s.lower() for s in q.getall("ProductSubCategory")}
        docs = [
            doc
            for doc in self.state.inventory
            if doc["clientID"] == client_id
            and (not statuses or doc["status"] in statuses)
            and (not services or any(s in doc["serviceNumber"].lower() for s in services))
            and (not site_ids or doc["siteId"] in site_ids)
            and (not products or doc["productCategory"].lower() in products)
            and (not sub_products or doc["productType"].lower() in sub_products)
        ]
        return _json({"documents": docs})

    def _h_attr(self, ctx: _Ctx) -> web.Response:
        q = ctx.query
        inventory_id = q.get("InventoryId")
        doc: dict[str, Any] | None = None
        if inventory_id is not None:
            client_id = q.integer("ClientId")
            doc = next(
                (
                    d
                    for d in self.state.inventory
                    if d["inventoryID"] == inventory_id
                    and (client_id is None or d["clientID"] == client_id)
                ),
                None,
            )
        else:
            client_id = q.integer("ClientId")
            status = q.get("Status")
            service_number = q.get("ServiceNumber")
            if client_id is None or status is None or service_number is None:
                _invalid(
                    {
                        "InventoryId": [
                            "Pass InventoryId, or ClientId, Status and ServiceNumber together."
                        ]
                    }
                )
            doc = next(
                (
                    d
                    for d in self.state.inventory
                    if d["clientID"] == client_id
                    and d["status"] == status.upper()
                    and d["serviceNumber"].lower() == service_number.lower()
                ),
                None,
            )
        if doc is None:
            _not_found()
        return _json(
            {
                "inventoryId": doc["inventoryID"],
                "serviceNumber": doc["serviceNumber"],
                "attributes": self.state.attributes.get(doc["inventoryID"], []),
            }
        )

    def _h_site(self, ctx: _Ctx) -> web.Response:
        q = ctx.query
        client_id = q.integer("ClientId", required=True)
        site_ids = q.ints("SiteId")
        address_ids = q.ints("AddressId")
        address = (q.get("Address") or "").lower()
        name = (q.get("SiteName") or "").lower()
        identifier = (q.get("SiteIdentifier") or "").lower()
        docs = []
        for doc in self.state.sites:
            if doc["clientID"] != client_id:
                continue
            if site_ids and doc["siteID"] not in site_ids:
                continue
            full = self.state.site_addresses.get(doc["siteID"], {})
            if address_ids and full.get("addressID") not in address_ids:
                continue
            if address and address not in _address_text(doc["address"]).lower():
                continue
            names = f"{doc.get('siteLabel') or ''}\n{doc.get('siteName') or ''}".lower()
            if name and name not in names:
                continue
            if identifier and identifier != str(doc.get("siteIdentifier") or "").lower():
                continue
            docs.append(doc)
        return _json({"documents": docs})

    # ---------------------------------------------------------------- control endpoints

    async def _c_expire(self, request: web.Request) -> web.Response:
        count = len(self._tokens)
        self.expire_tokens()
        return _json({"expired": count})

    async def _c_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return _json({"reset": True})

    async def _c_flags(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
        except ValueError:
            return _json({"error": "body must be JSON"}, status=400)
        if not isinstance(data, dict):
            return _json({"error": "body must be a JSON object"}, status=400)
        for name in ("repair_unavailable", "repair_unresolve"):
            if name in data:
                if not isinstance(data[name], bool):
                    return _json({"error": f"{name} must be a boolean"}, status=400)
                setattr(self, name, data[name])
        return _json(
            {
                "repair_unavailable": self.repair_unavailable,
                "repair_unresolve": self.repair_unresolve,
            }
        )

    # ---------------------------------------------------------------- persistence

    def _load_or_seed(self) -> BruinState:
        path = self.state_file
        if path is not None and path.exists():
            try:
                state = BruinState.from_json(json.loads(path.read_text("utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                _log.warning("bruin sandbox: unreadable state file, reseeding")
            else:
                self._file_sig = _signature(path)
                return state
        state = seed_state()
        self.state = state
        self._save()
        return state

    def _save(self) -> None:
        path = self.state_file
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.state.to_json(), handle)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._file_sig = _signature(path)

    def _maybe_reload(self) -> None:
        """Pick up writes another process made to the state file since we last looked."""
        path = self.state_file
        if path is None:
            return
        sig = _signature(path)
        if sig is None or sig == self._file_sig:
            return
        try:
            self.state = BruinState.from_json(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            _log.warning("bruin sandbox: unreadable state file, keeping the state in memory")
            return
        self._file_sig = sig


# --------------------------------------------------------------------------- module helpers


def _now() -> datetime:
    return datetime.now(EASTERN)


def _signature(path: pathlib.Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _unauthorised() -> web.Response:
    # Like IIS/ASP.NET: an empty body, a WWW-Authenticate challenge, no JSON.
    return web.Response(
        status=401,
        text="",
        content_type="text/plain",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"', **_SANDBOX_HEADER},
    )


def _fault_body(route: str, status: int) -> dict[str, Any]:
    if status == 403:
        scope = _SCOPES.get(route, "FunctionPermissionTicketGet")
        return error_body(
            f"Access denied: the credential lacks the {scope} permission.",
            detail=f"Missing FunctionPermission scope: {scope}",
            type_="AuthorizationException",
            code=403,
        )
    messages = {
        400: ("Bad request.", "ValidationError"),
        404: ("Resource not found", "NotFoundException"),
        409: ("Conflict.", "ConflictException"),
        429: ("Too many requests. Please retry later.", "RateLimitExceeded"),
        500: ("An unexpected error occurred.", "InternalServerError"),
        502: ("Bad gateway.", "BadGateway"),
        503: ("The service is temporarily unavailable.", "ServiceUnavailable"),
        504: ("Gateway timeout.", "GatewayTimeout"),
    }
    message, type_ = messages.get(status, (f"Sandbox fault {status}.", "SandboxFault"))
    return error_body(message, type_=type_, code=status)


def _no_inventory_body(client_id: int | None, service_number: str) -> dict[str, Any]:
    """The error that topics/repair answer inside an HTTP 200."""
    return error_body(
        f"No source access under ClientId[{client_id}] or No active inventory found by "
        f"serviceNumber[{service_number}]",
        type_="ValidationException",
        code=400,
    )


def _topic_code(value: Any) -> str | None:
    if not isinstance(value, str) and not isinstance(value, int):
        return None
    text = str(value).strip().upper()
    if text in TOPICS:
        return text
    if text.isdigit() and text.zfill(3) in TOPICS:
        return text.zfill(3)
    return None


def _valid_note_type(value: str) -> bool:
    upper = value.strip().upper()
    return upper in _NOTE_TYPES or bool(_FXS_NOTE.match(upper))


def _open_task(call_type: str) -> str:
    return {"CHG": "Provisioning ", "BIL": "Billing Review "}.get(
        call_type, "Holmdel NOC Investigate "
    )


def _skill(detail: Mapping[str, Any]) -> str:
    value = str(detail.get("detailValue", ""))
    if value.upper().startswith("VC"):
        return "SD-WAN"
    if value.isdigit():
        return "POTS"
    return "Transport"


def _address_text(address: Mapping[str, Any]) -> str:
    parts = [
        address.get("address"),
        address.get("address1"),
        address.get("address2"),
        address.get("city"),
        address.get("state"),
        address.get("zip"),
    ]
    return " ".join(str(p) for p in parts if p)
