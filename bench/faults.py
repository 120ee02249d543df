"""System faults with real processes: ``python -m bench.faults SCENARIO [--quick]``.

Every scenario runs real ``chatops-bot run`` processes (one or two replicas) on loopback
against the fake Slack and the Bruin sandbox served here, and a PostgreSQL database made for
the run (dropped after), then injects one fault while commands and notifications flow:

========================  ===================================================================
``kill9``                 two replicas; kill -9 of the poller-lease holder during a burst of
                          deliveries (the moment Slack has received one of its posts)
``pg-restart``            PostgreSQL stopped (fast shutdown) and started again under load, on
                          a private cluster made for the run (never the machine's server)
``slack-429``             Slack answers 429 + Retry-After on chat.postMessage for a minute
                          during a notification burst
``bruin-down``            Bruin refuses every connection for two minutes under load
``token-revoked``         Slack revokes the bot token mid-run (every call ``token_revoked``,
                          then the ``tokens_revoked`` event); the app is then reinstalled
``soak``                  30 minutes at a steady 10 commands/s with notifications; RSS, open
                          file descriptors and sockets sampled every 10 s
========================  ===================================================================

What is measured, for every scenario: each command's ack (status, time) and its answer at
the response URL (the ticket's card, one sentence, or nothing); each Bruin change (a
carrier's note on a watched ticket) against what reached every watching channel: posted
once, posted twice, or never (the outbox rows and the posts' message metadata, which name
the outbox ids each post carries). The goal is nothing lost and nothing twice.

``--quick`` shortens the fault (429s for 12 s, PostgreSQL down 5 s, Bruin down 15 s, soak
40 s): the test suite runs every scenario that way (tests/faults/test_system_faults.py).
Results go to ``bench/results/faults-<scenario>-<date>.json`` (quick runs' are not kept);
docs/RELIABILITY.md has the full runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from bench.harness import (
    BotProcess,
    bot_env,
    free_port,
    fresh_database,
    percentile,
    rss_mb,
    spawn,
    with_repo_path,
)
from bot.sandbox import (
    RunningSandbox,
    start_sandbox,
)
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_signing import event_body, signed_headers, slash_command_body

__all__ = ["SCENARIOS", "Report", "main", "run_scenario"]

RESULTS = Path(__file__).resolve().parent / "results"
PG_ADMIN = os.environ.get("CHATOPS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "faults-signing-secret-0123456789abcdef"
USER = "U0CALLER"
POLL_SECONDS = 5
"""The smallest CHATOPS_POLL_SECONDS: the lease lasts 7.5 s, other replicas ask every 2.5 s."""
WATCHERS = tuple(f"C0WATCH{n}" for n in range(6))
WATCHED = (4501, 4503, 4505, 4507)
"""Open tickets of the sandbox customer; every watching channel watches all of them."""
LOAD_TICKETS = (4499, 4501, 4503, 4504, 4505, 4507, 4508, 4510)
ANSWER_WAIT = 20.0
"""After the load, how long a command may still take to be answered before it counts as
unanswered."""
DRAIN_BOUND = 240.0
"""After the fault, how long the outbox may take to drain before what is left counts as lost."""


# -- the results ------------------------------------------------------------------------------


@dataclass
class Commands:
    """What happened to the commands sent during a scenario."""

    sent: int = 0
    acked: int = 0
    """HTTP 200 within Slack's 3 s."""
    refused: Counter[str] = field(default_factory=Counter)
    """Not acked, by cause (``HTTP 503``, ``connect``, ``slow ack``)."""
    cards: int = 0
    sentences: Counter[str] = field(default_factory=Counter)
    """Answered with one sentence instead of the card, by sentence."""
    unanswered: int = 0
    ack_ms: list[float] = field(default_factory=list, repr=False)
    answer_ms: list[float] = field(default_factory=list, repr=False)
    sentence_ms: list[float] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        def ms(values: list[float], p: float) -> float | None:
            found = percentile(values, p)
            return None if found is None else round(found, 1)

        return {
            "sent": self.sent,
            "acked": self.acked,
            "refused": dict(self.refused),
            "cards": self.cards,
            "sentences": dict(self.sentences),
            "unanswered": self.unanswered,
            "ack_p50_ms": ms(self.ack_ms, 50),
            "ack_p99_ms": ms(self.ack_ms, 99),
            "card_p50_ms": ms(self.answer_ms, 50),
            "card_p99_ms": ms(self.answer_ms, 99),
            "sentence_p99_ms": ms(self.sentence_ms, 99),
        }


