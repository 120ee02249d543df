"""Exactly-once claims, committed in groups.

Every Slack request claims its signature (replay protection) before it is acked, so a
claim is on the path of every command. One transaction per claim made them queue: on
SQLite concurrent writers wait in SQLite's busy handler, which sleeps in steps of up to
100 ms (bench/: at 75 commands/s the ack p99 was 390 ms with the event loop idle half the
time), and each claim cost ~1.2 ms of CPU in SQLAlchemy and aiosqlite's thread.

:class:`ClaimBatcher` keeps one claim transaction in flight per process. Claims that
arrive while it runs wait for the next one, which inserts all of them with one
``INSERT … ON CONFLICT DO NOTHING RETURNING`` (both dialects): the keys it returns were
new, so their first caller wins, exactly as with one statement per claim. A quiet bot's
claim goes at once; a busy bot's claims share a commit.

On SQLite the batch goes through :class:`SqliteClaims`: a connection of its own on one
worker thread, so a batch is one hand-off to that thread. Through SQLAlchemy and aiosqlite
a transaction is five or six hand-offs, and each waits for the GIL while the event loop is
busy (up to the 5 ms switch interval): at 150 commands/s a claim took 14 ms at the median
and 85 ms at p99 (bench/, ``--variant diagnose``); one hand-off costs a fraction of that.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

__all__ = ["BATCH_MAX", "ClaimBatcher", "Insert", "SqliteClaims"]

BATCH_MAX = 500
"""Keys per statement (two bound parameters each: far below SQLite's limit)."""

Key = tuple[str, str]
Insert = Callable[[Sequence[Key]], Awaitable[set[Key]]]
"""Inserts the keys in one transaction; returns those that were not there before."""


class ClaimBatcher:
    def __init__(self, insert: Insert, *, batch_max: int = BATCH_MAX) -> None:
        self._insert = insert
        self._batch_max = batch_max
        self._pending: dict[Key, list[asyncio.Future[bool]]] = {}
        self._running: asyncio.Task[None] | None = None
        self.transactions = 0
        """Claim transactions run so far (tests and bench/ read it)."""

    async def claim(self, kind: str, key: str) -> bool:
        """True for the first caller with (kind, key); False for every repeat."""
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.setdefault((kind, key), []).append(waiter)
        if self._running is None:
            self._running = asyncio.create_task(self._drain(), name="store-claims")
        return await waiter

    async def _drain(self) -> None:
        try:
            while self._pending:
                keys = list(self._pending)[: self._batch_max]
                batch = {k: self._pending.pop(k) for k in keys}
                try:
                    won = await self._insert(keys)
                except BaseException as exc:  # every waiter of the batch learns it
                    for waiters in batch.values():
                        for w in waiters:
                            if not w.done():
                                w.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                finally:
                    self.transactions += 1
                for k, waiters in batch.items():
                    for n, w in enumerate(waiters):
                        if not w.done():
                            w.set_result(n == 0 and k in won)
        finally:
            self._running = None
            stranded, self._pending = self._pending, {}  # left only when cancelled
            for waiters in stranded.values():
                for w in waiters:
                    if not w.done():
                        w.set_exception(RuntimeError("the store closed before this claim"))

    async def close(self) -> None:
        """Let the claims already asked for finish (bounded by the caller)."""
        task = self._running
        if task is not None:
            await asyncio.shield(task)


class SqliteClaims:
    """Inserts claims into a SQLite file from one worker thread, one transaction per batch
    (``BEGIN IMMEDIATE``, one multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING``,
    ``COMMIT``); reads the config version there too (``Store``'s follower polls it four
    times a second). The connection is opened, used and closed on that thread only.
    Durability is SQLite's default for the file (WAL, ``synchronous=FULL``), as for every
    other write."""

    def __init__(self, path: str, *, busy_timeout: float = 30.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-claims")
        self._conn: sqlite3.Connection | None = None

    async def insert(self, keys: Sequence[Key]) -> set[Key]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._insert, list(keys))

    async def config_version(self) -> int:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._config_version)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._close)
        finally:
            self._executor.shutdown(wait=False)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            self._conn = conn
        return self._conn

    def _insert(self, keys: list[Key]) -> set[Key]:
        conn = self._connection()
        rows = ", ".join("(?, ?)" for _ in keys)
        params = [value for key in keys for value in key]
        conn.execute("BEGIN IMMEDIATE")
        try:
            won = conn.execute(
                f"INSERT INTO claimed_keys (kind, key) VALUES {rows} "  # noqa: S608 - only placeholders
                "ON CONFLICT DO NOTHING RETURNING kind, key",
                params,
            ).fetchall()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return {(str(kind), str(key)) for kind, key in won}

    def _config_version(self) -> int:
        row = self._connection().execute("SELECT version FROM config_version").fetchone()
        return int(row[0]) if row else 0

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
