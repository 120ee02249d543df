"""The MetTel Bruin client: ``BruinClient`` and its models."""

from bot.clients.bruin.client import OPEN, RESOLVED, BruinClient, BruinConfig

__all__ = ["OPEN", "RESOLVED", "BruinClient", "BruinConfig"]
