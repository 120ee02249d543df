"""Every handler module in one registry.

``build_registry()`` makes a fresh :class:`~bot.core.registry.Registry` with all of them;
the front ends (Slack, console) build theirs from it. Nothing registers at import.
"""

from __future__ import annotations

from bot.core.registry import CommandFamily, Registry
from handlers import (
    bric,
    digests,
    inventory,
    note,
    site,
    subscriptions,
    ticket,
    ticket_actions,
    workflow,
)

__all__ = ["build_registry", "families"]


def build_registry() -> Registry:
    registry = Registry()
    for module in (
        ticket,
        subscriptions,
        digests,
        note,
        inventory,
        site,
        bric,
        ticket_actions,
        workflow,
    ):
        module.register(registry)
    return registry


def families() -> tuple[CommandFamily, ...]:
    """The command families in help order (for the manifest and the help text)."""
    return tuple(build_registry().families.values())