@dataclass
class Deliveries:
    """Every Bruin change against every channel watching its ticket."""

    changes: int = 0
    expected: int = 0
    """changes x watching channels: posts owed."""
    delivered_once: int = 0
    duplicated: int = 0
    lost: int = 0
    states: dict[str, int] = field(default_factory=dict)
    posts: int = 0
    drained_s: float | None = None
    """Seconds from the end of the load to an empty outbox (everything owed posted)."""
    latency_s: dict[str, float | None] = field(default_factory=dict)
    """From a change made in Bruin to its post in a watching channel: p50, p99, max."""

    @property
    def nothing_lost(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.delivered_once == self.expected

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"nothing_lost": self.nothing_lost}


@dataclass
class Report:
    scenario: str
    quick: bool
    fault: dict[str, Any] = field(default_factory=dict)
    """What was injected, when, and what the bot did about it (times in seconds)."""
    commands: Commands = field(default_factory=Commands)
    deliveries: Deliveries = field(default_factory=Deliveries)
    samples: list[dict[str, Any]] = field(default_factory=list)
    log_events: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """Anything that breaks the scenario's promise, in words (empty: it held)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "quick": self.quick,
            "date": dt.date.today().isoformat(),
            "fault": self.fault,
            "commands": self.commands.to_json(),
            "deliveries": self.deliveries.to_json(),
            "samples": self.samples,
            "log_events": self.log_events,
            "problems": self.problems,
        }

    def lines(self) -> list[str]:
        c, d = self.commands, self.deliveries
        cj = c.to_json()
        out = [f"{self.scenario}{' (quick)' if self.quick else ''}: " + json.dumps(self.fault)]
        out.append(
            f"  commands: {c.sent} sent, {c.acked} acked (p99 {cj['ack_p99_ms']} ms), "
            f"refused {dict(c.refused) or 0}; {c.cards} cards (p99 {cj['card_p99_ms']} ms), "
            f"{sum(c.sentences.values())} one-sentence answers "
            f"(p99 {cj['sentence_p99_ms']} ms), {c.unanswered} unanswered"
        )
        for sentence, count in c.sentences.most_common(3):
            out.append(f"    {count} x {sentence[:110]}")
        out.append(
            f"  notifications: {d.changes} changes -> {d.expected} posts owed; delivered once "
            f"{d.delivered_once}, twice {d.duplicated}, lost {d.lost}; {d.posts} messages; "
            f"outbox {d.states}\n  change to post (s): {d.latency_s}; outbox empty "
            f"{d.drained_s} s after the load ended"
        )
        if self.samples:
            first, last = self.samples[0], self.samples[-1]
            out.append(f"  samples: first {first}\n           last  {last}")
        out.extend(f"  PROBLEM: {p}" for p in self.problems)
        out.append("  verdict: " + ("held" if not self.problems else "FAILED"))
        return out


# -- databases ----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def shared_database() -> AsyncIterator[str]:
    """A database made for the run on the machine's PostgreSQL (dropped after)."""
    if not PG_ADMIN.startswith("postgresql://postgres@127.0.0.1:"):
        raise SystemExit("bench.faults: loopback PostgreSQL only")
    async with fresh_database(PG_ADMIN) as url:
        yield url


def pg_bindir() -> Path | None:
    """Where PostgreSQL's server programs are (``CHATOPS_PG_BINDIR``, PATH, or Debian's
    versioned directory), or None."""
    given = os.environ.get("CHATOPS_PG_BINDIR")
    if given:
        return Path(given)
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return candidates[-1].parent if candidates else None


@dataclass
class PrivateCluster:
    """A PostgreSQL cluster of the run's own on a free loopback port, so it can be stopped
    and started without touching the machine's server. Run as ``postgres`` when this
    process is root (the server refuses to run as root)."""

    bindir: Path
    home: Path
    port: int = field(default_factory=free_port)

    @property
    def datadir(self) -> Path:
        return self.home / "data"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    async def _run(self, program: str, *args: str, timeout: float = 60.0) -> None:
        argv = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise RuntimeError(f"{program} did not finish within {timeout:g} s") from None
        if proc.returncode != 0:
            raise RuntimeError(f"{program} failed: {out.decode(errors='replace')[-800:]}")

    async def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
        await self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        await self.start()

    async def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=60"
        )
        await self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-l",
            str(self.home / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )

    async def stop(self, mode: str = "fast") -> None:
        await self._run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "-t", "30", "stop")


