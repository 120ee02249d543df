"""The bot's own state: SQLite file by default, PostgreSQL when DATABASE_URL says so.

``claim(kind, key)`` is the exactly-once primitive: the first caller for a key wins, every
later one (a Slack retry, a double click, another replica) gets False. It is one
``INSERT … ON CONFLICT DO NOTHING``, atomic on SQLite and PostgreSQL alike.

The schema is versioned with Alembic; ``Store.open`` upgrades to head (under an advisory
lock on PostgreSQL, so replicas starting together migrate once).

Channel settings, subscriptions and watches are held in memory (:mod:`bot.store.config`):
what every command reads (the channel's customer, is the ticket watched) costs no SQL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    delete,
    inspect,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from bot.store.base import aware
from bot.store.claims import ClaimBatcher, SqliteClaims
from bot.store.config import CONFIG_ROW, ConfigCopy, Follower, read_version
from bot.store.digests import DigestStore
from bot.store.lease import LeaseStore
from bot.store.models import (
    Base,
    ChangeOrigin,
    ChannelSettings,
    ClaimedKey,
    ConfigVersion,
    OutboxEntry,
    SlackTicket,
    Subscription,
    UserPrefs,
    Watch,
)
from bot.store.outbox import OutboxStore
from bot.store.tracking import TrackingStore

__all__ = ["SYNC_INTERVAL", "Store", "normalise_database_url"]

SYNC_INTERVAL = 0.25
"""Seconds between two reads of the config version: another replica's write to channel
settings, subscriptions or watches is seen within this plus one reload."""
_MIGRATION_LOCK = 7_411_002  # arbitrary advisory-lock id for schema upgrades


def normalise_database_url(url: str) -> str:
    """Accept SQLAlchemy-style URLs and pick the async driver (aiosqlite / asyncpg)."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


def _sqlite_url_in(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'chatops.db').resolve()}"


SCHEMA_HEAD = "0005"
"""The newest migration's revision: a store at this version opens without loading Alembic
(a third of the start-up time). A test keeps it equal to the migrations' head."""


def _current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _prepare_schema(connection: Connection) -> None:
    """Bring the schema to head. An empty database gets the models' tables in one step and
    is stamped at head, without loading Alembic (on a first start that import and the
    migration run were ~12 MB of RSS and a quarter of a second, bench/); a test keeps the
    two ways identical. A database behind goes through the migrations."""
    if connection.dialect.name == "postgresql":  # replicas starting together: one at a time
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
    if _current_revision(connection) == SCHEMA_HEAD:
        return  # another replica got here first
    if not inspect(connection).get_table_names():
        Base.metadata.create_all(connection)
        version = Table(
            "alembic_version",
            MetaData(),
            Column("version_num", String(32), nullable=False),
            PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
        )
        version.create(connection)
        connection.execute(version.insert().values(version_num=SCHEMA_HEAD))
        return
    _upgrade(connection)


