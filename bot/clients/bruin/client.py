"""Async MetTel Bruin client: tickets, notes, topics, inventory and sites.

Usable without Slack::

    async with aiohttp.ClientSession() as session:
        bruin = BruinClient.create(session, config)
        tickets = await bruin.list_tickets(statuses=OPEN)

Endpoint reference: https://api.bruin.com/index.html (Swagger UI).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import aiohttp
from pydantic import BaseModel, SecretStr, ValidationError

from bot.clients.auth import OAuthClientCredentials
from bot.clients.bruin.decode import decipher
from bot.clients.bruin.models import (
    OPEN_STATUSES,
    Contact,
    CreatedTicket,
    InventoryAttributes,
    InventoryItem,
    NewNote,
    OutageResult,
    Site,
    Ticket,
    TicketDetails,
    TicketNote,
    TicketPage,
    TicketStatus,
    Topic,
)
from bot.clients.core import CallObserver, ClientCore
from bot.clients.errors import BadResponse, NotFound
from bot.clients.retry import RetryPolicy
from bot.clients.transport import AiohttpTransport, InFlightLimiter, Transport
from bot.core.aio import gather_or_cancel

__all__ = ["OPEN", "RESOLVED", "BruinClient", "BruinConfig"]

M = TypeVar("M", bound=BaseModel)

OPEN: tuple[TicketStatus, ...] = tuple(s for s in TicketStatus if s in OPEN_STATUSES)
RESOLVED: tuple[TicketStatus, ...] = (TicketStatus.RESOLVED,)

_HEADERS = {
    "Accept": "application/json",
    "Cache-Control": "no-cache, no-store, no-transform, max-age=0, only-if-cached",
}


@dataclass(frozen=True)
class BruinConfig:
    api_url: str
    identity_url: str
    client_id: str
    client_secret: SecretStr
    customer_id: int
    token_auth: Literal["form", "basic"] = "form"  # noqa: S105 - a mode, not a secret
    timeout: float = 10.0
    max_in_flight: int = 64
    queue_limit: int = 512
    queue_timeout: float = 5.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class BruinClient:
    """Typed async access to the Bruin REST API for one customer account."""

    def __init__(self, core: ClientCore, *, customer_id: int, auth: OAuthClientCredentials) -> None:
        self._core = core
        self.customer_id = customer_id
        self.auth = auth

    def __repr__(self) -> str:
        return f"BruinClient(api={self._core.base_url!r}, customer_id={self.customer_id})"

    @classmethod
    def create(
        cls,
        session: aiohttp.ClientSession,
        config: BruinConfig,
        *,
        observe: CallObserver | None = None,
        on_token_fetch: Callable[[], None] | None = None,
    ) -> BruinClient:
        """Wire a client on a caller-owned session (the caller closes it)."""
        limiter = InFlightLimiter(config.max_in_flight, config.queue_limit, config.queue_timeout)
        transport: Transport = AiohttpTransport(session, backend="bruin", limiter=limiter)
        auth = OAuthClientCredentials(
            transport=AiohttpTransport(session, backend="bruin"),
            token_url=config.identity_url.rstrip("/") + "/identity/connect/token",
            client_id=config.client_id,
            client_secret=config.client_secret,
            mode=config.token_auth,
            timeout=config.timeout,
            on_fetch=on_token_fetch,
        )
        core = ClientCore(
            backend="bruin",
            base_url=config.api_url,
            transport=transport,
            auth=auth,
            decode=decipher,
            timeout=config.timeout,
            retry=config.retry,
            default_headers=_HEADERS,
            observe=observe,
        )
        return cls(core, customer_id=config.customer_id, auth=auth)

    # -- tickets -------------------------------------------------------------------------

    async def list_tickets(
        self,
        *,
        client_id: int | None = None,
        statuses: Iterable[TicketStatus | str] = (),
        ticket_id: int | None = None,
        service_number: str | None = None,
        category: str | None = None,
        product_category: str | None = None,
        site_id: int | None = None,
        created_since: dt.datetime | None = None,
        rows: int = 10_000,
        max_tickets: int | None = None,
    ) -> list[Ticket]:
        """``GET /api/Ticket``: full records, newest first.

        Paged with ``Start``/``Rows`` until a page comes back shorter than ``Rows`` (the
        ``row``/``start`` echoes are not totals). Like Bruin's own integrations, one call
        per status runs concurrently and the results are merged and de-duplicated.
        """
        base: dict[str, Any] = {"ClientId": client_id or self.customer_id}
        optional = {
            "TicketId": ticket_id,
            "ServiceNumber": service_number,
            "TicketTopic": category,
            "ProductCategory": product_category,
            "SiteID": site_id,
            "StartDate": _bruin_time(created_since) if created_since else None,
        }
        base |= {k: v for k, v in optional.items() if v is not None}
        wanted: list[str | None] = [str(s) for s in statuses] or [None]
        pages = await gather_or_cancel(
            *(self._ticket_pages(base, status, rows, max_tickets) for status in wanted)
        )
        merged = {t.ticket_id: t for page in pages for t in page}
        return _newest_first(merged.values())[: max_tickets or None]

    async def _ticket_pages(
        self, base: dict[str, Any], status: str | None, rows: int, limit: int | None
    ) -> list[Ticket]:
        out: list[Ticket] = []
        start = 0
        while True:
            params = base | {"Start": start, "Rows": rows}
            if status:
                params["TicketStatus"] = status
            data = await self._core.request(
                "GET", "/api/Ticket", params=params, operation="listing tickets"
            )
            batch = self._parse_list(data, "responses", Ticket, "GET", "/api/Ticket")
            out.extend(batch)
            if len(batch) < rows or (limit is not None and len(out) >= limit):
                return out
            start += rows

    async def list_tickets_page(
        self,
        *,
        client_id: int | None = None,
        statuses: Iterable[TicketStatus | str] = (),
        service_number: str | None = None,
        category: str | None = None,
        page: int = 1,
        page_size: int = 100,
    ) -> TicketPage:
        """``GET /api/Ticket/basic``: one page (``PageNumber`` from 1) of light records."""
        params: list[tuple[str, str]] = [("ClientId", str(client_id or self.customer_id))]
        params += [("TicketStatus", str(s)) for s in statuses]
        if service_number:
            params.append(("ServiceNumber", service_number))
        if category:
            params.append(("TicketTopic", category))
        params += [("PageSize", str(page_size)), ("PageNumber", str(page))]
        data = await self._core.request(
            "GET", "/api/Ticket/basic", params=params, operation="listing tickets"
        )
        tickets = self._parse_list(data, "responses", Ticket, "GET", "/api/Ticket/basic")
        total = data.get("total") if isinstance(data, dict) else None
        return TicketPage(tickets=tickets, total=total if isinstance(total, int) else None)

    async def list_all_tickets_basic(
        self, *, statuses: Iterable[TicketStatus | str] = (), page_size: int = 100, **filters: Any
    ) -> list[Ticket]:
        """Every page of ``/api/Ticket/basic``: stop at ``total`` or at an empty page."""
        statuses = list(statuses)
        out: list[Ticket] = []
        page = 1
        while True:
            result = await self.list_tickets_page(
                statuses=statuses, page=page, page_size=page_size, **filters
            )
            out.extend(result.tickets)
            if not result.tickets or (result.total is not None and len(out) >= result.total):
                return out
            page += 1

    async def get_ticket(self, ticket_id: int, *, client_id: int | None = None) -> Ticket:
        """One ticket's overview (``GET /api/Ticket?TicketId=N``); NotFound when absent."""
        try:
            found = await self.list_tickets(client_id=client_id, ticket_id=ticket_id, rows=10)
        except NotFound as exc:
            exc.message = f"Ticket {ticket_id} was not found"
            raise
        for ticket in found:
            if ticket.ticket_id == ticket_id:
                return ticket
        raise self._not_found(f"Ticket {ticket_id} was not found", "/api/Ticket")

    async def get_ticket_details(self, ticket_id: int) -> TicketDetails:
        """``GET /api/Ticket/{id}/details``: detail lines and notes."""
        path = f"/api/Ticket/{ticket_id}/details"
        try:
            data = await self._core.request("GET", path, operation="reading a ticket")
        except NotFound as exc:
            exc.message = f"Ticket {ticket_id} was not found"
            raise
        return self._parse(data, TicketDetails, "GET", path)

    async def get_topics(self, *, service_number: str, client_id: int | None = None) -> list[Topic]:
        """``GET /api/Ticket/topics``: the categories allowed for this service number."""
        params = {"ClientId": client_id or self.customer_id, "ServiceNumber": service_number}
        data = await self._core.request(
            "GET", "/api/Ticket/topics", params=params, operation="reading ticket categories"
        )
        return self._parse_list(data, "callTypes", Topic, "GET", "/api/Ticket/topics")

    # -- writes (never retried blindly: only a 429 refusal is retried) ---------------------

    async def add_note(
        self, ticket_id: int, text: str, *, service_numbers: Sequence[str] = ()
    ) -> TicketNote | None:
        """``POST /api/Ticket/{id}/notes``; returns the note when Bruin echoes it."""
        body: dict[str, Any] = {"note": text}
        if service_numbers:
            body["serviceNumbers"] = list(service_numbers)
        path = f"/api/Ticket/{ticket_id}/notes"
        data = await self._write("POST", path, body, "adding a note", ticket_id)
        # The answer's shape is undocumented: the note is written once Bruin said 2xx, so an
        # unexpected body must not turn into an error (the person would add it again).
        if not isinstance(data, dict):
            return None
        try:
            notes = self._parse_list(data, "ticketNotes", TicketNote, "POST", path)
        except BadResponse:
            return None
        return notes[0] if notes else None

    async def add_notes(self, ticket_id: int, notes: Sequence[NewNote]) -> list[TicketNote]:
        """``POST /api/Ticket/{id}/notes/advanced``: several typed notes at once."""
        body = {"notes": [n.model_dump(by_alias=True, exclude_none=True) for n in notes]}
        path = f"/api/Ticket/{ticket_id}/notes/advanced"
        data = await self._write("POST", path, body, "adding notes", ticket_id)
        return self._parse_list(data, "ticketNotes", TicketNote, "POST", path)

    async def create_ticket(
        self,
        *,
        category: str,
        service_numbers: Sequence[str],
        contacts: Sequence[Contact],
        notes: Sequence[NewNote],
        client_id: int | None = None,
    ) -> int:
        """``POST /api/Ticket``; returns the new ticket id (``ticketIds`` or ``ticketId``)."""
        body = {
            "clientId": client_id or self.customer_id,
            "category": category,
            "services": [{"serviceNumber": sn} for sn in service_numbers],
            "contacts": [c.model_dump(by_alias=True, exclude_none=True) for c in contacts],
            "notes": [{"noteType": n.note_type, "noteValue": n.text} for n in notes],
        }
        path = "/api/Ticket"
        data = await self._write("POST", path, body, "creating a ticket", None)
        ids = _get_ci(data, "ticketIds") if isinstance(data, dict) else None
        if isinstance(ids, list) and ids:
            return self._parse({"ticket_id": ids[0]}, CreatedTicket, "POST", path).ticket_id
        single = _get_ci(data, "ticketId") if isinstance(data, dict) else None
        if single:
            return self._parse({"ticket_id": single}, CreatedTicket, "POST", path).ticket_id
        raise self._bad("no ticket id in the answer", "POST", path)

    async def create_outage_ticket(
        self,
        *,
        service_number: str,
        description: str,
        contact_email: str | None = None,
        client_id: int | None = None,
    ) -> OutageResult:
        """``POST /api/Ticket/repair``: the outcome says whether a ticket existed already."""
        body: dict[str, Any] = {
            "ClientID": client_id or self.customer_id,
            "WTNs": [service_number],
            "RequestDescription": description,
        }
        if contact_email:
            body["ticketContact"] = {"email": contact_email}
        path = "/api/Ticket/repair"
        data = await self._write("POST", path, body, "opening an outage ticket", None)
        items = None
        if isinstance(data, dict):
            items = _get_ci(data, "assets") or _get_ci(data, "items")
        results = self._parse_items(items, OutageResult, "POST", path)
        for result in results:
            if (result.service_number or "").lower() == service_number.lower():
                return result
        if results:
            return results[0]
        raise self._bad("no outcome in the answer", "POST", path)

    async def set_detail_status(
        self, ticket_id: int, detail_id: int, status: Literal["O", "R"]
    ) -> None:
        """``PUT /api/Ticket/{id}/details/{detailId}/status``: O reopens, R resolves."""
        path = f"/api/Ticket/{ticket_id}/details/{detail_id}/status"
        op = "resolving a ticket" if status == "R" else "reopening a ticket"
        # Setting a status is idempotent: repeating it after a lost answer is safe.
        await self._write("PUT", path, {"Status": status}, op, ticket_id, idempotent=True)

    async def close_ticket(self, ticket_id: int, note: str) -> None:
        """``PUT /api/Ticket/{id}/close`` with a close note."""
        path = f"/api/Ticket/{ticket_id}/close"
        await self._write("PUT", path, {"CloseNote": note}, "closing a ticket", ticket_id)

    # -- inventory and sites ------------------------------------------------------------

    async def list_inventory(
        self,
        *,
        client_id: int | None = None,
        status: str | None = "A",
        service_number: str | None = None,
        site_id: int | None = None,
        product_category: str | None = None,
    ) -> list[InventoryItem]:
        """``GET /api/Inventory`` (not paginated: one answer holds everything)."""
        params: dict[str, Any] = {"ClientId": client_id or self.customer_id}
        optional = {
            "Status": status,
            "ServiceNumber": service_number,
            "SiteID": site_id,
            "ProductCategory": product_category,
        }
        params |= {k: v for k, v in optional.items() if v is not None}
        data = await self._core.request(
            "GET", "/api/Inventory", params=params, operation="reading inventory"
        )
        return self._parse_list(data, "documents", InventoryItem, "GET", "/api/Inventory")

    async def get_inventory_attributes(
        self,
        *,
        inventory_id: str | None = None,
        service_number: str | None = None,
        status: str = "A",
        client_id: int | None = None,
    ) -> InventoryAttributes:
        """``GET /api/Inventory/Attribute`` by inventory id, or client+status+service number."""
        if inventory_id:
            params: dict[str, Any] = {"InventoryId": inventory_id}
        elif service_number:
            params = {
                "ClientId": client_id or self.customer_id,
                "Status": status,
                "ServiceNumber": service_number,
            }
        else:
            raise ValueError("pass inventory_id or service_number")
        data = await self._core.request(
            "GET", "/api/Inventory/Attribute", params=params, operation="reading inventory"
        )
        return self._parse(data, InventoryAttributes, "GET", "/api/Inventory/Attribute")

    async def list_sites(
        self,
        *,
        client_id: int | None = None,
        site_id: int | None = None,
        address: str | None = None,
        site_name: str | None = None,
    ) -> list[Site]:
        """``GET /api/Site`` (not paginated)."""
        params: dict[str, Any] = {"ClientId": client_id or self.customer_id}
        optional = {"SiteId": site_id, "Address": address, "SiteName": site_name}
        params |= {k: v for k, v in optional.items() if v is not None}
        data = await self._core.request(
            "GET", "/api/Site", params=params, operation="reading sites"
        )
        return self._parse_list(data, "documents", Site, "GET", "/api/Site")

    async def get_site(self, site_id: int, *, client_id: int | None = None) -> Site:
        for site in await self.list_sites(client_id=client_id, site_id=site_id):
            if site.site_id == site_id:
                return site
        raise self._not_found(f"Site {site_id} was not found", "/api/Site")

    async def check_token(self) -> None:
        """Fetch (or reuse) the access token: the credentials work."""
        await self.auth.token()

    # -- helpers --------------------------------------------------------------------------

    async def _write(
        self,
        method: str,
        path: str,
        body: dict[str, Any],
        operation: str,
        ticket_id: int | None,
        *,
        idempotent: bool = False,
    ) -> Any:
        try:
            return await self._core.request(
                method, path, json=body, operation=operation, idempotent=idempotent
            )
        except NotFound as exc:
            if ticket_id is not None:
                exc.message = f"Ticket {ticket_id} was not found"
            raise

    # The parse helpers name the request whose answer they read (method and path): an
    # unreadable answer to a POST must not be reported as a GET.

    def _parse(self, data: Any, model: type[M], method: str, path: str) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = f"unexpected shape ({exc.error_count()} problems)"
            raise self._bad(problems, method, path) from None

    def _parse_list(self, data: Any, key: str, model: type[M], method: str, path: str) -> list[M]:
        if not isinstance(data, dict):
            raise self._bad(f"expected an object with {key!r}", method, path)
        return self._parse_items(_get_ci(data, key) or [], model, method, path)

    def _parse_items(self, items: Any, model: type[M], method: str, path: str) -> list[M]:
        if not isinstance(items, list):
            raise self._bad("expected a list", method, path)
        return [self._parse(item, model, method, path) for item in items]

    def _bad(self, message: str, method: str, path: str) -> BadResponse:
        return BadResponse(message, backend="bruin", method=method, path=path)

    def _not_found(self, message: str, path: str) -> NotFound:
        return NotFound(message, backend="bruin", method="GET", path=path, status=404)


def _bruin_time(moment: dt.datetime) -> str:
    """Bruin's filter format: UTC ``yyyy-MM-ddTHH:mm:ssZ``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _get_ci(data: dict[str, Any], key: str) -> Any:
    if key in data:
        return data[key]
    lowered = key.lower()
    return next((v for k, v in data.items() if str(k).lower() == lowered), None)


def _newest_first(tickets: Iterable[Ticket]) -> list[Ticket]:
    return sorted(
        tickets,
        key=lambda t: (t.created_at.timestamp() if t.created_at else 0, t.ticket_id),
        reverse=True,
    )