@contextlib.asynccontextmanager
async def private_database() -> AsyncIterator[tuple[str, PrivateCluster]]:
    bindir = pg_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        raise FaultSkipped("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        raise FaultSkipped("running as root without runuser: cannot start a private cluster")
    home = Path(tempfile.mkdtemp(prefix="chatops-pg-"))
    cluster = PrivateCluster(bindir=bindir, home=home)
    try:
        await cluster.create()
        async with fresh_database(cluster.admin_url) as url:
            yield url, cluster
    finally:
        with contextlib.suppress(Exception):
            await cluster.stop("immediate")
        shutil.rmtree(home, ignore_errors=True)


class FaultSkipped(Exception):
    """The scenario cannot run on this machine (the reason says why)."""


# -- the system under test ----------------------------------------------------------------------


@dataclass
class Sent:
    key: str
    ticket: int
    replica: str
    at: float
    status: int | None = None
    ack_s: float | None = None
    failure: str | None = None


@dataclass
class System:
    """The fakes, the database and the bot replicas of one run, and what was sent to them."""

    slack: FakeSlack
    sandbox: RunningSandbox
    db: str
    http: aiohttp.ClientSession
    workdir: Path
    started: float = field(default_factory=time.monotonic)
    replicas: dict[str, BotProcess] = field(default_factory=dict)
    out_of_rotation: set[str] = field(default_factory=set)
    sent: list[Sent] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    made_at: dict[str, float] = field(default_factory=dict)
    """When each change was made in Bruin (monotonic)."""
    _rr: int = 0

    def now(self) -> float:
        return round(time.monotonic() - self.started, 2)

    def env(self, port: int) -> dict[str, str]:
        return with_repo_path(
            bot_env(
                self.slack,
                self.sandbox.url,
                secret=SECRET,
                PORT=str(port),
                HOST="127.0.0.1",
                BRUIN_SANDBOX="false",  # as an install against the real Bruin runs
                BRUIN_TIMEOUT_SECONDS="5",
                CHATOPS_POLL_SECONDS=str(POLL_SECONDS),
                CHATOPS_WRITERS=USER,
                CHATOPS_RATE_READS_PER_MINUTE="0",  # one person sends every command
                DATABASE_URL=self.db,
                LOG_FORMAT="json",
            )
        )

    async def start_replica(self, name: str, *, variants: str = "") -> BotProcess:
        """``variants``: experiments of ``bench.variants`` to run the replica with."""
        data = self.workdir / name
        data.mkdir(exist_ok=True)
        env = self.env(free_port())
        env["CHATOPS_DATA_DIR"] = str(data)
        runner = ["bench.variants", variants] if variants else ["bot"]
        bot = await spawn(
            name,
            [sys.executable, "-m", *runner, "run"],
            env=env,
            cwd=data,
            log_path=self.workdir / f"{name}-{len(self.replicas)}.log",
        )
        self.replicas[name] = bot
        self.out_of_rotation.discard(name)
        await bot.wait_ready(self.http, timeout=60)
        return bot

    async def readyz(self, name: str) -> tuple[int, dict[str, Any]] | None:
        bot = self.replicas[name]
        try:
            async with self.http.get(
                bot.base + "/readyz", timeout=aiohttp.ClientTimeout(total=2)
            ) as resp:
                return resp.status, await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None

    async def leader(self) -> str | None:
        for name in self.replicas:
            answer = await self.readyz(name)
            if answer and (answer[1].get("poller") or {}).get("holds_lease"):
                return name
        return None

    async def wait_for(
        self, check: Callable[[], Awaitable[Any]], bound: float, *, every: float = 0.1
    ) -> tuple[float | None, Any]:
        """Seconds until ``check()`` is truthy (None if not within ``bound``), and its value."""
        start = time.monotonic()
        while time.monotonic() - start < bound:
            value = await check()
            if value:
                return round(time.monotonic() - start, 2), value
            await asyncio.sleep(every)
        return None, None

    # -- commands ------------------------------------------------------------------------------

    def _pick(self) -> list[str]:
        live = [
            n
            for n, bot in self.replicas.items()
            if bot.proc.returncode is None and n not in self.out_of_rotation
        ]
        self._rr += 1
        return live[self._rr % len(live) :] + live[: self._rr % len(live)] if live else []

    async def command(
        self, text: str, channel: str, ticket: int = 0, *, slash: str = "/ticket"
    ) -> Sent:
        """One signed slash command, sent the way a load balancer would: to the next replica
        in rotation, and to the one after it when the connection is refused (not when it
        was cut after the request went out: load balancers do not retry a POST then)."""
        key = f"f{len(self.sent):06d}"
        record = Sent(key=key, ticket=ticket, replica="", at=time.monotonic())
        self.sent.append(record)
        body = slash_command_body(
            command=slash,
            text=text,
            response_url=self.slack.response_url(key, user_id=USER),
            channel_id=channel,
            user_id=USER,
        )
        headers = signed_headers(
            body, secret=SECRET, content_type="application/x-www-form-urlencoded"
        )
        candidates = self._pick()
        if not candidates:
            record.failure = "no replica"
        for name in candidates:
            record.replica = name
            try:
                async with self.http.post(
                    self.replicas[name].base + "/slack/events",
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=3.0),  # Slack waits 3 s for an ack
                ) as resp:
                    await resp.read()
                    record.status = resp.status
                    record.ack_s = time.monotonic() - record.at
                    record.failure = None
                break
            except aiohttp.ClientConnectorError:  # never reached it: the next one may take it
                record.failure = "connect"
                continue
            except aiohttp.ClientConnectionError:  # cut after it was sent: a POST is not retried
                record.failure = "cut mid-request"
                break
            except TimeoutError:
                record.failure = "slow ack"
                break
        return record

    async def load(self, rate: float, seconds: float, prefix: str = "C0LOAD") -> None:
        """``/ticket show`` at a steady ``rate`` for ``seconds`` (open loop, bounded)."""
        tasks: set[asyncio.Task[Sent]] = set()
        start = time.monotonic()
        total = int(rate * seconds)
        for n in range(total):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            ticket = LOAD_TICKETS[n % len(LOAD_TICKETS)]
            task = asyncio.create_task(
                self.command(f"show {ticket}", f"{prefix}{n % 40:02d}", ticket)
            )
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=10)

    async def changes(self, every: float, seconds: float) -> None:
        """A carrier's note on a watched ticket every ``every`` seconds, for ``seconds``."""
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < seconds:
            self.change()
            n += 1
            await asyncio.sleep(max(0.0, start + n * every - time.monotonic()))

    def change(self) -> None:
        n = len(self.markers)
        marker = f"[fn-{n:05d}]"
        self.markers.append(marker)
        self.made_at[marker] = time.monotonic()
        ticket = WATCHED[n % len(WATCHED)]
        self.sandbox.bruin.add_carrier_note(ticket, f"{marker} carrier update: technician en route")

    async def watch_all(self) -> None:
        """Every watching channel watches every watched ticket (through the bot)."""
        for channel in WATCHERS:
            self.slack.add_channel(channel, member=True)
        for channel in WATCHERS:
            for ticket in WATCHED:
                sent = await self.command(f"watch {ticket}", channel, ticket)
                if sent.status != 200:  # watched: its card is posted in the channel
                    raise RuntimeError(
                        f"watch {ticket} in {channel}: HTTP {sent.status} {sent.failure}"
                    )
        self.sent.clear()  # set-up, not load: the watch cards are posted in the channel
        owed = len(WATCHERS) * len(WATCHED)

        async def stored() -> bool:
            conn = await asyncpg.connect(self.db, timeout=5)
            try:
                return int(await conn.fetchval("SELECT count(*) FROM watches")) >= owed
            finally:
                await conn.close()

        took, _ = await self.wait_for(stored, 20, every=0.2)
        if took is None:
            raise RuntimeError(f"the {owed} watches were not stored within 20 s")
        await asyncio.sleep(1.0)  # each watch's baseline is read right after it is stored

    # -- what came of it -----------------------------------------------------------------------

    async def answers(self, bound: float = ANSWER_WAIT) -> Commands:
        """Wait (bounded) for every acked command's answer; then sum up."""

        def answered() -> dict[str, Any]:
            first: dict[str, Any] = {}
            for r in self.slack.responses:
                first.setdefault(r.key, r)
            return first

        async def all_in() -> bool:
            got = answered()
            return all(s.key in got for s in self.sent if s.status == 200)

        await self.wait_for(all_in, bound, every=0.25)
        got = answered()
        out = Commands(sent=len(self.sent))
        for s in self.sent:
            if s.status != 200:
                out.refused[s.failure or f"HTTP {s.status}"] += 1
                continue
            out.acked += 1
            out.ack_ms.append((s.ack_s or 0.0) * 1000)
            r = got.get(s.key)
            if r is None:
                out.unanswered += 1
                continue
            text = json.dumps(r.body)
            took = (r.at - s.at) * 1000
            if ":warning:" in text or "went wrong" in text:
                out.sentences[str(r.body.get("text") or "")[:200]] += 1
                out.sentence_ms.append(took)
            else:
                out.cards += 1
                out.answer_ms.append(took)
        return out

    async def deliveries(self) -> Deliveries:
        """Every change (marker) against every watching channel: its outbox rows, and the
        posts whose metadata carry those rows' ids."""
        conn = await asyncpg.connect(self.db, timeout=5)
        try:
            rows = await conn.fetch("SELECT id, channel_id, kind, state, payload FROM outbox")
        finally:
            await conn.close()
        states: Counter[str] = Counter(str(r["state"]) for r in rows)
        by_pair: dict[tuple[str, str], list[int]] = {}
        marker_of: dict[int, str] = {}
        for r in rows:
            payload = r["payload"]
            if isinstance(payload, str):
                payload = json.loads(payload)
            text = str(((payload or {}).get("note") or {}).get("text") or "")
            if text.startswith("[fn-"):
                by_pair.setdefault((text[:10], str(r["channel_id"])), []).append(int(r["id"]))
                marker_of[int(r["id"])] = text[:10]
        latency: list[float] = []
        for call in self.slack.calls_to("chat.postMessage"):
            if call.status != 200 or call.error:
                continue
            meta = call.params.get("metadata")
            if isinstance(meta, str):
                meta = json.loads(meta)
            for i in ((meta or {}).get("event_payload") or {}).get("outbox_ids") or []:
                marker = marker_of.get(int(i))
                if marker in self.made_at:
                    latency.append(call.at - self.made_at[marker])
        carried: Counter[tuple[str, int]] = Counter()
        posts = 0
        for message in self.slack.messages.values():
            ids = ((message.metadata or {}).get("event_payload") or {}).get("outbox_ids") or []
            if ids:
                posts += 1
            for i in ids:
                carried[(message.channel, int(i))] += 1
        out = Deliveries(changes=len(self.markers), states=dict(states), posts=posts)
        for name, p in (("p50", 50), ("p99", 99), ("max", 100)):
            found = percentile(latency, p)
            out.latency_s[name] = None if found is None else round(found, 2)
        for marker in self.markers:
            for channel in WATCHERS:
                out.expected += 1
                times = sum(carried[(channel, i)] for i in by_pair.get((marker, channel), []))
                if times == 0:
                    out.lost += 1
                elif times == 1:
                    out.delivered_once += 1
                else:
                    out.duplicated += 1
        return out

    async def drain(self, bound: float = DRAIN_BOUND) -> tuple[float | None, Deliveries]:
        """Wait until every change is posted once in every watching channel (bounded)."""

        async def done() -> Deliveries | None:
            found = await self.deliveries()
            return found if found.nothing_lost else None

        took, found = await self.wait_for(done, bound, every=0.5)
        return took, found if found is not None else await self.deliveries()

    def sample(self) -> dict[str, Any]:
        """RSS (MiB), open file descriptors and sockets of every live replica."""
        out: dict[str, Any] = {"t": self.now()}
        for name, bot in self.replicas.items():
            if bot.proc.returncode is not None:
                continue
            fds = sockets = 0
            with contextlib.suppress(OSError):
                for fd in os.listdir(f"/proc/{bot.pid}/fd"):
                    fds += 1
                    with contextlib.suppress(OSError):
                        sockets += os.readlink(f"/proc/{bot.pid}/fd/{fd}").startswith("socket:")
            rss = rss_mb(bot.pid)
            out[name] = {"rss_mb": round(rss, 1) if rss else None, "fds": fds, "sockets": sockets}
        return out

    def logs(self) -> dict[str, dict[str, int]]:
        return {name: bot.log_events() for name, bot in self.replicas.items()}