def _upgrade(connection: Connection) -> None:
    from alembic import command  # only when the schema is behind
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "bot.store:migrations")
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class Store(TrackingStore, OutboxStore, LeaseStore, DigestStore):
    """The bot's state behind named methods: no SQL outside the store. The Slack-facing
    parts live here; what intake (:class:`TrackingStore`), delivery
    (:class:`OutboxStore`) and leader election (:class:`LeaseStore`) need, beside it."""

    def __init__(self, engine: AsyncEngine, *, sync_interval: float = SYNC_INTERVAL) -> None:
        super().__init__(engine)
        self.config = ConfigCopy()
        self.follower = Follower(
            self.config, poll=self._poll_version, reload=self.reload, interval=sync_interval
        )
        database = engine.url.database
        self._sqlite_claims = (
            SqliteClaims(database)
            if engine.dialect.name == "sqlite" and database and database != ":memory:"
            else None
        )
        self.claims = ClaimBatcher(
            self._insert_claims if self._sqlite_claims is None else self._sqlite_claims.insert
        )

    def __repr__(self) -> str:
        return f"Store(dialect={self.engine.dialect.name!r})"

    @classmethod
    async def open(cls, url: str | None = None, *, data_dir: Path | None = None) -> Store:
        """Open the store and upgrade its schema; default: SQLite in ``data_dir``."""
        if url is None:
            if data_dir is None:
                raise ValueError("pass a database URL or a data dir")
            url = await asyncio.to_thread(_sqlite_url_in, data_dir)
        async_url = normalise_database_url(url)
        # A short pool wait: under overload a request fails fast instead of queueing 30 s.
        kwargs: dict[str, Any] = {"pool_timeout": 5}
        if async_url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30}
        else:
            # A server may drop idle connections; a SQLite file cannot, and the ping costs
            # a thread round trip per session (bench/: ~0.8 ms CPU of a ~2.4 ms read).
            kwargs["pool_pre_ping"] = True
        engine = create_async_engine(async_url, **kwargs)
        if engine.dialect.name == "sqlite":
            from sqlalchemy import event

            @event.listens_for(engine.sync_engine, "connect")
            def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=30000")
                cursor.close()

        store = cls(engine)
        try:
            async with engine.begin() as conn:
                if await conn.run_sync(_current_revision) != SCHEMA_HEAD:
                    await conn.run_sync(_prepare_schema)
            await store.reload()
        except BaseException:
            await store.close()
            raise
        store.follower.start()
        return store

    async def close(self) -> None:
        await self.follower.stop()
        await self.claims.close()
        if self._sqlite_claims is not None:
            await self._sqlite_claims.close()
        await self.engine.dispose()

    # -- the configuration copy (bot.store.config) ------------------------------------------

    async def reload(self) -> None:
        """Read channel settings, subscriptions and watches into memory again."""
        await self.config.load(self.session)

    async def _poll_version(self) -> int:
        if self._sqlite_claims is not None:
            return await self._sqlite_claims.config_version()
        async with self.engine.connect() as conn:
            return await read_version(conn)

    async def _bump_version(self, session: AsyncSession) -> int:
        """In a writing transaction: the config version after this write."""
        stmt = (
            self.insert(ConfigVersion)
            .values(id=CONFIG_ROW, version=1)
            .on_conflict_do_update(
                index_elements=[ConfigVersion.id], set_={"version": ConfigVersion.version + 1}
            )
            .returning(ConfigVersion.version)
        )
        return int((await session.execute(stmt)).scalar_one())

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    # -- exactly-once keys ----------------------------------------------------------------

    async def claim(self, kind: str, key: str, *, session: AsyncSession | None = None) -> bool:
        """True for the first caller with (kind, key); False for every repeat. Inside the
        caller's ``session`` it is part of that transaction; otherwise claims made at the
        same moment share one (bot.store.claims)."""
        if session is None:
            return await self.claims.claim(kind, key[:255])
        stmt = self.insert(ClaimedKey).values(kind=kind, key=key[:255]).on_conflict_do_nothing()
        result = await session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _insert_claims(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        # Core, not the ORM session (bench/: 0.7 ms of CPU per claim transaction, not 1.2),
        # one statement for all the keys; RETURNING gives only the rows it inserted.
        stmt = (
            self.insert(ClaimedKey)
            .on_conflict_do_nothing()
            .returning(ClaimedKey.kind, ClaimedKey.key)
        )
        async with self.engine.begin() as conn:
            rows = await conn.execute(stmt, [{"kind": kind, "key": key} for kind, key in keys])
            return {(kind, key) for kind, key in rows}

    async def claimed_at(self, kind: str, key: str) -> dt.datetime | None:
        """When (kind, key) was claimed, or None when it is free."""
        async with self.session() as session:
            found = await session.get(ClaimedKey, (kind, key[:255]))
            return aware(found.claimed_at) if found is not None else None

    async def release(self, kind: str, key: str) -> None:
        """Undo a claim whose work failed before it had any effect, so a retry may run."""
        async with self.session.begin() as session:
            await session.execute(
                delete(ClaimedKey).where(ClaimedKey.kind == kind, ClaimedKey.key == key[:255])
            )

    async def forget_before(self, cutoff: dt.datetime) -> int:
        """Housekeeping: drop claims and finished outbox entries older than ``cutoff``."""
        async with self.session.begin() as session:
            claims = await session.execute(delete(ClaimedKey).where(ClaimedKey.claimed_at < cutoff))
            done = await session.execute(
                delete(OutboxEntry).where(
                    OutboxEntry.state.in_(("sent", "failed")), OutboxEntry.created_at < cutoff
                )
            )
            origins = await session.execute(delete(ChangeOrigin).where(ChangeOrigin.at < cutoff))
            return (
                int(claims.rowcount)  # type: ignore[attr-defined]
                + int(done.rowcount)  # type: ignore[attr-defined]
                + int(origins.rowcount)  # type: ignore[attr-defined]
            )

    # -- channel settings -----------------------------------------------------------------

    async def channel_customer(self, channel_id: str) -> int | None:
        """The customer bound to the channel (``/ticket config``), from memory."""
        return self.config.customers.get(channel_id)

    async def channel_unfurl(self, channel_id: str) -> bool:
        """Whether ``#<id>`` mentions in the channel's messages get a preview, from memory."""
        return channel_id in self.config.unfurls

    async def set_channel_unfurl(self, channel_id: str, on: bool, *, by: str) -> None:
        stmt = self.insert(ChannelSettings).values(channel_id=channel_id, unfurl=on, updated_by=by)
        stmt = stmt.on_conflict_do_update(
            index_elements=[ChannelSettings.channel_id],
            set_={"unfurl": on, "updated_by": by, "updated_at": dt.datetime.now(dt.UTC)},
        )
        async with self.session.begin() as session:
            await session.execute(stmt)
            version = await self._bump_version(session)

        def change(config: ConfigCopy) -> None:
            if on:
                config.unfurls.add(channel_id)
            else:
                config.unfurls.discard(channel_id)

        self.config.written(version, change)

    async def set_channel_customer(self, channel_id: str, customer_id: int, *, by: str) -> None:
        stmt = self.insert(ChannelSettings).values(
            channel_id=channel_id, customer_id=customer_id, updated_by=by
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[ChannelSettings.channel_id],
            set_={
                "customer_id": customer_id,
                "updated_by": by,
                "updated_at": dt.datetime.now(dt.UTC),
            },
        )
        async with self.session.begin() as session:
            await session.execute(stmt)
            version = await self._bump_version(session)

        def change(config: ConfigCopy) -> None:
            config.customers[channel_id] = customer_id

        self.config.written(version, change)

    # -- subscriptions and watches (read from memory) ---------------------------------------

    async def add_subscription(
        self,
        *,
        channel_id: str,
        customer_id: int,
        status: str | None,
        category: str | None,
        site: str | None,
        by: str,
        via: str = "all",
    ) -> Subscription:
        sub = Subscription(
            channel_id=channel_id,
            customer_id=customer_id,
            status=status,
            category=category,
            site=site,
            created_by=by,
            via=via,
        )
        async with self.session.begin() as session:
            session.add(sub)
            await session.flush()
            await session.refresh(sub)  # created_at, from the database's default
            version = await self._bump_version(session)

        def change(config: ConfigCopy) -> None:
            config.subscriptions[sub.id] = sub

        self.config.written(version, change)
        return sub

    async def list_subscriptions(
        self, channel_id: str | None = None, *, customer_id: int | None = None
    ) -> list[Subscription]:
        """By id; from memory (the rows are shared: read-only)."""
        return self.config.subscriptions_where(channel_id, customer_id)

    async def remove_subscriptions(self, channel_id: str, ids: Sequence[int] | None) -> int:
        """Remove the channel's subscriptions with these ids (all when ``ids`` is None)."""
        stmt = delete(Subscription).where(Subscription.channel_id == channel_id)
        if ids is not None:
            stmt = stmt.where(Subscription.id.in_(list(ids)))
        async with self.session.begin() as session:
            removed = list(await session.scalars(stmt.returning(Subscription.id)))
            if not removed:
                return 0
            version = await self._bump_version(session)

        def change(config: ConfigCopy) -> None:
            for sub_id in removed:
                config.subscriptions.pop(sub_id, None)

        self.config.written(version, change)
        return len(removed)

    async def add_watch(
        self, channel_id: str, ticket_id: int, *, customer_id: int, by: str
    ) -> bool:
        """True when the channel was not watching the ticket yet."""
        stmt = (
            self.insert(Watch)
            .values(
                channel_id=channel_id, ticket_id=ticket_id, customer_id=customer_id, created_by=by
            )
            .on_conflict_do_nothing()
        )
        async with self.session.begin() as session:
            result = await session.execute(stmt)
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            row = await session.get(Watch, (channel_id, ticket_id))  # with created_at
            version = await self._bump_version(session)

        def change(config: ConfigCopy) -> None:
            if row is not None:
                config.watches[(channel_id, ticket_id)] = row

        self.config.written(version, change)
        return True

    async def remove_watch(self, channel_id: str, ticket_id: int) -> bool:
        async with self.session.begin() as session:
            result = await session.execute(
                delete(Watch).where(Watch.channel_id == channel_id, Watch.ticket_id == ticket_id)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            version = await self._bump_version(session)

        def change(config: ConfigCopy) -> None:
            config.watches.pop((channel_id, ticket_id), None)

        self.config.written(version, change)
        return True

    async def is_watching(self, channel_id: str, ticket_id: int) -> bool:
        """From memory."""
        return (channel_id, ticket_id) in self.config.watches

    async def list_watches(
        self, *, channel_id: str | None = None, ticket_id: int | None = None
    ) -> list[Watch]:
        """By channel, then ticket; from memory (the rows are shared: read-only)."""
        return self.config.watches_where(channel_id, ticket_id)

    # -- changes made through the bot -----------------------------------------------------

    async def record_origin(self, ticket_id: int, channel_id: str, kind: str) -> None:
        """A note or status change made through the bot in ``channel_id``: the intake does
        not post it back there (``bot.notify.intake``)."""
        async with self.session.begin() as session:
            session.add(ChangeOrigin(ticket_id=ticket_id, channel_id=channel_id, kind=kind))

    # -- tickets opened from Slack, and their people --------------------------------------

    async def record_slack_ticket(
        self, ticket_id: int, *, customer_id: int, user_id: str, channel_id: str | None
    ) -> None:
        stmt = (
            self.insert(SlackTicket)
            .values(
                ticket_id=ticket_id, customer_id=customer_id, user_id=user_id, channel_id=channel_id
            )
            .on_conflict_do_nothing()
        )
        async with self.session.begin() as session:
            await session.execute(stmt)

    async def slack_tickets_of(self, user_id: str, *, limit: int = 20) -> list[SlackTicket]:
        query = (
            select(SlackTicket)
            .where(SlackTicket.user_id == user_id)
            .order_by(SlackTicket.created_at.desc(), SlackTicket.ticket_id.desc())
            .limit(limit)
        )
        async with self.session() as session:
            return list(await session.scalars(query))

    async def slack_ticket(self, ticket_id: int) -> SlackTicket | None:
        async with self.session() as session:
            return await session.get(SlackTicket, ticket_id)

    async def set_notify(self, user_id: str, enabled: bool) -> None:
        stmt = self.insert(UserPrefs).values(user_id=user_id, notify_dm=enabled)
        stmt = stmt.on_conflict_do_update(
            index_elements=[UserPrefs.user_id], set_={"notify_dm": enabled}
        )
        async with self.session.begin() as session:
            await session.execute(stmt)

    async def notify_enabled(self, user_id: str) -> bool:
        async with self.session() as session:
            found = await session.scalar(
                select(UserPrefs.notify_dm).where(UserPrefs.user_id == user_id)
            )
            return True if found is None else bool(found)
