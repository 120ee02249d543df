"""Notification fan-out: many ticket changes into many channels through the real outbox.

Changes are inserted as outbox entries (what :mod:`bot.notify.intake` writes) arriving over
a few seconds; :class:`bot.notify.delivery.Delivery` is driven the way the notifier drives
it (``run_once`` every ``DELIVERY_TICK``) until the outbox is empty (bounded). The fake
Slack enforces about one message per second per channel (token bucket, burst 3) and
answers 429 + ``Retry-After`` beyond it. The Slack client is the bot's own
(:func:`bot.slack.app.make_web_client`: 429s honoured and retried).

Theoretical figures (computed from the actual arrival times):

* ``lower_bound_s``: the last change's arrival — nothing can be delivered before it exists.
* ``ideal_s`` / ``ideal_posts``: Delivery's own pacing policy with zero overhead — per
  channel, post the moment a change is pending and the channel's last post is at least
  ``min_interval`` old, digesting everything pending into that one post.
* ``no_digest_s``: the best possible with one post per change under Slack's bucket (burst
  3, then 1/s): what digesting saves.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.clients.bruin import BruinClient, BruinConfig
from bot.config import Settings
from bot.notify.delivery import Delivery
from bot.notify.service import DELIVERY_TICK
from bot.sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_CUSTOMER_ID,
    start_sandbox,
)
from bot.slack.app import make_web_client
from bot.store import Store
from bot.store.models import OutboxEntry
from tests.fakes.slack import FakeSlack

__all__ = ["FanoutResult", "ideal_schedule", "no_digest_seconds", "run_fanout"]

RATE = 1.0
"""Posts per second per channel the fake Slack allows (after a burst of ``BURST``)."""
BURST = 3
MIN_INTERVAL = 1.0
"""Delivery's default pace per channel."""
BOUND = 120.0
"""Give up (and report what is left) after this many seconds."""


@dataclass
class FanoutResult:
    inserted: int
    channels: int
    delivered: int
    failed: int
    left_pending: int
    missing: int
    duplicates: int
    posts: int
    digests: int
    card_updates: int
    rate_limited: int
    seconds: float
    last_arrival_s: float
    lower_bound_s: float
    ideal_s: float
    ideal_posts: int
    no_digest_s: float
    max_per_channel: int
    rounds: int

    @property
    def nothing_lost(self) -> bool:
        return (
            self.delivered == self.inserted
            and self.missing == 0
            and self.duplicates == 0
            and self.failed == 0
            and self.left_pending == 0
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"nothing_lost": self.nothing_lost}

    def lines(self) -> list[str]:
        verdict = "nothing lost" if self.nothing_lost else "ENTRIES LOST OR DUPLICATED"
        return [
            f"notification fan-out — {self.inserted} changes into {self.channels} channels "
            f"over {self.last_arrival_s:.1f} s, Slack limit ~{RATE:g} post/s/channel",
            f"  delivered {self.delivered}/{self.inserted} ({verdict}; failed {self.failed}, "
            f"missing {self.missing}, duplicated {self.duplicates})",
            f"  posts {self.posts} (digests {self.digests}, singles {self.posts - self.digests}),"
            f" card updates {self.card_updates}, 429 answers {self.rate_limited}",
            f"  time {self.seconds:.1f} s; theoretical: lower bound {self.lower_bound_s:.1f} s,"
            f" Delivery's pacing with zero overhead {self.ideal_s:.1f} s in {self.ideal_posts}"
            f" posts, without digests {self.no_digest_s:.1f} s",
        ]


def ideal_schedule(arrivals: Mapping[str, Sequence[float]], interval: float) -> tuple[float, int]:
    """(finish time, posts) of Delivery's policy with zero overhead, per channel:
    post when something is pending and the last post is >= ``interval`` old; digest the rest."""
    finish, posts = 0.0, 0
    for times in arrivals.values():
        pending = sorted(times)
        last = -interval
        i = 0
        while i < len(pending):
            t = max(pending[i], last + interval)
            posts += 1
            last = t
            while i < len(pending) and pending[i] <= t:
                i += 1
        finish = max(finish, last)
    return finish, posts


def no_digest_seconds(arrivals: Mapping[str, Sequence[float]], rate: float, burst: int) -> float:
    """Finish time posting every change on its own under a token bucket (rate, burst)."""
    finish = 0.0
    for times in arrivals.values():
        tokens, updated = float(burst), 0.0
        t = 0.0
        for arrival in sorted(times):
            t = max(t, arrival)
            tokens = min(float(burst), tokens + (t - updated) * rate)
            updated = t
            if tokens < 1.0:
                t += (1.0 - tokens) / rate
                tokens, updated = 1.0, t
            tokens -= 1.0
        finish = max(finish, t)
    return finish


def _payload(kind: str, tid: int, i: int) -> dict[str, Any]:
    if kind == "status":
        return {
            "customer_id": SANDBOX_CUSTOMER_ID,
            "summary": f"Ticket {tid}: InProgress → InReview",
            "old_status": "InProgress",
            "new_status": "InReview",
            "note": {},
        }
    return {
        "customer_id": SANDBOX_CUSTOMER_ID,
        "summary": f"Ticket {tid}: new note by the carrier",
        "old_status": None,
        "new_status": None,
        "note": {"id": 900_000 + i, "text": f"Bench note {i}: carrier dispatched, ETA 2h."},
    }