@contextlib.asynccontextmanager
async def system(db: str, workdir: Path) -> AsyncIterator[System]:
    sandbox = await start_sandbox(port=0)
    slack = FakeSlack()
    await slack.start()
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
    sys_ = System(slack=slack, sandbox=sandbox, db=db, http=http, workdir=workdir)
    try:
        yield sys_
    finally:
        await asyncio.gather(*(bot.stop(timeout=30) for bot in sys_.replicas.values()))
        await http.close()
        await slack.stop()
        await sandbox.stop()


def _finish(report: Report, sys_: System) -> None:
    report.log_events = sys_.logs()
    for name, events in report.log_events.items():
        tracebacks = sum(n for e, n in events.items() if "Traceback" in e)
        if tracebacks:
            report.problems.append(f"{name} logged {tracebacks} tracebacks")
    recovered = sum(events.get("recovered", 0) for events in report.log_events.values())
    report.fault["in_doubt_posts_checked"] = recovered
    d = report.deliveries
    if d.lost:
        report.problems.append(f"{d.lost} of {d.expected} notifications never posted")
    if d.duplicated:
        report.problems.append(f"{d.duplicated} notifications posted more than once")
    if d.states.get("failed"):
        report.problems.append(f"{d.states['failed']} outbox entries given up as failed")


