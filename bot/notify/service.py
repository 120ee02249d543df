"""The notifier of one process: webhook intake (any replica) and, on the replica holding
the "poller" lease, the poll loop and outbox delivery.

With several replicas on PostgreSQL exactly one holds the lease; it renews it every
quarter interval, others ask every half interval, and a lease lasts 1.5 intervals — so
when the holder dies another takes over within two poll intervals.

Operators see who polls: each replica logs its ``holder`` id at start
(``notifier_started``) and one line when it takes or loses the lease
(``poller_lease_taken`` / ``poller_lease_lost``); ``/readyz`` shows the holder id and
whether this replica holds the lease; the metrics ``chatops_poller_lease_held``,
``chatops_last_poll_success_timestamp_seconds``, ``chatops_polls_total`` and
``chatops_poll_failures_total`` follow it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
import uuid
from collections.abc import Callable

import structlog

from bot.clients.errors import BackendError
from bot.metrics import Metrics
from bot.notify.delivery import Delivery
from bot.notify.digests import DigestRunner
from bot.notify.intake import Intake
from bot.notify.webhook import WebhookEvent
from bot.store import Store

__all__ = ["LEASE", "NotifierService"]

log = structlog.get_logger(__name__)

LEASE = "poller"
KEEP = dt.timedelta(days=7)
"""Event ids, idempotency keys and delivered outbox rows are kept this long."""
CLEANUP_EVERY = 3600.0
DELIVERY_TICK = 0.25


class NotifierService:
    def __init__(
        self,
        *,
        intake: Intake,
        delivery: Delivery,
        poll_seconds: float,
        default_customer: int | None,
        holder: str | None = None,
        queue_size: int = 1000,
        clock: Callable[[], float] = time.monotonic,
        metrics: Metrics | None = None,
        digests: DigestRunner | None = None,
    ) -> None:
        self.intake = intake
        self.digests = digests
        """Scheduled digests, fired by the leader (``bot.notify.digests``)."""
        self.delivery = delivery
        self.poll_seconds = poll_seconds
        self.default_customer = default_customer
        self.holder = holder or f"{uuid.uuid4().hex[:12]}"
        self.is_leader = False
        self.polls = 0
        self.metrics = metrics
        self._clock = clock
        self._queue: asyncio.Queue[WebhookEvent] = asyncio.Queue(maxsize=queue_size)
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._next_lease = 0.0
        self._next_poll = 0.0
        self._next_cleanup = 0.0

    @property
    def store(self) -> Store:
        return self.intake.store

    # -- intake ---------------------------------------------------------------------------

    async def baseline(self, ticket_id: int, *, customer_id: int) -> None:
        """Record a ticket's current state without announcing it (a new watch)."""
        await self.intake.baseline(ticket_id, customer_id=customer_id)

    def submit(self, event: WebhookEvent) -> bool:
        """Queue a webhook's re-read; False when the bounded queue is full (the poller
        remains the safety net)."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("webhook_queue_full", ticket=event.ticket_id)
            return False
        return True

    async def _webhook_worker(self) -> None:
        while True:
            event = await self._queue.get()
            customer = event.client_id or self.default_customer
            try:
                if customer is None:
                    log.warning("webhook_without_customer", ticket=event.ticket_id)
                    continue
                await self.intake.ingest(
                    event.ticket_id,
                    customer_id=customer,
                    is_new=event.event_type == "Created",
                )
                self._wake.set()
            except BackendError as exc:
                log.warning("webhook_ingest_failed", ticket=event.ticket_id, error=repr(exc))
            except Exception:
                log.exception("webhook_ingest_crashed", ticket=event.ticket_id)
            finally:
                self._queue.task_done()

    async def drain(self) -> None:
        """Wait until every queued webhook has been ingested (tests, shutdown)."""
        await self._queue.join()

    # -- the leader's loop ----------------------------------------------------------------

    async def step(self) -> None:
        """One round: renew/take the lease; if leader, poll when due and deliver."""
        now = self._clock()
        if now >= self._next_lease:
            self._lead(
                await self.store.claim_lease(LEASE, self.holder, ttl=1.5 * self.poll_seconds)
            )
            interval = self.poll_seconds / (4 if self.is_leader else 2)
            self._next_lease = now + interval
        if not self.is_leader:
            return
        if now >= self._next_cleanup:
            self._next_cleanup = now + CLEANUP_EVERY
            cutoff = dt.datetime.now(dt.UTC) - KEEP
            log.info("store_housekeeping", removed=await self.store.forget_before(cutoff))
        if now >= self._next_poll:
            self._next_poll = now + self.poll_seconds
            self.polls += 1
            if self.metrics is not None:
                self.metrics.polls.inc()
            try:
                added = await self.intake.poll(default_customer=self.default_customer)
            except Exception:
                self._polled(ok=False)
                raise
            self._polled(ok=not self.intake.poll_failures)
            log.info("polled", queued=added, failed_reads=self.intake.poll_failures)
        await self.delivery.run_once()
        if self.digests is not None:
            await self.digests.run_once()

    def _polled(self, *, ok: bool) -> None:
        """A poll whose every backend read answered is a success; else a failure."""
        if self.metrics is None:
            return
        if ok:
            self.metrics.last_poll.set_to_current_time()
        else:
            self.metrics.poll_failures.inc()

    def _lead(self, leader: bool, *, released: bool = False) -> None:
        """Record whether this replica holds the lease; one log line when that changes."""
        if leader and not self.is_leader:
            log.info("poller_lease_taken", holder=self.holder, lease=LEASE)
            self.delivery.wake()  # what the last holder left (pending, in doubt) comes first
        elif released and self.is_leader:
            log.info("poller_lease_lost", holder=self.holder, lease=LEASE, why="released")
        elif not leader and self.is_leader:
            # It ran out before this replica renewed it (a stall) and another replica took it.
            log.warning(
                "poller_lease_lost", holder=self.holder, lease=LEASE, why="taken by another"
            )
        self.is_leader = leader
        if self.metrics is not None:
            self.metrics.lease_held.set(1 if leader else 0)

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self.step()
            except Exception:
                log.exception("notifier_round_failed")
            tick = DELIVERY_TICK if self.is_leader else max(self._next_lease - self._clock(), 0.05)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), tick)

    def start(self, *, workers: int = 2) -> None:
        log.info(
            "notifier_started", holder=self.holder, lease=LEASE, poll_seconds=self.poll_seconds
        )
        self._tasks = [asyncio.create_task(self._loop(), name="notifier-loop")]
        self._tasks += [
            asyncio.create_task(self._webhook_worker(), name=f"webhook-worker-{i}")
            for i in range(workers)
        ]

    async def stop(self, *, release: bool = True) -> None:
        """Stop the loops and give the lease up so another replica takes over at once
        (``release=False`` is how tests play a replica that died)."""
        self._stop.set()
        self._wake.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self.is_leader and release:
            with contextlib.suppress(Exception):
                await self.store.release_lease(LEASE, self.holder)
            self._lead(False, released=True)
