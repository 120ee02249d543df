"""/inventory: service numbers and circuits with their status and site."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field

from bot.core.caller import Caller
from bot.core.deps import Services
from bot.core.grammar import Request
from bot.core.registry import Registry
from bot.render.blocks import Message, inventory_list

__all__ = ["InventorySearch", "register"]

LIMIT = 40


_STATUS_CODES = {"active": "A", "suspended": "S", "disconnected": "D"}
_SHORT = {code.lower(): word for word, code in _STATUS_CODES.items()}


def _status_word(value: Any) -> Any:
    """``Active``, ``active`` and Bruin's own letter ``a`` are the same status."""
    if isinstance(value, str):
        word = value.strip().lower()
        return _SHORT.get(word, word)
    return value


class InventorySearch(Request):
    rest: ClassVar[str | None] = "search"
    search: str | None = Field(None, max_length=100, examples=["Tampa"])
    status: Annotated[
        Literal["all", "active", "suspended", "disconnected"], BeforeValidator(_status_word)
    ] = "all"


async def search(req: InventorySearch, caller: Caller, services: Services) -> Message:
    """/inventory [search…] [status=active|suspended|disconnected|all]: service numbers
    with status and site"""
    code = None if req.status == "all" else _STATUS_CODES[req.status]
    customer = await services.customer_for(caller)
    items = await services.bruin.list_inventory(client_id=customer, status=code)
    if req.search:
        needle = req.search.lower()
        items = [
            i
            for i in items
            if any(
                needle in (text or "").lower()
                for text in (
                    i.service_number,
                    i.site_label,
                    i.product_category,
                    i.product_type,
                    i.vendor,
                    i.address.one_line() if i.address else "",
                )
            )
        ]
    items = sorted(items, key=lambda i: (i.status != "A", i.site_label or "", i.service_number))
    return inventory_list(items, search=req.search, limit=LIMIT)


def register(registry: Registry) -> None:
    family = registry.family("/inventory", title="Inventory", default="search")
    family.add("search", InventorySearch, search)
    family.example("/inventory Tampa", "/inventory status=suspended")
