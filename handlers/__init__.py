"""Command families, one module each. ``FAMILIES`` feeds the dispatcher."""

from __future__ import annotations

from bot.commands import CommandFamily
from handlers import inventory, note, site, ticket

__all__ = ["FAMILIES"]

FAMILIES: tuple[CommandFamily, ...] = (ticket.FAMILY, note.FAMILY, inventory.FAMILY, site.FAMILY)
