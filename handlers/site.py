"""/site: the customer's sites and their addresses."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from bot.core.caller import Caller
from bot.core.deps import Services
from bot.core.grammar import Request, SiteId
from bot.core.registry import Registry
from bot.render.blocks import Message, site_card, site_list

__all__ = ["SiteList", "SiteShow", "register"]


class SiteList(Request):
    rest: ClassVar[str | None] = "search"
    search: str | None = Field(None, max_length=100, examples=["Tampa"])


class SiteShow(Request):
    positional: ClassVar[tuple[str, ...]] = ("site_id",)
    site_id: SiteId


async def list_(req: SiteList, caller: Caller, services: Services) -> Message:
    """/site list [search…]: sites with their addresses"""
    sites = await services.bruin.list_sites(client_id=await services.customer_for(caller))
    if req.search:
        needle = req.search.lower()
        sites = [
            s
            for s in sites
            if needle in (s.label or "").lower()
            or needle in (s.identifier or "").lower()
            or needle in (s.address.one_line().lower() if s.address else "")
        ]
    return site_list(sorted(sites, key=lambda s: s.site_id), search=req.search)


async def show(req: SiteShow, caller: Caller, services: Services) -> Message:
    """/site show <site-id>: one site with address, hours and contact"""
    customer = await services.customer_for(caller)
    return site_card(await services.bruin.get_site(req.site_id, client_id=customer))


def register(registry: Registry) -> None:
    family = registry.family("/site", title="Sites")
    family.example("/site list Tampa", "/site show 812")
    family.add("list", SiteList, list_)
    family.add("show", SiteShow, show)