# -- the scenarios ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    load_s: float
    fault_at_s: float
    fault_s: float


async def kill9(sys_: System, report: Report, quick: bool) -> None:
    """Two replicas; kill -9 the lease holder the moment Slack receives one of its posts."""
    await sys_.start_replica("replica-a")
    await sys_.wait_for(sys_.leader, 15)
    await sys_.start_replica("replica-b")
    await sys_.watch_all()
    first_leader = await sys_.leader()
    if first_leader is None:
        raise RuntimeError("no replica holds the poller lease")
    load_s = 40.0 if quick else 60.0
    load = asyncio.create_task(sys_.load(10, load_s))
    notes = asyncio.create_task(sys_.changes(0.25, load_s - 15))
    await asyncio.sleep(8)
    posts_before = len(sys_.slack.calls_to("chat.postMessage"))

    async def a_post_arrives() -> bool:
        return len(sys_.slack.calls_to("chat.postMessage")) > posts_before

    waited, _ = await sys_.wait_for(a_post_arrives, 30, every=0.002)
    victim = sys_.replicas[first_leader]
    victim.proc.kill()  # SIGKILL: no drain, no lease release, mid-delivery
    killed_at = sys_.now()
    await victim.proc.wait()
    sys_.out_of_rotation.add(first_leader)
    survivor = next(n for n in sys_.replicas if n != first_leader)

    async def survivor_leads() -> bool:
        answer = await sys_.readyz(survivor)
        return bool(answer and (answer[1].get("poller") or {}).get("holds_lease"))

    takeover, _ = await sys_.wait_for(survivor_leads, 30)
    await asyncio.gather(load, notes)
    drained, report.deliveries = await sys_.drain()
    report.deliveries.drained_s = drained
    report.commands = await sys_.answers()
    lost_in_flight = sum(
        1
        for s in sys_.sent
        if s.replica == first_leader
        and s.status == 200
        and s.key not in {r.key for r in sys_.slack.responses}
    )
    report.fault = {
        "killed": "lease holder",
        "killed_at_s": killed_at,
        "waited_for_a_post_s": waited,
        "posts_before_kill": posts_before,
        "lease_s": POLL_SECONDS * 1.5,
        "takeover_s": takeover,
        "commands_in_flight_on_the_killed_replica": lost_in_flight,
        "commands_cut_mid_request": sum(1 for s in sys_.sent if s.failure == "cut mid-request"),
    }
    if takeover is None:
        report.problems.append("the surviving replica never took the poller lease")
    survivors_unanswered = report.commands.unanswered - lost_in_flight
    if survivors_unanswered:
        report.problems.append(f"{survivors_unanswered} commands acked by the survivor unanswered")


