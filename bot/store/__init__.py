"""The bot's own state (SQLAlchemy 2 async): SQLite by default, PostgreSQL for replicas."""

from bot.store.store import Store, normalise_database_url

__all__ = ["Store", "normalise_database_url"]
