"""The Bric (GetBric) client: ``BricClient``, its models and its token auth."""

from bot.clients.bric.auth import BricTokenAuth
from bot.clients.bric.client import BricClient, BricConfig

__all__ = ["BricClient", "BricConfig", "BricTokenAuth"]
