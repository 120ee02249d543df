"""What an orchestrator relies on, with real ``chatops-bot run`` processes on loopback:

- on SIGTERM ``/readyz`` turns 503 at once (``/healthz`` stays 200), accepted work drains
  within the stated bound (``bot.runner.DRAIN_SECONDS``), the poller lease is released to
  the other replica, and the process exits 0;
- a signal during start-up (here: waiting for the migration lock) exits 0 promptly;
- a replica whose warm-up failed becomes ready when the dependency comes back.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import aiohttp
import asyncpg

from bot.runner import DRAIN_SECONDS, running_bot
from bot.sandbox import Fault, RunningSandbox
from tests.deploy.conftest import POLL_SECONDS, SHUTDOWN_GRACE, Spawn, bot_env, free_port, until
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import bot_settings, dumps

SLOW = 3.0  # seconds the sandbox takes to answer a ticket read: the work in flight


async def lease_holder(db: str) -> str | None:
    conn = await asyncpg.connect(db)
    try:
        row = await conn.fetchrow(
            "SELECT holder, expires_at > now() AS live FROM leases WHERE name = 'poller'"
        )
    finally:
        await conn.close()
    return str(row["holder"]) if row is not None and row["live"] else None


async def test_sigterm_turns_readyz_503_drains_hands_the_lease_over_and_exits_0(
    spawn: Spawn,
    slack: FakeSlack,
    sandbox: RunningSandbox,
    http: aiohttp.ClientSession,
    pg_url: str,
    tmp_path: Path,
) -> None:
    env = bot_env(slack, sandbox, tmp_path / "data", DATABASE_URL=pg_url)
    a = await spawn("replica-a", env)
    await a.wait_ready(http)
    holder_a = await asyncio.wait_for(_first_holder(pg_url), 10)
    b = await spawn("replica-b", env)
    await b.wait_ready(http)
    assert await lease_holder(pg_url) == holder_a  # b waits for the lease

    sandbox.bruin.faults.set("ticket.details", Fault(latency=SLOW))
    key = await a.command(http, slack, "show 4503")  # acked; the card is still to come
    await until(lambda: sandbox.bruin.called("ticket.details"), 5, "the read started")

    signalled = time.monotonic()
    a.signal(signal.SIGTERM)
    took = await until(_answers(a, http, "/readyz", 503), 2, "/readyz 503 after SIGTERM")
    assert took < 0.5, f"/readyz took {took:.2f} s to turn 503"
    assert await a.get(http, "/readyz") == (503, {"status": "draining"})
    assert (await a.get(http, "/healthz") or (0,))[0] == 200  # alive: no liveness restart
    assert not [r for r in slack.responses if r.key == key], "the drain had nothing to wait for"

    code = await a.wait_exit(SHUTDOWN_GRACE)
    stopped_in = time.monotonic() - signalled
    assert code == 0, a.log()[-3000:]
    assert stopped_in < DRAIN_SECONDS, f"stopped in {stopped_in:.1f} s"
    # The command accepted before the signal was answered during the drain.
    cards = [dumps(r.body) for r in slack.responses if r.key == key]
    assert any("Ticket 4503" in card for card in cards), cards
    # The lease was released, not left to expire (it would live 1.5 poll intervals) ...
    assert await lease_holder(pg_url) != holder_a
    # ... so b takes it at its next ask (every half interval).
    await until(_holder_is_not(pg_url, holder_a), POLL_SECONDS / 2 + 2, "b takes the lease")
    drained = a.logged("drained")
    assert drained, a.log()[-3000:]
    assert drained[0]["abandoned"] == 0
    assert "Traceback" not in a.log()

    b.signal(signal.SIGTERM)
    assert await b.wait_exit(SHUTDOWN_GRACE) == 0
    assert await lease_holder(pg_url) is None


async def test_sigterm_while_waiting_for_the_migration_lock_exits_0(
    spawn: Spawn,
    slack: FakeSlack,
    sandbox: RunningSandbox,
    http: aiohttp.ClientSession,
    pg_url: str,
    tmp_path: Path,
) -> None:
    from tests.deploy.test_migrations import migration_in_progress, waiting_for_lock

    async with migration_in_progress(pg_url):
        c = await spawn("replica-c", bot_env(slack, sandbox, tmp_path / "d", DATABASE_URL=pg_url))
        await until(waiting_for_lock(pg_url), 20, "c waits for the migration lock")
        c.signal(signal.SIGTERM)
        assert await c.wait_exit(5) == 0, c.log()[-3000:]
    assert "Traceback" not in c.log()


async def test_a_failed_warm_up_is_retried_until_ready(
    sandbox: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    """Slack unreachable at start: /readyz 503 naming Slack, then 200 once it answers,
    without a restart (the orchestrator would otherwise route nothing to this replica)."""
    port = free_port()
    slack = FakeSlack()
    slack.url = f"http://127.0.0.1:{port}/"  # nothing listens there yet
    settings = bot_settings(sandbox.url, slack)
    async with running_bot(settings, host="127.0.0.1", port=0) as bot:
        base = f"http://127.0.0.1:{bot.port}"
        async with http.get(base + "/readyz") as resp:
            assert resp.status == 503
            assert "slack" in (await resp.json())["problems"]
        await slack.start(port=port)
        try:
            await until(_status(http, base + "/readyz", 200), 10, "ready after Slack returns")
        finally:
            await slack.stop()


# -- helpers --------------------------------------------------------------------------------


async def _first_holder(db: str) -> str:
    while True:
        holder = await lease_holder(db)
        if holder is not None:
            return holder
        await asyncio.sleep(0.05)


def _holder_is_not(db: str, holder: str):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        now = await lease_holder(db)
        return now is not None and now != holder

    return check


def _answers(process, http: aiohttp.ClientSession, path: str, status: int):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        answer = await process.get(http, path)
        return answer is not None and answer[0] == status

    return check


def _status(http: aiohttp.ClientSession, url: str, status: int):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        try:
            async with http.get(url) as resp:
                return resp.status == status
        except aiohttp.ClientError:
            return False

    return check
