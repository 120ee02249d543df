"""What every command reads, held in memory: each channel's customer, the subscriptions and
the watches. They are small (a row per configured channel, per subscription, per watched
ticket), so a replica holds all of them and the read path runs no SQL.

How the copy stays true:

* **Loaded at start** (:meth:`ConfigCopy.load`, from ``Store.open``).
* **This replica's writes** change it right after their transaction commits, so a replica
  always reads its own writes.
* **Other replicas' writes** bump the one row of ``config_version`` in the same transaction
  as the change. :class:`Follower` reads that row every ``interval`` seconds (one indexed
  single-row read, off the read path) and reloads everything when the version differs
  from the one the copy holds: another replica's change is seen within
  ``interval`` plus one reload (bench/replicas.py measures it on PostgreSQL).

A reload never loses a write of this replica: one that commits while a reload reads makes
that reload start over (``writes`` counts them). When a local write's new version is not
exactly the next one, another replica wrote in between: the copy keeps its older version,
so the next poll reloads and picks that write up.

The rows handed out (``Subscription``, ``Watch``) are detached ORM objects shared by every
reader: treat them as read-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.store.models import ChannelSettings, ConfigVersion, Subscription, Watch

__all__ = ["CONFIG_ROW", "ConfigCopy", "Follower", "read_version"]

log = structlog.get_logger(__name__)

CONFIG_ROW = 1
"""The id of ``config_version``'s one row."""


async def read_version(session: AsyncSession | AsyncConnection) -> int:
    """The version in the database (0 before the first write)."""
    found = await session.scalar(
        select(ConfigVersion.version).where(ConfigVersion.id == CONFIG_ROW)
    )
    return int(found or 0)


@dataclass
class ConfigCopy:
    """This replica's copy of the configuration tables, and the version it was read at."""

    customers: dict[str, int | None] = field(default_factory=dict)
    unfurls: set[str] = field(default_factory=set)
    """Channels that preview ``#<id>`` mentions."""
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    watches: dict[tuple[str, int], Watch] = field(default_factory=dict)
    version: int = -1
    """-1: never loaded, so the first poll loads."""
    writes: int = 0
    """This replica's writes applied so far (a reload that overlaps one starts over)."""
    reloads: int = 0

    async def load(self, session_factory: Callable[[], AsyncSession]) -> None:
        """Read everything (again) and swap it in; retried while local writes overlap."""
        while True:
            writes = self.writes
            async with session_factory() as session:
                version = await read_version(session)
                settings = list(
                    await session.execute(
                        select(
                            ChannelSettings.channel_id,
                            ChannelSettings.customer_id,
                            ChannelSettings.unfurl,
                        )
                    )
                )
                customers = {channel: customer for channel, customer, _ in settings}
                unfurls = {channel for channel, _, on in settings if on}
                subscriptions = {s.id: s for s in await session.scalars(select(Subscription))}
                watches = {
                    (w.channel_id, w.ticket_id): w for w in await session.scalars(select(Watch))
                }
            if writes == self.writes:
                self.customers, self.subscriptions, self.watches = (
                    customers,
                    subscriptions,
                    watches,
                )
                self.unfurls = unfurls
                self.version = version
                self.reloads += 1
                return

    def written(self, version: int, change: Callable[[ConfigCopy], None]) -> None:
        """A local write committed at ``version``: apply ``change`` to the copy."""
        self.writes += 1
        change(self)
        if version == self.version + 1:
            self.version = version  # nobody else wrote in between: the copy is current

    def subscriptions_where(
        self, channel_id: str | None, customer_id: int | None
    ) -> list[Subscription]:
        return [
            s
            for _, s in sorted(self.subscriptions.items())
            if (channel_id is None or s.channel_id == channel_id)
            and (customer_id is None or s.customer_id == customer_id)
        ]

    def watches_where(self, channel_id: str | None, ticket_id: int | None) -> list[Watch]:
        return [
            w
            for (channel, ticket), w in sorted(self.watches.items())
            if (channel_id is None or channel == channel_id)
            and (ticket_id is None or ticket == ticket_id)
        ]


class Follower:
    """Polls the version every ``interval`` seconds; reloads the copy when it moved."""

    def __init__(
        self,
        copy: ConfigCopy,
        *,
        poll: Callable[[], Awaitable[int]],
        reload: Callable[[], Awaitable[None]],
        interval: float,
    ) -> None:
        self.copy = copy
        self.interval = interval
        self._poll = poll
        self._reload = reload
        self._task: asyncio.Task[None] | None = None
        self._failing_since: float | None = None
        self.synced = asyncio.Event()
        """Set after every poll that left the copy current (tests wait on it)."""

    async def sync(self) -> bool:
        """One poll; True when it reloaded the copy."""
        if await self._poll() == self.copy.version:
            return False
        await self._reload()
        return True

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="store-config-follower")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.sync()
            except Exception as exc:  # the database is away: keep serving the copy
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                    log.warning("store_config_sync_failed", error=repr(exc))
                continue
            if self._failing_since is not None:
                log.info(
                    "store_config_sync_recovered",
                    seconds=round(time.monotonic() - self._failing_since, 1),
                )
                self._failing_since = None
            self.synced.set()
            self.synced.clear()