async def pg_restart(sys_: System, report: Report, quick: bool, cluster: PrivateCluster) -> None:
    """PostgreSQL stopped (fast shutdown: every connection cut) and started again."""
    down_s = 5.0 if quick else 15.0
    await sys_.start_replica("replica-a")
    await sys_.start_replica("replica-b")
    await sys_.watch_all()
    load = asyncio.create_task(sys_.load(10, 30 + down_s))
    notes = asyncio.create_task(sys_.changes(0.5, 20 + down_s))
    await asyncio.sleep(8)
    stopped_at = sys_.now()
    await cluster.stop("fast")
    writes = [
        await sys_.command(
            f"add {WATCHED[0]} written while the database is down", "C0WRITE", slash="/note"
        )
    ]
    readiness: Counter[str] = Counter()
    until = time.monotonic() + down_s
    while time.monotonic() < until:
        for name in sys_.replicas:
            answer = await sys_.readyz(name)
            readiness[f"{answer[0]} {answer[1].get('status')}" if answer else "no answer"] += 1
        await asyncio.sleep(0.5)
    await cluster.start()
    back_at = sys_.now()
    posts_at_back = len(sys_.slack.calls_to("chat.postMessage"))

    async def a_post_after() -> bool:
        return len(sys_.slack.calls_to("chat.postMessage")) > posts_at_back

    resumed, _ = await sys_.wait_for(a_post_after, 60)
    ready: dict[str, float | None] = {}
    for name in sys_.replicas:

        async def is_ready(name: str = name) -> bool:
            answer = await sys_.readyz(name)
            return bool(answer and answer[0] == 200)

        ready[name], _ = await sys_.wait_for(is_ready, 30)
    await asyncio.gather(load, notes)
    drained, report.deliveries = await sys_.drain()
    report.deliveries.drained_s = drained
    report.commands = await sys_.answers()
    during = [s for s in sys_.sent if stopped_at <= s.at - sys_.started <= back_at]
    got = {r.key: r for r in sys_.slack.responses}
    report.fault = {
        "stopped_at_s": stopped_at,
        "down_s": round(back_at - stopped_at, 1),
        "readyz_during_outage": dict(readiness),
        "write_during_outage_answered": [
            str(got[w.key].body.get("text"))[:160] if w.key in got else None for w in writes
        ],
        "commands_during_outage": len(during),
        "acked_during_outage": sum(1 for s in during if s.status == 200),
        "notifications_resumed_s_after_start": resumed,
        "ready_again_s_after_start": ready,
    }
    if report.commands.unanswered:
        report.problems.append(f"{report.commands.unanswered} acked commands never answered")


