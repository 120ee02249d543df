"""Async Bric (GetBric) client: projects, clients, timers, time off and the token lifecycle.

Bric is a project and time-tracking service, not a ticketing system: this client exposes
what the API documents and nothing else. Usable without Slack::

    async with aiohttp.ClientSession() as session:
        bric = BricClient.create(session, config)
        try:
            running = [t for t in await bric.list_clocked_times() if t.running]
        finally:
            await bric.aclose()  # revokes the token the client created, if any

Endpoint reference: https://github.com/GetBric/API/wiki (what the bot relies on:
``docs/BRIC_API.md``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import structlog
from pydantic import BaseModel, SecretStr, ValidationError

from bot.clients.bric.auth import BACKEND, BricTokenAuth, TokenAuthMode
from bot.clients.bric.decode import decode, unwrap
from bot.clients.bric.models import (
    Client,
    ClockedTime,
    Company,
    Project,
    ProjectType,
    TimeBlock,
    Token,
)
from bot.clients.core import CallObserver, ClientCore
from bot.clients.errors import BackendError, BadResponse, NotFound
from bot.clients.retry import RetryPolicy
from bot.clients.transport import AiohttpTransport, InFlightLimiter, Transport

__all__ = ["BricClient", "BricConfig"]

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)

_HEADERS = {"Accept": "application/json"}


@dataclass(frozen=True)
class BricConfig:
    """Where Bric is and how the service account signs in (see :class:`BricTokenAuth`)."""

    api_url: str
    email: str | None
    token_secret: SecretStr | None = None
    password: SecretStr | None = None
    company: str | None = None
    token_auth: TokenAuthMode = "email"  # noqa: S105 - a mode, not a secret
    timeout: float = 10.0
    max_in_flight: int = 32
    queue_limit: int = 256
    queue_timeout: float = 5.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class BricClient:
    """Typed async access to the Bric REST API under one service account."""

    def __init__(self, core: ClientCore, *, auth: BricTokenAuth, company: str | None) -> None:
        self._core = core
        self.auth = auth
        self.company = company

    def __repr__(self) -> str:
        return f"BricClient(api={self._core.base_url!r}, company={self.company!r})"

    @classmethod
    def create(
        cls,
        session: aiohttp.ClientSession,
        config: BricConfig,
        *,
        observe: CallObserver | None = None,
        on_token_create: Callable[[], None] | None = None,
        on_secret: Callable[[str], None] | None = None,
    ) -> BricClient:
        """Wire a client on a caller-owned session (the caller closes it, after :meth:`aclose`)."""
        limiter = InFlightLimiter(config.max_in_flight, config.queue_limit, config.queue_timeout)
        transport: Transport = AiohttpTransport(session, backend=BACKEND, limiter=limiter)
        auth = BricTokenAuth(
            transport=AiohttpTransport(session, backend=BACKEND),
            api_url=config.api_url,
            email=config.email,
            token_secret=config.token_secret,
            password=config.password,
            company=config.company,
            mode=config.token_auth,
            timeout=config.timeout,
            on_create=on_token_create,
            on_secret=on_secret,
        )
        core = ClientCore(
            backend=BACKEND,
            base_url=config.api_url,
            transport=transport,
            auth=auth,
            decode=decode,
            timeout=config.timeout,
            retry=config.retry,
            default_headers=_HEADERS,
            observe=observe,
        )
        return cls(core, auth=auth, company=config.company)

    # -- reads ---------------------------------------------------------------------------

    async def get_company(self, *, company: str | None = None) -> Company:
        """``GET /companies/{company}``: the company by subdomain (default: the configured one)."""
        name = company or self.company
        if not name:
            raise ValueError("pass company= (the subdomain) or configure BRIC_COMPANY")
        path = f"/companies/{name}"
        data = await self._get(path, "reading the Bric company", not_found=f"company {name!r}")
        return self._one(data, "companies", Company, "GET", path)

    async def list_clients(self) -> list[Client]:
        """``GET /clients``: every client with its projects."""
        data = await self._get("/clients", "listing Bric clients")
        return self._many(data, "clients", Client, "GET", "/clients")

    async def list_projects(
        self, *, client_id: int | None = None, project_type_id: int | None = None
    ) -> list[Project]:
        """``GET /projects``, optionally for one client and/or one project type."""
        params = {"client_id": client_id, "project_type_id": project_type_id}
        data = await self._get("/projects", "listing Bric projects", params=params)
        return self._many(data, "projects", Project, "GET", "/projects")

    async def list_project_types(self) -> list[ProjectType]:
        """``GET /project_types``."""
        data = await self._get("/project_types", "listing Bric project types")
        return self._many(data, "project_types", ProjectType, "GET", "/project_types")

    async def list_clocked_times(
        self,
        *,
        person_id: int | None = None,
        project_id: int | None = None,
        person_role_id: int | None = None,
    ) -> list[ClockedTime]:
        """``GET /clocked_times``: timers, running (``running?``) or stopped."""
        params = {
            "person_id": person_id,
            "project_id": project_id,
            "person_role_id": person_role_id,
        }
        data = await self._get("/clocked_times", "listing Bric timers", params=params)
        return self._many(data, "clocked_times", ClockedTime, "GET", "/clocked_times")

    async def list_time_blocks(self) -> list[TimeBlock]:
        """``GET /time_blocks``: holidays and time off (``person`` null = company-wide)."""
        data = await self._get("/time_blocks", "listing Bric time off")
        return self._many(data, "time_blocks", TimeBlock, "GET", "/time_blocks")

    # -- writes (never retried blindly: only a 429 refusal is retried) ---------------------

    async def create_time_block(
        self, *, start_date: dt.date, end_date: dt.date | None = None, event_name: str
    ) -> TimeBlock:
        """``POST /time_blocks``: a company-wide block (holiday, office closure)."""
        # The wiki lists the create fields flat (start_date, event_name, end_date); flat
        # JSON is also what a Rails controller's wrap_parameters turns into its params.
        body: dict[str, Any] = {"start_date": start_date.isoformat(), "event_name": event_name}
        if end_date is not None:
            body["end_date"] = end_date.isoformat()
        data = await self._core.request(
            "POST", "/time_blocks", json=body, operation="adding Bric time off", idempotent=False
        )
        self.auth.confirm()
        return self._one(data, "time_blocks", TimeBlock, "POST", "/time_blocks")

    # -- tokens ---------------------------------------------------------------------------

    async def create_token(self) -> Token:
        """``POST /tokens``: a new token for the operator (never revoked by this client)."""
        return await self.auth.create_token()

    async def check(self) -> None:
        """Authenticate once (creating the bot's token now, at start-up, when it needs one)."""
        await self.list_tokens()

    async def list_tokens(self) -> list[Token]:
        """``GET /tokens``: the service account's tokens."""
        data = await self._get("/tokens", "listing Bric tokens")
        return self._many(data, "tokens", Token, "GET", "/tokens")

    async def revoke_token(self, *, token_id: int) -> Token | None:
        """``DELETE /tokens/{id}``; returns the destroyed token when Bric echoes it."""
        path = f"/tokens/{token_id}"
        try:
            data = await self._core.request(
                "DELETE", path, operation="revoking a Bric token", idempotent=False
            )
        except NotFound as exc:
            exc.message = f"Bric token {token_id} was not found"
            raise
        self.auth.confirm()
        item = unwrap(data, "tokens")
        return self._one(data, "tokens", Token, "DELETE", path) if item else None

    async def aclose(self) -> None:
        """Revoke the token this client created (a configured secret is never revoked)."""
        token_id = self.auth.owned_token_id
        try:
            revoked = await self.auth.revoke_own()
        except BackendError as exc:
            log.warning("bric_token_revoke_failed", error=repr(exc), token_id=token_id)
            return
        if revoked:
            log.info("bric_token_revoked", token_id=token_id)

    # -- helpers --------------------------------------------------------------------------

    async def _get(
        self,
        path: str,
        operation: str,
        *,
        params: dict[str, Any] | None = None,
        not_found: str | None = None,
    ) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None} or None
        try:
            data = await self._core.request("GET", path, params=query, operation=operation)
        except NotFound as exc:
            exc.message = (
                f"Bric has no {not_found}"
                if not_found
                else f"Bric does not know {path} (an admin should check BRIC_API_URL)"
            )
            raise
        self.auth.confirm()
        return data

    # The parse helpers name the request whose answer they read (method and path): an
    # unreadable answer to a POST must not be reported as a GET.

    def _validate(self, item: Any, model: type[M], method: str, path: str) -> M:
        try:
            return model.model_validate(item)
        except ValidationError as exc:
            problems = f"unexpected shape ({exc.error_count()} problems)"
            raise self._bad(problems, method, path) from None

    def _many(self, data: Any, key: str, model: type[M], method: str, path: str) -> list[M]:
        items = unwrap(data, key)
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            raise self._bad(f"expected a {key!r} list", method, path)
        return [self._validate(item, model, method, path) for item in items]

    def _one(self, data: Any, key: str, model: type[M], method: str, path: str) -> M:
        item = unwrap(data, key)
        if isinstance(item, list) and len(item) == 1:
            item = item[0]
        if not isinstance(item, dict):
            raise self._bad(f"expected a {key!r} object", method, path)
        return self._validate(item, model, method, path)

    def _bad(self, message: str, method: str, path: str) -> BadResponse:
        return BadResponse(message, backend=BACKEND, method=method, path=path)