async def run_fanout(
    *, entries: int, channels: int, arrival_seconds: float, seed: int, workdir: Path
) -> FanoutResult:
    rng = random.Random(seed)
    names = [f"C0FAN{n:03d}" for n in range(channels)]
    sandbox = await start_sandbox(port=0)
    slack = FakeSlack(
        post_rate_per_channel=RATE, post_burst=BURST, channels=dict.fromkeys(names, True)
    )
    data_dir = workdir / "fanout"
    data_dir.mkdir()
    store = await Store.open(None, data_dir=data_dir)
    session = aiohttp.ClientSession()
    try:
        await slack.start()
        tickets = sorted(
            tid
            for tid, t in sandbox.bruin.state.tickets.items()
            if t["clientID"] == SANDBOX_CUSTOMER_ID
        )
        settings = Settings(
            _env_file=None,
            slack_bot_token=SecretStr(slack.bot_token),
            slack_api_url=slack.api_url,
        )
        bruin = BruinClient.create(
            session,
            BruinConfig(
                api_url=sandbox.url,
                identity_url=sandbox.url,
                client_id=SANDBOX_CLIENT_ID,
                client_secret=SecretStr(SANDBOX_CLIENT_SECRET),
                customer_id=SANDBOX_CUSTOMER_ID,
            ),
        )
        delivery = Delivery(
            store,
            bruin,
            make_web_client(settings, session=session),
            portal_url="https://app.bruin.test",
            min_interval=MIN_INTERVAL,
        )
        plan = sorted(
            (
                rng.uniform(0, arrival_seconds),
                rng.choice(names),
                rng.choice(tickets),
                "status" if rng.random() < 0.2 else "note",
            )
            for _ in range(entries)
        )
        arrived: dict[str, list[float]] = {}
        start = time.monotonic()

        async def insert() -> None:
            i = 0
            while i < len(plan):
                now = time.monotonic() - start
                rows = []
                while i < len(plan) and plan[i][0] <= now:
                    _, channel, tid, kind = plan[i]
                    rows.append(
                        {
                            "dedupe_key": f"bench:{kind}:{channel}:{tid}:{i}",
                            "channel_id": channel,
                            "ticket_id": tid,
                            "kind": kind,
                            "state": "pending",
                            "attempts": 0,
                            "payload": _payload(kind, tid, i),
                        }
                    )
                    i += 1
                if rows:
                    async with store.session.begin() as db:
                        await db.execute(store.insert(OutboxEntry).values(rows))
                    delivery.wake()  # queued behind the intake's back: say so
                    stamp = time.monotonic() - start
                    for row in rows:
                        arrived.setdefault(str(row["channel_id"]), []).append(stamp)
                await asyncio.sleep(0.05)

        inserter = asyncio.create_task(insert())
        rounds = 0
        try:
            while time.monotonic() - start < BOUND:
                await asyncio.wait_for(delivery.run_once(), BOUND)
                rounds += 1
                if inserter.done() and await delivery.pending() == 0:
                    break
                await asyncio.sleep(DELIVERY_TICK)
        finally:
            if not inserter.done():
                inserter.cancel()
            await asyncio.gather(inserter, return_exceptions=True)
        seconds = time.monotonic() - start
        return await _result(
            store, slack, arrived, entries, channels, seconds, rounds, inserter.exception()
        )
    finally:
        await session.close()
        await store.close()
        await slack.stop()
        await sandbox.stop()


async def _result(
    store: Store,
    slack: FakeSlack,
    arrived: dict[str, list[float]],
    inserted: int,
    channels: int,
    seconds: float,
    rounds: int,
    insert_error: BaseException | None,
) -> FanoutResult:
    if insert_error is not None:
        raise insert_error
    async with store.session() as db:
        rows = await db.execute(select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state))
        states = {str(state): int(count) for state, count in rows}
        all_ids = set(await db.scalars(select(OutboxEntry.id)))
    carried: Counter[int] = Counter()
    posts = digests = 0
    for message in slack.messages.values():
        meta = message.metadata or {}
        ids = (meta.get("event_payload") or {}).get("outbox_ids") or []
        if not ids:
            continue
        posts += 1
        digests += len(ids) > 1
        carried.update(int(i) for i in ids)
    ideal_s, ideal_posts = ideal_schedule(arrived, MIN_INTERVAL)
    last = max((max(t) for t in arrived.values()), default=0.0)
    return FanoutResult(
        inserted=inserted,
        channels=channels,
        delivered=states.get("sent", 0),
        failed=states.get("failed", 0),
        left_pending=states.get("pending", 0) + states.get("sending", 0),
        missing=len(all_ids - carried.keys()),
        duplicates=sum(1 for n in carried.values() if n > 1),
        posts=posts,
        digests=digests,
        card_updates=sum(1 for c in slack.calls_to("chat.update") if c.status == 200),
        rate_limited=sum(1 for c in slack.calls if c.status == 429),
        seconds=round(seconds, 2),
        last_arrival_s=round(last, 2),
        lower_bound_s=round(last, 2),
        ideal_s=round(ideal_s, 2),
        ideal_posts=ideal_posts,
        no_digest_s=round(no_digest_seconds(arrived, RATE, BURST), 2),
        max_per_channel=max((len(t) for t in arrived.values()), default=0),
        rounds=rounds,
    )