async def slack_429(sys_: System, report: Report, quick: bool) -> None:
    """chat.postMessage answers 429 + Retry-After for a minute during a notification burst."""
    window, retry_after = (12.0, 2) if quick else (60.0, 5)
    await sys_.start_replica("replica-a")
    await sys_.watch_all()
    sys_.slack.rate_limit_for("chat.postMessage", window, retry_after=retry_after)
    started = sys_.now()
    load = asyncio.create_task(sys_.load(5, window + 10))
    await sys_.changes(0.25, min(window, 20))
    await load
    drained, report.deliveries = await sys_.drain()
    report.deliveries.drained_s = drained
    report.commands = await sys_.answers()
    limited = [c for c in sys_.slack.calls_to("chat.postMessage") if c.status == 429]
    posts = [c.at for c in sys_.slack.calls_to("chat.postMessage") if c.status == 200]
    window_end = started + window
    report.fault = {
        "window_s": window,
        "retry_after_s": retry_after,
        "started_at_s": started,
        "answered_429": len(limited),
        "last_post_s_after_the_window": round(max(posts) - sys_.started - window_end, 2)
        if posts
        else None,
    }


async def bruin_down(sys_: System, report: Report, quick: bool) -> None:
    """Bruin refuses every connection (its listener closed, open connections cut)."""
    down_s = 15.0 if quick else 120.0
    await sys_.start_replica("replica-a")
    await sys_.watch_all()
    load = asyncio.create_task(sys_.load(10, down_s + 25))
    notes = asyncio.create_task(sys_.changes(1.0, down_s + 15))
    await asyncio.sleep(8)
    went_down = sys_.now()
    port = await _bruin_off(sys_.sandbox)
    await asyncio.sleep(down_s)
    await _bruin_on(sys_.sandbox, port)
    back = sys_.now()
    await asyncio.gather(load, notes)
    drained, report.deliveries = await sys_.drain()
    report.deliveries.drained_s = drained
    report.commands = await sys_.answers()
    during = [s for s in sys_.sent if went_down + 1 <= s.at - sys_.started <= back]
    got = {r.key: r for r in sys_.slack.responses}
    said = [
        (got[s.key].at - s.at) * 1000
        for s in during
        if s.key in got and ":warning:" in json.dumps(got[s.key].body)
    ]
    report.fault = {
        "down_at_s": went_down,
        "down_s": round(back - went_down, 1),
        "commands_during_outage": len(during),
        "answered_with_a_sentence": len(said),
        "sentence_p50_ms": percentile(said, 50),
        "sentence_p99_ms": percentile(said, 99),
    }
    if report.commands.unanswered:
        report.problems.append(f"{report.commands.unanswered} acked commands never answered")


async def _bruin_off(sandbox: RunningSandbox) -> int:
    runner = sandbox.runner
    port = int(runner.addresses[0][1])
    for site in list(runner.sites):
        await site.stop()
    if runner.server is not None:  # cut the kept-alive connections too: down, not draining
        await runner.server.shutdown(0.1)
    return port


async def _bruin_on(sandbox: RunningSandbox, port: int) -> None:
    site = web.TCPSite(sandbox.runner, "127.0.0.1", port, reuse_address=True)
    await site.start()


async def token_revoked(sys_: System, report: Report, quick: bool) -> None:
    """The workspace revokes the bot token mid-run; later the app is reinstalled."""
    await sys_.start_replica("replica-a")
    await sys_.start_replica("replica-b")
    await sys_.watch_all()
    load = asyncio.create_task(sys_.load(5, 25))
    notes = asyncio.create_task(sys_.changes(0.5, 20))
    await asyncio.sleep(8)
    revoked_at = sys_.now()
    sys_.slack.revoke_tokens()
    await asyncio.sleep(1.0)  # the event comes a moment after the token stops working
    event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [sys_.slack.bot_user_id]}}
    body = event_body(event, event_id="Ev" + uuid.uuid4().hex[:10].upper())
    headers = signed_headers(body, secret=SECRET, content_type="application/json")
    first = next(iter(sys_.replicas.values()))
    async with sys_.http.post(first.base + "/slack/events", data=body, headers=headers) as resp:
        event_status = resp.status
    unready: dict[str, float | None] = {}
    for name in sys_.replicas:

        async def revoked(name: str = name) -> bool:
            answer = await sys_.readyz(name)
            return bool(answer and answer[0] == 503 and answer[1].get("status") == "revoked")

        unready[name], _ = await sys_.wait_for(revoked, 30)
    await asyncio.gather(load, notes)
    before = await sys_.deliveries()
    # Reinstall: a new token; the operator updates SLACK_BOT_TOKEN and restarts the replicas.
    sys_.slack.bot_token = "xoxb-fake-reinstalled-" + uuid.uuid4().hex[:8]
    await asyncio.gather(*(bot.stop(timeout=30) for bot in sys_.replicas.values()))
    reinstalled_at = sys_.now()
    for name in list(sys_.replicas):
        await sys_.start_replica(name)
    drained, report.deliveries = await sys_.drain()
    report.deliveries.drained_s = drained
    report.commands = await sys_.answers()
    report.fault = {
        "revoked_at_s": revoked_at,
        "event_answered": event_status,
        "readyz_503_revoked_within_s": unready,
        "owed_at_revocation_end": before.expected - before.delivered_once,
        "failed_at_revocation_end": before.states.get("failed", 0),
        "reinstalled_at_s": reinstalled_at,
        "drained_s_after_reinstall": drained,
    }
    if any(v is None for v in unready.values()):
        report.problems.append(f"a replica kept /readyz 200 after the revocation: {unready}")


