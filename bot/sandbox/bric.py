"""A faithful fake of the Bric (GetBric) API as routes on an ``aiohttp.web`` application.

Shapes follow ``docs/BRIC_API.md`` and are built here as plain dicts, never
from the client's models: the plural root key for one object and for lists
(``{"tokens": {...}}``, ``{"projects": [...]}``), ``id`` and ``link`` (the absolute URL of
the object, from the request's host and the mount prefix) on every object,
``created_at``/``updated_at`` with milliseconds and offset, dates ``YYYY-MM-DD``, money as
decimal strings, compact ``{id, link, name}`` relations and persons
``{id, link, first_name, last_name, email}``.

Auth is Rails-like: ``POST /tokens`` takes Basic ``email:password`` plus the
``Company: <subdomain>`` header; every other route takes a live token secret as Basic
``base64(email:secret)`` or ``base64(secret:)``. Anything else is a 401 with
``WWW-Authenticate: Basic realm="Application"`` and a plain-text body.

Routes under the prefix (``/bric/v1`` by default; route names in brackets, used by
:class:`~bot.sandbox.faults.FaultBoard`)::

    POST   /tokens                      [tokens.create]
    GET    /tokens                      [tokens.list]
    DELETE /tokens/{id}                 [tokens.revoke]
    GET    /companies/{company}         [companies]
    GET    /clients, /clients/{id}      [clients]
    GET    /projects, /projects/{id}    [projects]        client_id, project_type_id
    GET    /project_types(/{id})        [project_types]
    GET    /clocked_times               [clocked_times]   person_id, project_id, person_role_id
    GET    /project_times/{id}          [clocked_times]   (the ``link`` of a clocked time)
    GET    /time_blocks(/{id})          [time_blocks.list]
    POST   /time_blocks                 [time_blocks.create]

Control endpoints (no auth, not recorded), under ``/_sandbox/bric`` by default::

    POST   /faults  {"route": "...", <Fault fields>}   GET /faults   DELETE /faults[?route=]
    GET    /calls
    POST   /tokens/expire   every token is revoked (its secret then gets 401)
    POST   /reset           reseed, clear faults and calls
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import os
import pathlib
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NoReturn

from aiohttp import web

from .bric_seed import (
    BRIC_COMPANY,
    BRIC_EMAIL,
    BRIC_PASSWORD,
    BRIC_PERSON_ID,
    BRIC_TOKEN_ID,
    BRIC_TOKEN_SECRET,
    BricState,
    iso_ms,
    seed_state,
)
from .bruin import CallRecord
from .control import FaultControl
from .faults import BRIC_ROUTES, Fault, FaultBoard

__all__ = [
    "BRIC_COMPANY",
    "BRIC_EMAIL",
    "BRIC_PASSWORD",
    "BRIC_TOKEN_ID",
    "BRIC_TOKEN_SECRET",
    "BricSandbox",
]

_log = logging.getLogger(__name__)

_HANG_SECONDS = 120.0
_SANDBOX_HEADER = {"x-sandbox": "bric"}
_DENIED = "HTTP Basic: Access denied.\n"
_MAX_DAY_CONFIG = 62


class _Answer(Exception):
    """Raised inside a handler to answer with ``response`` instead."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers={**_SANDBOX_HEADER, **(headers or {})})


def _text(text: str, *, status: int, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        text=text,
        content_type="text/plain",
        headers={**_SANDBOX_HEADER, **(headers or {})},
    )


def _denied() -> web.Response:
    return _text(_DENIED, status=401, headers={"WWW-Authenticate": 'Basic realm="Application"'})


def _invalid(errors: dict[str, list[str]]) -> NoReturn:
    raise _Answer(_json({"errors": errors}, status=422))


def _not_found(model: str, ident: Any) -> NoReturn:
    raise _Answer(_json({"error": f"Couldn't find {model} with 'id'={ident}"}, status=404))


@dataclass
class _Ctx:
    route: str
    request: web.Request
    body: Any
    body_invalid: bool
    record: CallRecord
    base: str
    """Absolute URL of the API root for this request (for ``link``s)."""
    token: dict[str, Any] | None = None

    def int_param(self, name: str) -> int | None:
        raw = self.request.query.get(name, "").strip()
        if not raw:
            return None
        if not raw.isdigit():
            _invalid({name: ["is not a number"]})
        return int(raw)

    def path_id(self, model: str) -> int:
        raw = self.request.match_info.get("id", "")
        if not raw.isdigit():
            _not_found(model, raw)
        return int(raw)


