"""The bot's own state (SQLAlchemy 2 async): SQLite by default, PostgreSQL for replicas.

Every SQL statement lives in this package, behind named methods of :class:`Store`."""

from bot.store.base import aware
from bot.store.store import Store, normalise_database_url
from bot.store.tracking import Notification, TicketUpdate

__all__ = ["Notification", "Store", "TicketUpdate", "aware", "normalise_database_url"]