async def soak(sys_: System, report: Report, quick: bool) -> None:
    """A steady 10 commands/s with notifications; RSS, fds and sockets sampled."""
    seconds, every = (40.0, 4.0) if quick else (1800.0, 10.0)
    await sys_.start_replica("replica-a")
    await sys_.start_replica("replica-b")
    await sys_.watch_all()
    load = asyncio.create_task(sys_.load(10, seconds))
    notes = asyncio.create_task(sys_.changes(2.0, seconds - 5))
    start = time.monotonic()
    while not load.done() and time.monotonic() - start < seconds + 30:
        report.samples.append(sys_.sample())
        await asyncio.sleep(every)
    await asyncio.gather(load, notes)
    report.samples.append(sys_.sample())
    drained, report.deliveries = await sys_.drain()
    report.deliveries.drained_s = drained
    report.commands = await sys_.answers()
    report.fault = {"seconds": seconds, "rate": 10, "note_every_s": 2.0} | _growth(report.samples)
    if report.commands.unanswered:
        report.problems.append(f"{report.commands.unanswered} acked commands never answered")
    if not quick:
        for name, grew in report.fault["growth"].items():
            if grew["rss_mb"] > 15 or grew["fds"] > 20:
                report.problems.append(f"{name} grew over the soak: {grew}")


def _growth(samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per replica: the figures at 10% of the run (after warm-up) against the last sample."""
    if len(samples) < 3:
        return {"growth": {}}
    early, last = samples[max(1, len(samples) // 10)], samples[-1]
    growth: dict[str, Any] = {}
    for name, figures in last.items():
        if name == "t" or name not in early:
            continue
        growth[name] = {
            k: round((figures[k] or 0) - (early[name][k] or 0), 1)
            for k in ("rss_mb", "fds", "sockets")
        }
    return {"growth": growth, "early_sample": early, "last_sample": last}


Scenario = Callable[..., Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {
    "kill9": kill9,
    "pg-restart": pg_restart,
    "slack-429": slack_429,
    "bruin-down": bruin_down,
    "token-revoked": token_revoked,
    "soak": soak,
}


async def run_scenario(name: str, *, quick: bool, workdir: Path) -> Report:
    """Run one scenario end to end and say what held."""
    report = Report(scenario=name, quick=quick)
    scenario = SCENARIOS[name]
    if name == "pg-restart":
        async with private_database() as (db, cluster), system(db, workdir) as sys_:
            try:
                await scenario(sys_, report, quick, cluster)
            finally:
                _finish(report, sys_)
        return report
    async with shared_database() as db, system(db, workdir) as sys_:
        try:
            await scenario(sys_, report, quick)
        finally:
            _finish(report, sys_)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenarios", nargs="+", choices=[*SCENARIOS, "all"])
    parser.add_argument("--quick", action="store_true", help="short faults (as the tests run)")
    args = parser.parse_args(argv)
    names = list(SCENARIOS) if "all" in args.scenarios else args.scenarios
    failed = 0
    RESULTS.mkdir(exist_ok=True)
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"chatops-faults-{name}-") as tmp:
            try:
                report = asyncio.run(run_scenario(name, quick=args.quick, workdir=Path(tmp)))
            except FaultSkipped as exc:
                print(f"{name}: SKIPPED: {exc}")
                failed += 1
                continue
        print("\n".join(report.lines()), flush=True)
        failed += bool(report.problems)
        suffix = "-quick" if args.quick else ""
        out = RESULTS / f"faults-{name}{suffix}-{dt.date.today().isoformat()}.json"
        out.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
