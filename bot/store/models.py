"""Tables of the bot's own state. Schema changes go through Alembic (bot/store/migrations)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "ChannelSettings",
    "ClaimedKey",
    "ConfigVersion",
    "Cursor",
    "Digest",
    "Lease",
    "OutboxEntry",
    "SlackTicket",
    "Subscription",
    "TicketCard",
    "TicketState",
    "UserPrefs",
    "Watch",
]

Timestamp = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


NOW = text("(CURRENT_TIMESTAMP)")
"""The migrations' default, spelled the same, so a database created from these models is
the one the migrations build (tested)."""


def _now() -> Mapped[dt.datetime]:
    return mapped_column(Timestamp, server_default=NOW, nullable=False)


class ClaimedKey(Base):
    """A key processed once: a Slack event id, an action's idempotency key, …"""

    __tablename__ = "claimed_keys"
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    claimed_at: Mapped[dt.datetime] = mapped_column(Timestamp, server_default=NOW, index=True)


class ChannelSettings(Base):
    """Per-channel settings: the Bruin customer account its commands default to."""

    __tablename__ = "channel_settings"
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = _now()
    unfurl: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Preview ``#<id>`` mentions in this channel's messages (``/ticket config unfurl=on``)."""


class ConfigVersion(Base):
    """One row (id 1): bumped in the same transaction as every write to channel settings,
    subscriptions or watches. Each replica holds those in memory and reloads them when the
    version it polls is not the one it holds (:mod:`bot.store.config`)."""

    __tablename__ = "config_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"), nullable=False)


class Subscription(Base):
    """New tickets matching the filter are posted to the channel."""

    __tablename__ = "subscriptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(String(32), index=True)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(64))
    site: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = _now()
    via: Mapped[str] = mapped_column(String(8), default="all", server_default="all")
    """``all``, or ``others``: tickets opened through the bot are left out."""


class Watch(Base):
    """New notes and status changes of the ticket go to the channel, threaded."""

    __tablename__ = "watches"
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = _now()


class TicketCard(Base):
    """The card posted for a ticket in a channel: the thread root, updated in place."""

    __tablename__ = "ticket_cards"
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_ts: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = _now()


class SlackTicket(Base):
    """A ticket opened from Slack, and by whom (App Home, status-change DMs)."""

    __tablename__ = "slack_tickets"
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = _now()


class ChangeOrigin(Base):
    """A change made through the bot, and the channel it was made in: its notification is
    not echoed back there (the write's own answer already shows it)."""

    __tablename__ = "change_origins"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = _now()


class UserPrefs(Base):
    __tablename__ = "user_prefs"
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    notify_dm: Mapped[bool] = mapped_column(Boolean, default=True)


class Cursor(Base):
    """Where the poller (or another reader) got to."""

    __tablename__ = "cursors"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = _now()


class TicketState(Base):
    """The last state the bot saw of a ticket it follows: changes are diffs against it."""

    __tablename__ = "ticket_states"
    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    note_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    note_digest: Mapped[str | None] = mapped_column(String(64))
    """Digest of the list record's mostRecentNote: a cheap "did anything change?" check."""
    version: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped on every change seen; part of the outbox keys of status changes."""
    seen_at: Mapped[dt.datetime] = _now()


class OutboxEntry(Base):
    """A Slack post owed. Written in the same transaction as the change that caused it;
    ``dedupe_key`` makes the same change (webhook + poll) one entry."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("dedupe_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str] = mapped_column(String(32), index=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = _now()
    sent_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)


class Lease(Base):
    """A named lease with expiry: exactly one replica holds "poller" at a time."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp)


class Digest(Base):
    """A scheduled digest: at ``at_minute`` (minutes after local midnight, in the display
    zone) on ``days`` (``daily`` or ``weekdays``) the channel gets one summary of its
    customer's open tickets matching the filter, stale ones (no change for longer than
    ``stale_minutes``) with a Nudge button. Each slot fires once: the notifier claims
    ``(id, slot start)`` before posting (:mod:`bot.notify.digests`)."""

    __tablename__ = "digests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(String(32), index=True)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    days: Mapped[str] = mapped_column(String(16))
    at_minute: Mapped[int] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(64))
    site: Mapped[str | None] = mapped_column(String(128))
    stale_minutes: Mapped[int] = mapped_column(Integer, default=1440, server_default="1440")
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = _now()
