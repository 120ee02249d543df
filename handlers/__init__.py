"""Command families, one module each. ``families()`` feeds the dispatcher.

The modules are imported on call, not here: they import the command core, which imports
``bot.core.grammar``; importing them at package import would be circular.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.dispatch import CommandFamily

__all__ = ["families"]


def families() -> tuple[CommandFamily, ...]:
    from handlers import bric, inventory, note, site, subscriptions, ticket

    assert subscriptions.FAMILY is ticket.FAMILY  # its subcommands extend /ticket

    return (ticket.FAMILY, note.FAMILY, inventory.FAMILY, site.FAMILY, bric.FAMILY)