_Handler = Callable[[_Ctx], web.Response]


class BricSandbox(FaultControl):
    """In-memory Bric: state, tokens, fault switches and a call log; mount with add_routes."""

    def __init__(self, *, state_file: pathlib.Path | None = None) -> None:
        self.state_file = state_file
        self.faults = FaultBoard(BRIC_ROUTES, credential_routes=("tokens.create",))
        self.calls: list[CallRecord] = []
        self.prefix = "/bric/v1"
        self._hanging: set[asyncio.Future[None]] = set()
        self.state: BricState = self._load_or_seed()

    # ---------------------------------------------------------------- test helpers

    @property
    def live_tokens(self) -> int:
        return len(self.state.tokens)

    def token_ids(self) -> list[int]:
        return sorted(self.state.tokens)

    def issue_token(self, person_id: int = BRIC_PERSON_ID) -> tuple[int, str]:
        """Create a token directly (no HTTP call): ``(id, secret)``."""
        token = self._new_token(person_id)
        return token["id"], token["secret"]

    def revoke_tokens(self) -> None:
        """Every token is revoked (its secret then gets 401)."""
        self.state.tokens.clear()

    def time_block(self, block_id: int) -> dict[str, Any]:
        """The stored record of a time block (KeyError if unknown)."""
        return self.state.time_blocks[block_id]

    def reset(self) -> None:
        """Reseed the state, clear faults and calls."""
        self.state = seed_state()
        self.faults.clear()
        self.calls.clear()
        self.release_timeouts()
        self._save()

    def release_timeouts(self) -> None:
        """Let every request hanging on a ``timeout`` fault finish (with a 504)."""
        for fut in list(self._hanging):
            if not fut.done():
                with contextlib.suppress(RuntimeError):
                    fut.set_result(None)
        self._hanging.clear()

    # ---------------------------------------------------------------- wiring

    def make_app(self, *, prefix: str = "/bric/v1") -> web.Application:
        app = web.Application()
        self.add_routes(app, prefix=prefix)
        return app

    def add_routes(
        self,
        app: web.Application,
        *,
        prefix: str = "/bric/v1",
        control_prefix: str = "/_sandbox/bric",
    ) -> None:
        """Mount the API under ``prefix`` and the control endpoints under ``control_prefix``."""
        self.prefix = prefix.rstrip("/")
        p = self.prefix
        ep = self._endpoint
        r = app.router
        r.add_post(f"{p}/tokens", ep("tokens.create", self._h_token_create, auth=False))
        r.add_get(f"{p}/tokens", ep("tokens.list", self._h_tokens))
        r.add_delete(f"{p}/tokens/{{id}}", ep("tokens.revoke", self._h_token_revoke))
        r.add_get(f"{p}/companies/{{company}}", ep("companies", self._h_company))
        r.add_get(f"{p}/clients", ep("clients", self._h_clients))
        r.add_get(f"{p}/clients/{{id}}", ep("clients", self._h_client))
        r.add_get(f"{p}/projects", ep("projects", self._h_projects))
        r.add_get(f"{p}/projects/{{id}}", ep("projects", self._h_project))
        r.add_get(f"{p}/project_types", ep("project_types", self._h_project_types))
        r.add_get(f"{p}/project_types/{{id}}", ep("project_types", self._h_project_type))
        r.add_get(f"{p}/clocked_times", ep("clocked_times", self._h_clocked))
        r.add_get(f"{p}/project_times/{{id}}", ep("clocked_times", self._h_project_time))
        r.add_get(f"{p}/time_blocks", ep("time_blocks.list", self._h_blocks))
        r.add_get(f"{p}/time_blocks/{{id}}", ep("time_blocks.list", self._h_block))
        r.add_post(f"{p}/time_blocks", ep("time_blocks.create", self._h_block_create))

        c = control_prefix.rstrip("/")
        self.add_fault_routes(app, c)
        r.add_post(f"{c}/tokens/expire", self._c_expire)
        r.add_post(f"{c}/reset", self._c_reset)
        app.on_shutdown.append(self._on_shutdown)

    async def _context(self, route: str, request: web.Request) -> _Ctx:
        raw = await request.read()
        body: Any = None
        invalid = False
        if raw.strip():
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
        base = f"{request.scheme}://{request.host}{self.prefix}"
        return _Ctx(route, request, body, invalid, record, base)

    async def _serve(self, ctx: _Ctx, handler: _Handler, *, auth: bool) -> web.StreamResponse:
        fault = self.faults.take(ctx.route)
        if fault is not None:
            faulted = await self._apply_fault(fault)
            if faulted is not None:
                return faulted
        if auth:
            ctx.token = self._token_for(ctx.request)
            if ctx.token is None:
                return _denied()
        try:
            return handler(ctx)
        except _Answer as exc:
            return exc.response
        except Exception:
            _log.exception("bric sandbox handler %s failed", ctx.route)
            return _text("Internal Server Error\n", status=500)

    # ---------------------------------------------------------------- faults

    async def _apply_fault(self, fault: Fault) -> web.StreamResponse | None:
        if fault.latency > 0:
            await asyncio.sleep(fault.latency)
        if fault.timeout:
            await self._hang()
            return _text("Gateway Timeout\n", status=504)
        status = fault.effective_status
        if status is not None:
            headers: dict[str, str] = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            if status == 401:
                return _denied()
            if status == 404:
                return _json({"error": "Not found"}, status=404, headers=headers)
            if status == 403:
                return _json(
                    {"error": "You are not authorized to perform this action."},
                    status=403,
                    headers=headers,
                )
            if status == 422:
                return _json({"errors": {"base": ["is invalid"]}}, status=422, headers=headers)
            if status == 429:
                return _text("Retry later\n", status=429, headers=headers)
            return _text(f"Sandbox fault {status}\n", status=status, headers=headers)
        if fault.malformed:
            return web.Response(
                status=200,
                text='{"projects": [{"id": 731000201, "name": "Website re',
                content_type="application/json",
                headers=_SANDBOX_HEADER,
            )
        return None  # error_in_200 is a Bruin habit; Bric answers normally

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

    @staticmethod
    def _basic(request: web.Request) -> tuple[str, str] | None:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic" or not encoded.strip():
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return (user, password) if sep else None

    def _token_for(self, request: web.Request) -> dict[str, Any] | None:
        """The live token named by the request's Basic credentials (either form)."""
        creds = self._basic(request)
        if creds is None:
            return None
        user, password = creds
        by_secret = {t["secret"]: t for t in self.state.tokens.values()}
        if not password:  # base64(secret:)
            return by_secret.get(user)
        token = by_secret.get(password)  # base64(email:secret)
        if token is None:
            return None
        email = str(self.state.people[token["person_id"]]["email"]).lower()
        return token if user.lower() == email else None

    def _new_token(self, person_id: int) -> dict[str, Any]:
        token_id = self.state.new_id()
        stamp = iso_ms(datetime.now(UTC))
        token = {
            "id": token_id,
            "secret": secrets.token_hex(20),
            "person_id": person_id,
            "created_at": stamp,
            "updated_at": stamp,
        }
        self.state.tokens[token_id] = token
        return token

    def _h_token_create(self, ctx: _Ctx) -> web.Response:
        creds = self._basic(ctx.request)
        company = ctx.request.headers.get("Company", "").strip().lower()
        if creds is None or company != str(self.state.company["web_subdomain"]).lower():
            return _denied()
        email, password = creds
        person = next(
            (
                p
                for p in self.state.people.values()
                if str(p["email"]).lower() == email.lower() and p.get("password")
            ),
            None,
        )
        if person is None or not secrets.compare_digest(str(person["password"]), password):
            return _denied()
        token = self._new_token(person["id"])
        return _json({"tokens": self._token(ctx, token)}, status=201)

    def _h_tokens(self, ctx: _Ctx) -> web.Response:
        assert ctx.token is not None
        mine = [t for t in self.state.tokens.values() if t["person_id"] == ctx.token["person_id"]]
        return _json({"tokens": [self._token(ctx, t) for t in mine]})

    def _h_token_revoke(self, ctx: _Ctx) -> web.Response:
        assert ctx.token is not None
        token_id = ctx.path_id("Token")
        token = self.state.tokens.get(token_id)
        if token is None or token["person_id"] != ctx.token["person_id"]:
            _not_found("Token", token_id)
        del self.state.tokens[token_id]
        return _json({"tokens": self._token(ctx, token)})

    # ---------------------------------------------------------------- shapes

    def _link(self, ctx: _Ctx, kind: str, ident: Any) -> str:
        return f"{ctx.base}/{kind}/{ident}"

    def _ref(self, ctx: _Ctx, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": record["id"],
            "link": self._link(ctx, kind, record["id"]),
            "name": record["name"],
        }

    def _person(self, ctx: _Ctx, person_id: int | None) -> dict[str, Any] | None:
        if person_id is None:
            return None
        p = self.state.people[person_id]
        return {
            "id": p["id"],
            "link": self._link(ctx, "people", p["id"]),
            "first_name": p["first_name"],
            "last_name": p["last_name"],
            "email": p["email"],
        }

    def _type_ref(self, ctx: _Ctx, type_id: int) -> dict[str, Any]:
        t = self.state.project_types[type_id]
        return self._ref(ctx, "project_types", t) | {"billable": t["billable"]}

    def _token(self, ctx: _Ctx, t: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": t["id"],
            "link": self._link(ctx, "tokens", t["id"]),
            "secret": t["secret"],
            "user": {"email": self.state.people[t["person_id"]]["email"]},
            "created_at": t["created_at"],
            "updated_at": t["updated_at"],
        }

    def _project_time(self, ctx: _Ctx, t: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": t["id"],
            "link": self._link(ctx, "project_times", t["id"]),
            "person_id": t["person_id"],
            "person_role_id": t["person_role_id"],
            "minutes": t["minutes"],
            "day": t["day"],
        }

    def _project(self, ctx: _Ctx, p: dict[str, Any]) -> dict[str, Any]:
        client = self.state.clients.get(p["client_id"]) if p["client_id"] else None
        times = [t for t in self.state.project_times.values() if t["project_id"] == p["id"]]
        return {
            "id": p["id"],
            "link": self._link(ctx, "projects", p["id"]),
            "name": p["name"],
            "code": p["code"],
            "description": p["description"],
            "client": self._ref(ctx, "clients", client) if client else None,
            "project_type": self._type_ref(ctx, p["project_type_id"]),
            "plans": [dict(plan) for plan in p["plans"]],
            "project_times": [self._project_time(ctx, t) for t in times],
            "created_at": p["created_at"],
            "updated_at": p["updated_at"],
        }

    def _client(self, ctx: _Ctx, c: dict[str, Any]) -> dict[str, Any]:
        projects = [p for p in self.state.projects.values() if p["client_id"] == c["id"]]
        return {
            "id": c["id"],
            "link": self._link(ctx, "clients", c["id"]),
            "name": c["name"],
            "address": c["address"],
            "city": c["city"],
            "state": c["state"],
            "zip": c["zip"],
            "country": c["country"],
            "phone": c["phone"],
            "projects": [
                {
                    "id": p["id"],
                    "link": self._link(ctx, "projects", p["id"]),
                    "name": p["name"],
                    "code": p["code"],
                    "description": p["description"],
                    "color": p["color"],
                    "project_type": self._type_ref(ctx, p["project_type_id"]),
                }
                for p in projects
            ],
            "created_at": c["created_at"],
            "updated_at": c["updated_at"],
        }

    def _project_type(self, ctx: _Ctx, t: dict[str, Any]) -> dict[str, Any]:
        projects = [p for p in self.state.projects.values() if p["project_type_id"] == t["id"]]
        return {
            "id": t["id"],
            "link": self._link(ctx, "project_types", t["id"]),
            "name": t["name"],
            "billable": t["billable"],
            "projects": [self._ref(ctx, "projects", p) for p in projects],
            "created_at": t["created_at"],
            "updated_at": t["updated_at"],
        }

    def _clocked(self, ctx: _Ctx, c: dict[str, Any], now: datetime) -> dict[str, Any]:
        spans = []
        total = 0
        for span in c["spans"]:
            start = datetime.fromisoformat(span["start_time"])
            end = datetime.fromisoformat(span["end_time"]) if span["end_time"] else None
            minutes = max(int(((end or now) - start).total_seconds() // 60), 0)
            total += minutes
            spans.append(
                {
                    "start_time": span["start_time"],
                    "end_time": span["end_time"],
                    "minutes": minutes,
                    "running?": end is None,
                }
            )
        project = self.state.projects[c["project_id"]]
        role = self.state.roles[c["person_role_id"]]
        return {
            "id": c["id"],
            "link": self._link(ctx, "project_times", c["id"]),
            "person": self._person(ctx, c["person_id"]),
            "project": self._ref(ctx, "projects", project),
            "person_role": self._ref(ctx, "person_roles", role),
            "day": c["day"],
            "minutes": total,
            "running?": any(s["running?"] for s in spans),
            "stopwatch_times": spans,
            "created_at": c["created_at"],
            "updated_at": c["updated_at"],
        }

    def _block(self, ctx: _Ctx, b: dict[str, Any]) -> dict[str, Any]:
        start = date.fromisoformat(b["start_date"])
        end = date.fromisoformat(b["end_date"]) if b["end_date"] else start
        days = [
            start + timedelta(days=i) for i in range(min((end - start).days + 1, _MAX_DAY_CONFIG))
        ]
        return {
            "id": b["id"],
            "link": self._link(ctx, "time_blocks", b["id"]),
            "person": self._person(ctx, b["person_id"]),
            "data": {
                "event_name": b["event_name"],
                "start_date": b["start_date"],
                "end_date": b["end_date"],
                "day_config": [
                    {"date": d.isoformat(), "all_day": True, "hours": "8.0"} for d in days
                ],
            },
            "start_date": b["start_date"],
            "end_date": b["end_date"],
            "created_at": b["created_at"],
            "updated_at": b["updated_at"],
        }

    def _company(self, ctx: _Ctx) -> dict[str, Any]:
        c = self.state.company
        s = self.state
        return {
            "id": c["id"],
            "link": self._link(ctx, "companies", c["web_subdomain"]),
            "name": c["name"],
            "web_subdomain": c["web_subdomain"],
            "timezone": c["timezone"],
            "address": c["address"],
            "city": c["city"],
            "state": c["state"],
            "zip": c["zip"],
            "country": c["country"],
            "billable_hours": c["billable_hours"],
            "billing_rate": c["billing_rate"],
            "work_days": list(c["work_days"]),
            "week_start_day": c["week_start_day"],
            "clients": [self._ref(ctx, "clients", x) for x in s.clients.values()],
            "people": [self._person(ctx, pid) for pid in s.people],
            "person_roles": [self._ref(ctx, "person_roles", r) for r in s.roles.values()],
            "projects": [self._ref(ctx, "projects", p) for p in s.projects.values()],
            "created_at": c["created_at"],
            "updated_at": c["updated_at"],
        }

    # ---------------------------------------------------------------- resources

    def _h_company(self, ctx: _Ctx) -> web.Response:
        wanted = ctx.request.match_info.get("company", "").lower()
        c = self.state.company
        if wanted not in {str(c["web_subdomain"]).lower(), str(c["id"])}:
            _not_found("Company", wanted)
        return _json({"companies": self._company(ctx)})

    def _h_clients(self, ctx: _Ctx) -> web.Response:
        return _json({"clients": [self._client(ctx, c) for c in self.state.clients.values()]})

    def _h_client(self, ctx: _Ctx) -> web.Response:
        ident = ctx.path_id("Client")
        client = self.state.clients.get(ident) or _not_found("Client", ident)
        return _json({"clients": self._client(ctx, client)})

    def _h_projects(self, ctx: _Ctx) -> web.Response:
        client_id = ctx.int_param("client_id")
        type_id = ctx.int_param("project_type_id")
        found = [
            p
            for p in self.state.projects.values()
            if (client_id is None or p["client_id"] == client_id)
            and (type_id is None or p["project_type_id"] == type_id)
        ]
        return _json({"projects": [self._project(ctx, p) for p in found]})

    def _h_project(self, ctx: _Ctx) -> web.Response:
        ident = ctx.path_id("Project")
        project = self.state.projects.get(ident) or _not_found("Project", ident)
        return _json({"projects": self._project(ctx, project)})

    def _h_project_types(self, ctx: _Ctx) -> web.Response:
        types = self.state.project_types.values()
        return _json({"project_types": [self._project_type(ctx, t) for t in types]})

    def _h_project_type(self, ctx: _Ctx) -> web.Response:
        ident = ctx.path_id("ProjectType")
        found = self.state.project_types.get(ident) or _not_found("ProjectType", ident)
        return _json({"project_types": self._project_type(ctx, found)})

    def _h_clocked(self, ctx: _Ctx) -> web.Response:
        filters = {
            "person_id": ctx.int_param("person_id"),
            "project_id": ctx.int_param("project_id"),
            "person_role_id": ctx.int_param("person_role_id"),
        }
        now = datetime.now(UTC)
        found = [
            c
            for c in self.state.clocked.values()
            if all(v is None or c[k] == v for k, v in filters.items())
        ]
        return _json({"clocked_times": [self._clocked(ctx, c, now) for c in found]})

    def _h_project_time(self, ctx: _Ctx) -> web.Response:
        ident = ctx.path_id("ProjectTime")
        clocked = self.state.clocked.get(ident)
        if clocked is not None:
            return _json({"project_times": self._clocked(ctx, clocked, datetime.now(UTC))})
        logged = self.state.project_times.get(ident) or _not_found("ProjectTime", ident)
        return _json({"project_times": self._project_time(ctx, logged)})

    def _h_blocks(self, ctx: _Ctx) -> web.Response:
        blocks = sorted(self.state.time_blocks.values(), key=lambda b: (b["start_date"], b["id"]))
        return _json({"time_blocks": [self._block(ctx, b) for b in blocks]})

    def _h_block(self, ctx: _Ctx) -> web.Response:
        ident = ctx.path_id("TimeBlock")
        block = self.state.time_blocks.get(ident) or _not_found("TimeBlock", ident)
        return _json({"time_blocks": self._block(ctx, block)})

    def _h_block_create(self, ctx: _Ctx) -> web.Response:
        if ctx.body_invalid or not isinstance(ctx.body, dict):
            _invalid({"base": ["the request body must be a JSON object"]})
        fields: Any = ctx.body
        for wrapper in ("time_blocks", "time_block"):  # flat is documented; accept Rails roots
            if isinstance(fields.get(wrapper), dict):
                fields = fields[wrapper]
                break
        errors: dict[str, list[str]] = {}
        name = fields.get("event_name")
        if not isinstance(name, str) or not name.strip():
            errors["event_name"] = ["can't be blank"]
        elif len(name) > 255:
            errors["event_name"] = ["is too long (maximum is 255 characters)"]
        start = _date_field(fields, "start_date", errors, required=True)
        end = _date_field(fields, "end_date", errors, required=False)
        if start and end and end < start:
            errors["end_date"] = ["must be on or after the start date"]
        person_id = fields.get("person_id")
        if person_id is not None and (
            not isinstance(person_id, int) or person_id not in self.state.people
        ):
            errors["person_id"] = ["does not exist"]
        if errors:
            _invalid(errors)
        assert start is not None
        assert isinstance(name, str)
        stamp = iso_ms(datetime.now(UTC))
        block_id = self.state.new_id()
        record = {
            "id": block_id,
            "person_id": person_id,
            "event_name": name.strip(),
            "start_date": start.isoformat(),
            "end_date": end.isoformat() if end else None,
            "created_at": stamp,
            "updated_at": stamp,
        }
        self.state.time_blocks[block_id] = record
        self.state.added_blocks.append(block_id)
        self._save()
        return _json({"time_blocks": self._block(ctx, record)}, status=201)

    # ---------------------------------------------------------------- control endpoints

    async def _c_expire(self, request: web.Request) -> web.Response:
        count = len(self.state.tokens)
        self.revoke_tokens()
        return _json({"expired": count})

    async def _c_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return _json({"reset": True})

    # ---------------------------------------------------------------- persistence

    def _load_or_seed(self) -> BricState:
        """A fresh seed; with a state file, plus the time off added in earlier runs."""
        state = seed_state()
        path = self.state_file
        if path is None or not path.exists():
            return state
        try:
            saved = json.loads(path.read_text("utf-8"))
            for record in saved["time_blocks"]:
                block_id = int(record["id"])
                state.time_blocks[block_id] = dict(record)
                state.added_blocks.append(block_id)
            state.next_id = max(state.next_id, int(saved["next_id"]))
        except (OSError, ValueError, KeyError, TypeError):
            _log.warning("bric sandbox: unreadable state file, reseeding")
            return seed_state()
        return state

    def _save(self) -> None:
        path = self.state_file
        if path is None:
            return
        added = [self.state.time_blocks[i] for i in self.state.added_blocks]
        data = {"time_blocks": added, "next_id": self.state.next_id}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _date_field(
    fields: dict[str, Any], name: str, errors: dict[str, list[str]], *, required: bool
) -> date | None:
    raw = fields.get(name)
    if raw is None or raw == "":
        if required:
            errors[name] = ["can't be blank"]
        return None
    try:
        if not isinstance(raw, str) or len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["is not a valid date"]
        return None
