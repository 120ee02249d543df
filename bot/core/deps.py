"""The one frozen dependencies object handlers receive, built once per process.

A front end opens the clients (``bot.services.open_services``), then the store and the
notifier, and makes the final :class:`Services` with ``dataclasses.replace``; nothing
changes it afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.clients.bric import BricClient
from bot.clients.bruin import BruinClient
from bot.clients.bruin.models import InventoryItem, Ticket
from bot.config import Settings
from bot.core.cache import KeyedTTL
from bot.core.caller import Caller
from bot.store import Store

__all__ = ["INVENTORY_TTL", "Baseline", "NotConfigured", "Services"]

INVENTORY_TTL = 60.0
"""How long the active inventory behind the service-number search is reused."""


class NotConfigured(Exception):
    """A backend has no credentials; the message says how to configure it."""


class Baseline(Protocol):
    """The part of the notifier a handler may use: remember a ticket's state now, so only
    later changes are posted (``/ticket watch``)."""

    async def baseline(self, ticket_id: int, *, customer_id: int) -> None: ...


def _inventory_cache() -> KeyedTTL[int, list[InventoryItem]]:
    return KeyedTTL(INVENTORY_TTL)


@dataclass(frozen=True)
class Services:
    """What handlers may use."""

    settings: Settings
    bruin_client: BruinClient | None = None
    bric_client: BricClient | None = None
    store: Store | None = None
    notifier: Baseline | None = None
    inventory: KeyedTTL[int, list[InventoryItem]] = field(default_factory=_inventory_cache)

    async def customer_for(self, caller: Caller) -> int:
        """The Bruin customer of the caller's channel (``/ticket config``), else the default."""
        if self.store is not None and caller.channel_id:
            bound = await self.store.channel_customer(caller.channel_id)
            if bound:
                return bound
        return self.bruin.customer_id

    async def scoped_ticket(self, caller: Caller, ticket_id: int) -> Ticket:
        """The ticket, read as the caller's channel's customer: a ticket of another customer
        raises the same NotFound ("Ticket N was not found.") as one that does not exist.
        Every write and every read by ticket id passes here first."""
        customer = await self.customer_for(caller)
        return await self.bruin.get_ticket(ticket_id, client_id=customer)

    @property
    def state(self) -> Store:
        if self.store is None:
            raise NotConfigured("This command needs the bot's store, which is not open here.")
        return self.store

    @property
    def bruin(self) -> BruinClient:
        if self.bruin_client is None:
            raise NotConfigured(
                "Bruin is not configured: set BRUIN_OAUTH_CLIENT_ID, BRUIN_OAUTH_CLIENT_SECRET "
                "and BRUIN_CUSTOMER_ID (see the README)."
            )
        return self.bruin_client

    @property
    def bric(self) -> BricClient:
        if self.bric_client is None:
            raise NotConfigured(
                "Bric is not configured: set BRIC_EMAIL and BRIC_TOKEN_SECRET (or BRIC_PASSWORD "
                "and BRIC_COMPANY so the bot can create a token); see the README."
            )
        return self.bric_client

    @property
    def portal_url(self) -> str:
        return self.settings.bruin_portal_url
