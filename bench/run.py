"""The benchmark (GitHub issue 13): ``python -m bench.run`` prints one table per traffic
shape and writes ``bench/results/<YYYY-MM-DD>.json``.

What it runs, each part bounded in count and time, loopback only:

1. **Slash commands, by traffic shape.** ``chatops-bot run`` (HTTP mode) runs as a
   subprocess against the Bruin sandbox (every API route slowed by ``--latency`` seconds,
   the token route not) and a fake Slack, both served by this process. Signed
   ``/ticket show <id>`` commands arrive at a fixed rate, open loop, from a load generator
   in its own process (``bench/loadgen.py``), each from a channel of its own unless
   ``--channels one``. ``--tickets`` picks the shapes:

   * ``unique``: every command a ticket no other command of the trial asks for (from a
     pool of ~1,000; the pool is cycled only past that many commands, seconds after the
     first read of a ticket ended), so no read can be shared;
   * ``hot``: 80% of the commands on 20 hot tickets, the other 20% as ``unique``;
   * ``same``: every command the same ticket (the herd: one backend read answers many).

   Measured per trial: the ack (HTTP answer), the final result at its ``response_url``,
   overhead (the time the bot adds to the backend wait the command actually had), the
   bot's CPU per command, token requests, RSS idle and under load, spawn-to-ready.
2. **The naive baseline** (``bench/naive_bot.py``, never shipped) under the same load, in
   the same run.
3. **Capacity.** For each shape and each bot: the highest rate at which every command gets
   its ticket (acked with 200 within Slack's 3 s, the card at Slack) and overhead p99 stays
   <= ``OVERHEAD_LIMIT_MS``. Found by doubling from ``--start-rate`` until a trial fails,
   then ``--steps`` bisections; every trial is a fresh bot process, sandbox and fake Slack.
   Then ours once more at 50% of its capacity, and at 2x (``--skip-overload`` to skip):
   past capacity every command must still be acked within 3 s and get its card or one
   "busy" sentence, nothing lost.
4. **Notification fan-out** (``bench/fanout.py``): changes into many channels through the
   real outbox and ``Delivery``, with the fake Slack allowing ~1 post/s/channel.

``--rate R`` skips the search: one trial per shape and bot at R (for experiments,
``--variant`` and ``--profile``). ``--smoke`` is the short run CI does.

Exit status: a full run exits 1 when a target of issue 13 is missed (usable as a gate);
``--smoke`` exits 0 whenever the benchmark worked end to end; either exits 2 when the
benchmark itself broke.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import json
import os
import platform
import random
import re
import secrets
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiohttp

from bench.fanout import FanoutResult, run_fanout
from bench.harness import (
    REPO,
    BenchError,
    BotProcess,
    TimedSandbox,
    add_bench_tickets,
    bot_env,
    clean_env,
    cpu_seconds,
    file_tail,
    free_port,
    machine_busy_seconds,
    percentile,
    rss_mb,
    spawn,
    start_timed_sandbox,
    with_repo_path,
)
from bench.loadgen import Command, Plan
from bench.loadgen import parse_result as parse_loadgen_result
from bench.profile import summarise_profile
from bench.variants import VARIANTS
from bot.logging import configure_logging
from bot.sandbox import SANDBOX_CUSTOMER_ID, Fault
from tests.fakes.slack import FakeSlack, ResponseUrlCall

Kind = Literal["ours", "naive"]
SHAPES = ("unique", "hot", "same")
HOT_TICKETS = 20
HOT_SHARE = 0.8
POOL = 1000
"""Distinct tickets added to the sandbox for ``unique`` and ``hot`` (see add_bench_tickets)."""

RESULTS = Path(__file__).resolve().parent / "results"
CHANNEL = "C0B"
"""Prefix of the per-command channel ids (``C0B0000001``…), or the one channel."""
SLACK_ACK_LIMIT = 3.0
"""Slack shows the user a timeout when the ack takes longer than this."""
ANSWER_LIMIT = 10.0
"""Past capacity, a command must have its card or a "busy" sentence within this."""
OVERHEAD_LIMIT_MS = 100.0
"""A rate is within capacity when overhead p99 stays at or under this (and nothing fails)."""
REQUEST_TIMEOUT = 10.0
IDLE_SECONDS = 1.5
"""Warm and idle before the load: RSS idle and the idle CPU rate are measured here."""
RESULT_GRACE = 15.0
"""Seconds after the last command (beyond the backend latency) to wait for results."""
_BUSY = re.compile(r"\b(busy|restarting)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Params:
    shapes: tuple[str, ...]
    channels: str
    latency: float
    duration: float
    rate: float | None
    """A fixed rate (one trial per shape and bot), or None: the capacity search."""
    start_rate: float
    max_rate: float
    steps: int
    smoke: bool
    naive: bool
    overload: bool
    fanout: bool
    variants: tuple[str, ...]
    seed: int
    fanout_entries: int
    fanout_channels: int
    fanout_arrival: float
    profile: bool


@dataclass
class BotFigures:
    """One trial: one bot, one shape, one rate."""

    name: str
    shape: str = ""
    rate: float = 0.0
    sent: int = 0
    carded: int = 0
    """Commands whose result was the ticket's card (within Slack's ack limit for the ack)."""
    ack_p50_ms: float | None = None
    ack_p95_ms: float | None = None
    ack_p99_ms: float | None = None
    ack_max_ms: float | None = None
    result_p50_ms: float | None = None
    result_p99_ms: float | None = None
    overhead_p50_ms: float | None = None
    overhead_p99_ms: float | None = None
    token_requests: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    """Every command, one of: card (within ANSWER_LIMIT), late card, busy (told to try
    again), error (another sentence), late ack (> 3 s), no ack, lost (acked, no result)."""
    rss_idle_mb: float | None = None
    rss_load_mb: float | None = None
    ready_s: float | None = None
    backend_calls: int = 0
    send_lag_max_ms: float = 0.0
    working_messages: int = 0
    server_ack_share: dict[str, float] = field(default_factory=dict)
    overhead_parts_ms: dict[str, float | None] = field(default_factory=dict)
    """Overhead split: sending the command -> its own backend read (0 when it joined a read
    in flight), and the backend's answer -> the result at Slack."""
    cpu_ms_per_command: float | None = None
    """The bot process's CPU time (all threads) over the load, less its idle rate, per
    command sent."""
    cpu_idle_cores: float | None = None
    cpu_system_share: float | None = None
    bench_cpu_share: float | None = None
    """The bench process's CPU use (the Bruin sandbox and the fake Slack) over the load and
    the wait for results, in cores: near 1.0 means the fakes were the bottleneck."""
    loadgen_cpu_share: float | None = None
    fakes_lag_ms: dict[str, float | None] = field(default_factory=dict)
    """The bench process's own event-loop lag over the load (p99, max): the fakes answer
    late by that much, and it counts as the bot's overhead."""
    other_cpu_cores: float | None = None
    """CPU the rest of the machine took over the trial (all cores busy, less the bot, the
    fakes and the load generator), in cores: other work on this 2-core machine makes a
    trial's latencies noisy, and the capacity search repeats a failed trial it spoiled."""
    exit_code: int | None = None
    """0 = stopped cleanly on SIGTERM; -9 = had to be killed 30 s after SIGTERM."""
    log_events: dict[str, int] = field(default_factory=dict)
    profile: str | None = None
    """Where the cProfile summary of this trial went (``--profile``)."""

    def value(self, metric: str) -> float | None:
        found = getattr(self, metric)
        return float(found) if isinstance(found, int | float) else None

    @property
    def within_capacity(self) -> bool:
        """Every command got its ticket and overhead p99 stayed within the limit."""
        return (
            self.sent > 0
            and self.errors == 0
            and self.carded == self.sent
            and self.overhead_p99_ms is not None
            and self.overhead_p99_ms <= OVERHEAD_LIMIT_MS
        )

    @property
    def degraded_gracefully(self) -> bool:
        """Past capacity: all acked within 3 s; each a card or "busy" within 10 s; none lost."""
        bad = ("late ack", "no ack", "lost", "error", "late card")
        return self.sent > 0 and not any(self.outcomes.get(k) for k in bad)


# -- the traffic ----------------------------------------------------------------------------


def ticket_sequence(
    shape: str, count: int, hot: Sequence[int], pool: Sequence[int], seed: int
) -> list[int]:
    """The ticket of each command, in order, for a traffic shape."""
    rng = random.Random(seed)
    order = list(pool)
    rng.shuffle(order)
    fresh = (order[i % len(order)] for i in range(count))
    if shape == "same":
        return [hot[0]] * count
    if shape == "unique":
        return list(fresh)
    if shape == "hot":
        return [rng.choice(hot) if rng.random() < HOT_SHARE else next(fresh) for _ in range(count)]
    raise ValueError(f"unknown traffic shape {shape!r}")


# -- one bot under load ---------------------------------------------------------------------


def _final_result(calls: Sequence[ResponseUrlCall]) -> ResponseUrlCall | None:
    """The answer that is not the interim "Working on it…" notice."""
    for call in calls:
        body = call.body
        working = str(body.get("text", "")).startswith("Working on it") and not body.get("blocks")
        if not working and not body.get("delete_original"):
            return call
    return None


def _is_card(payload: Any, ticket: int) -> bool:
    text = json.dumps(payload, ensure_ascii=False)
    return f"Ticket {ticket}" in text and ":warning:" not in text and "not found" not in text


def _is_busy(payload: Any) -> bool:
    return bool(_BUSY.search(json.dumps(payload, ensure_ascii=False)))


def _bot_argv(kind: Kind, params: Params) -> list[str]:
    if kind == "naive":
        return [sys.executable, "-m", "bench.naive_bot"]
    variants = [*params.variants, *(["cprofile"] if params.profile else [])]
    if variants:  # experiments: the same bot with a change monkeypatched in
        return [sys.executable, "-m", "bench.variants", ",".join(variants), "run"]
    return [sys.executable, "-m", "bot", "run"]


@dataclass
class LoadGen:
    """``python -m bench.loadgen`` (the load generator) running as a child process."""

    proc: asyncio.subprocess.Process
    out: Path
    log_path: Path
    deadline: float

    def stderr_tail(self, lines: int = 8, width: int = 300) -> str:
        return file_tail(self.log_path, lines, width)

    def fail(self, why: str) -> BenchError:
        tail = self.stderr_tail()
        return BenchError(f"load generator {why}" + (f":\n{tail}" if tail else ""))

    async def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), 5)


async def _start_loadgen(
    bot: BotProcess,
    slack: FakeSlack,
    tickets: Sequence[int],
    rate: float,
    params: Params,
    secret: str,
    workdir: Path,
) -> LoadGen:
    """Spawn the load generator, hand it its plan and wait (bounded) until it is set up.

    The response_urls of all the commands it may send are registered here (the fake Slack
    lives in this process); the generator forms each as ``response_url_base + key``.
    """
    base = ""
    for i in range(len(tickets)):
        key = f"{bot.name}-{i}"
        url = slack.response_url(key, user_id="U0CALLER")
        base = base or url.removesuffix(key)
        if url != base + key:
            raise BenchError(f"unexpected response_url shape: {url}")
    out = workdir / f"{bot.name}-loadgen.json"
    plan = Plan(
        url=bot.base + "/slack/events",
        secret=secret,
        rate=rate,
        commands=len(tickets),
        duration=params.duration,
        tickets=tuple(tickets),
        key_prefix=bot.name,
        response_url_base=base,
        channel=CHANNEL,
        channels=params.channels,
        request_timeout=REQUEST_TIMEOUT,
        out=str(out),
    )
    env = with_repo_path(clean_env())
    log_path = workdir / f"{bot.name}-loadgen.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.loadgen",
            env=env,
            cwd=REPO,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
        )
    gen = LoadGen(
        proc=proc,
        out=out,
        log_path=log_path,
        deadline=time.monotonic() + params.duration + REQUEST_TIMEOUT + 30.0,
    )
    try:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(json.dumps(plan.to_json()).encode() + b"\n")
        await proc.stdin.drain()
        line = await asyncio.wait_for(proc.stdout.readline(), gen.deadline - time.monotonic())
        if line.strip() != b"ready":
            await asyncio.wait_for(proc.wait(), 5)
            raise gen.fail(f"did not start (exit code {proc.returncode})")
    except TimeoutError:
        await gen.kill()
        raise gen.fail("did not start in time") from None
    except OSError as exc:  # e.g. a broken pipe: it died before reading its plan
        await gen.kill()
        raise gen.fail(f"did not start ({exc!r})") from exc
    except BaseException:
        await gen.kill()
        raise
    return gen


async def _run_loadgen(
    gen: LoadGen, bot: BotProcess, rss: list[float]
) -> tuple[list[Command], float, float | None]:
    """Let the generator go; sample the bot's RSS every 0.25 s until it exits (bounded).

    Returns the commands, the generator's max send lag (s) and its CPU share (cores).
    """
    proc = gen.proc
    try:
        assert proc.stdin is not None
        try:
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
            proc.stdin.close()
        except OSError as exc:
            raise gen.fail(f"died before the load ({exc!r})") from exc
        waiter = asyncio.ensure_future(proc.wait())
        try:
            while not waiter.done():
                sample = rss_mb(bot.pid)
                if sample is not None:
                    rss.append(sample)
                left = gen.deadline - time.monotonic()
                if left <= 0:
                    raise gen.fail("did not finish in time")
                await asyncio.wait({waiter}, timeout=min(0.25, left))
        finally:
            waiter.cancel()
        if proc.returncode != 0:
            raise gen.fail(f"exited with {proc.returncode}")
        try:
            doc = json.loads(await asyncio.to_thread(gen.out.read_text))
            return parse_loadgen_result(doc)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise gen.fail(f"wrote no usable results ({exc})") from exc
    finally:
        await gen.kill()


async def _await_results(
    slack: FakeSlack,
    commands: Sequence[Command],
    deadline: float,
    bot: BotProcess,
    rss: list[float],
) -> dict[str, ResponseUrlCall]:
    """Wait (bounded) until every acked command's final result arrived at its response_url."""
    wanted = {c.key for c in commands if c.status == 200 and not _is_busy_ack(c)}
    finals: dict[str, ResponseUrlCall] = {}
    by_key: dict[str, list[ResponseUrlCall]] = {}
    seen = 0
    while True:
        for call in slack.responses[seen:]:
            by_key.setdefault(call.key, []).append(call)
        seen = len(slack.responses)
        for key in wanted - finals.keys():
            final = _final_result(by_key.get(key, ()))
            if final is not None:
                finals[key] = final
        sample = rss_mb(bot.pid)
        if sample is not None:
            rss.append(sample)
        if len(finals) >= len(wanted) or time.monotonic() > deadline:
            return finals
        await asyncio.sleep(0.1)


def _is_busy_ack(cmd: Command) -> bool:
    return bool(cmd.body) and _is_busy(cmd.body)


def _overhead(
    cmd: Command, arrived: float, sandbox: TimedSandbox, latency: float, *, coalesced: bool
) -> tuple[float, float | None, float | None]:
    """Seconds the bot added to the backend wait this command actually had.

    With coalescing a command may ride on a read already in flight, so "arrival − sent −
    latency" would credit the bot with time it never spent. Instead: take the backend read
    (of the two a card needs) that finished last before the result arrived, span (S, E):
    overhead = (arrival − E) + max(0, S − sent) — the time from the backend's answer to the
    result at Slack, plus, when the command started its own read, the time from sending
    the command to that read reaching the backend. Without coalescing (the baseline) it is
    simply arrival − sent − latency.

    Returns (overhead, the part before the backend, the part after it); the parts are
    None when they cannot be told apart.
    """
    if not coalesced:
        return arrived - cmd.sent - latency, None, None
    spans = [sandbox.last_served((route, cmd.ticket), arrived) for route in ("ticket", "details")]
    found = [s for s in spans if s is not None]
    if not found:
        return arrived - cmd.sent - latency, None, None
    start, end = max(found, key=lambda s: s[1])
    before, after = max(0.0, start - cmd.sent), arrived - end
    return before + after, before, after


async def _scrape_ack_share(http: aiohttp.ClientSession, bot: BotProcess) -> dict[str, float]:
    """From the bot's own ``chatops_ack_seconds`` histogram: share of command acks ≤ le."""
    try:
        async with http.get(bot.base + "/metrics", timeout=aiohttp.ClientTimeout(total=5)) as r:
            text = await r.text()
    except (aiohttp.ClientError, TimeoutError):
        return {}
    buckets = dict(
        re.findall(r'chatops_ack_seconds_bucket\{kind="command",le="([^"]+)"\} ([0-9.e+]+)', text)
    )
    total = float(buckets.get("+Inf", 0) or 0)
    if not total:
        return {}
    return {f"le_{le}s": round(float(v) / total, 4) for le, v in buckets.items() if le != "+Inf"}


async def measure_bot(
    kind: Kind, shape: str, rate: float, params: Params, workdir: Path
) -> BotFigures:
    """One trial: a fresh bot, sandbox and fake Slack; ``rate`` commands/s of ``shape``."""
    figures = BotFigures(name=kind, shape=shape, rate=rate)
    trial_dir = Path(tempfile.mkdtemp(prefix=f"{kind}-{shape}-{rate:g}-", dir=workdir))
    secret = secrets.token_hex(16)
    sandbox = await start_timed_sandbox()
    slack = FakeSlack()
    bot: BotProcess | None = None
    loadgen: LoadGen | None = None
    connector = aiohttp.TCPConnector(limit=2048)
    http = aiohttp.ClientSession(connector=connector)
    profile_out = trial_dir / "bot.prof"
    try:
        await slack.start()
        sandbox.bruin.faults.set("*", Fault(latency=params.latency))
        pool = add_bench_tickets(sandbox.bruin, SANDBOX_CUSTOMER_ID, HOT_TICKETS + POOL)
        commands_planned = max(1, round(rate * params.duration))
        tickets = ticket_sequence(
            shape, commands_planned, pool[:HOT_TICKETS], pool[HOT_TICKETS:], params.seed
        )
        data_dir = trial_dir / "data"
        data_dir.mkdir()
        env = bot_env(
            slack,
            sandbox.url,
            secret=secret,
            PORT=str(free_port()),
            CHATOPS_DATA_DIR=str(data_dir),
            # One caller sends every command: the per-person read budget would refuse it.
            CHATOPS_RATE_READS_PER_MINUTE="0",
            LOG_LEVEL="WARNING",
        )
        if kind == "naive" or params.variants or params.profile:
            env = with_repo_path(env)
        if params.profile and kind == "ours":
            env["BENCH_PROFILE"] = str(profile_out)
        bot = await spawn(
            kind,
            _bot_argv(kind, params),
            env=env,
            cwd=data_dir,
            log_path=trial_dir / f"{kind}.log",
        )
        figures.ready_s = round(await bot.wait_ready(http), 3)
        idle_from, idle_start = cpu_seconds(bot.pid), time.monotonic()
        await asyncio.sleep(IDLE_SECONDS)  # idle: warm, no traffic
        figures.rss_idle_mb = rss_mb(bot.pid)
        idle_to = cpu_seconds(bot.pid)
        idle_rate = 0.0
        if idle_from is not None and idle_to is not None:
            idle_rate = (sum(idle_to) - sum(idle_from)) / (time.monotonic() - idle_start)
            figures.cpu_idle_cores = round(idle_rate, 3)
        rss: list[float] = []
        loadgen = await _start_loadgen(bot, slack, tickets, rate, params, secret, trial_dir)
        cpu_before, own_before, wall_before, busy_before = (
            cpu_seconds(bot.pid),
            time.process_time(),
            time.monotonic(),
            machine_busy_seconds(),
        )
        lags: list[float] = []
        sampler = asyncio.ensure_future(_sample_lag(lags))
        quiet_collector = _QuietFakes()  # the fakes' GC passes must not stall their answers
        try:
            commands, lag, loadgen_share = await _run_loadgen(loadgen, bot, rss)
            deadline = time.monotonic() + params.latency + RESULT_GRACE
            finals = (
                await _await_results(slack, commands, deadline, bot, rss) if kind == "ours" else {}
            )
        finally:
            sampler.cancel()
            quiet_collector.restore()
        figures.fakes_lag_ms = {
            "p99": _ms(percentile(lags, 99)),
            "max": _ms(max(lags) if lags else None),
        }
        cpu_after, busy_after = cpu_seconds(bot.pid), machine_busy_seconds()
        wall = time.monotonic() - wall_before
        own = time.process_time() - own_before
        if cpu_before is not None and cpu_after is not None and commands:
            user, system = (a - b for a, b in zip(cpu_after, cpu_before, strict=True))
            net = max(0.0, user + system - idle_rate * wall)
            figures.cpu_ms_per_command = round(net * 1000 / len(commands), 3)
            figures.cpu_system_share = round(system / (user + system), 2) if user + system else None
            if busy_before is not None and busy_after is not None:
                ours = user + system + own + (loadgen_share or 0.0) * params.duration
                other = busy_after - busy_before - ours
                figures.other_cpu_cores = round(max(0.0, other) / wall, 2)
        figures.bench_cpu_share = round(own / wall, 2)
        figures.loadgen_cpu_share = None if loadgen_share is None else round(loadgen_share, 2)
        if kind == "ours":
            figures.server_ack_share = await _scrape_ack_share(http, bot)
        figures.rss_load_mb = max(rss) if rss else None
        figures.send_lag_max_ms = round(lag * 1000, 2)
        figures.working_messages = sum(
            1 for r in slack.responses if str(r.body.get("text", "")).startswith("Working on it")
        )
        _summarise(figures, kind, commands, finals, sandbox, params.latency)
        figures.token_requests = sandbox.bruin.token_requests
        figures.backend_calls = sandbox.api_calls
    finally:
        if loadgen is not None:
            await loadgen.kill()
        if bot is not None:
            figures.exit_code = await bot.stop()
        await http.close()
        await slack.stop()
        await sandbox.stop()
    if bot is not None:
        figures.log_events = bot.log_events()
    if params.profile and kind == "ours":
        figures.profile = await asyncio.to_thread(_save_profile, profile_out, figures)
    return figures


class _QuietFakes:
    """For the load: this process's heap (the fakes' state: a thousand tickets, every call
    and response recorded) frozen out of the collector and no automatic full pass, which
    stalled the fakes for ~100 ms and counted as the bot's overhead; undone after."""

    def __init__(self) -> None:
        self._threshold = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(self._threshold[0], self._threshold[1], 1 << 30)

    def restore(self) -> None:
        gc.set_threshold(*self._threshold)
        gc.unfreeze()


async def _sample_lag(lags: list[float], every: float = 0.005) -> None:
    """How late this process's event loop wakes a 5 ms sleep, until cancelled."""
    while True:
        started = time.perf_counter()
        await asyncio.sleep(every)
        lags.append(max(0.0, time.perf_counter() - started - every))


def _save_profile(path: Path, figures: BotFigures) -> str | None:
    if not path.exists():
        print("bench: the bot wrote no profile (see its log)", file=sys.stderr)
        return None
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / (f"profile-{dt.date.today().isoformat()}-{figures.shape}-{figures.rate:g}.txt")
    head = (
        f"cProfile of chatops-bot run from ready to exit: {figures.shape} tickets, "
        f"{figures.rate:g} commands/s, {figures.sent} commands (CPU under the profiler "
        f"{figures.cpu_ms_per_command} ms per command; without it, less)"
    )
    out.write_text(summarise_profile(path, head=head, commands=figures.sent))
    return str(out.relative_to(REPO))


def _summarise(
    figures: BotFigures,
    kind: Kind,
    commands: Sequence[Command],
    finals: dict[str, ResponseUrlCall],
    sandbox: TimedSandbox,
    latency: float,
) -> None:
    errors: dict[str, int] = {}
    outcomes: dict[str, int] = {}

    def fail(reason: str) -> None:
        errors[reason] = errors.get(reason, 0) + 1

    def outcome(name: str) -> None:
        outcomes[name] = outcomes.get(name, 0) + 1

    acks: list[float] = []
    results: list[float] = []
    overheads: list[float] = []
    befores: list[float] = []
    afters: list[float] = []
    for cmd in commands:
        if cmd.failure is not None or cmd.ack_at is None:
            fail(f"no ack ({cmd.failure or 'unknown'})")
            outcome("no ack")
            continue
        ack = cmd.ack_at - cmd.sent
        acks.append(ack)
        if cmd.status != 200:
            fail(f"ack HTTP {cmd.status}")
            outcome("no ack")
            continue
        if ack > SLACK_ACK_LIMIT:
            fail("ack later than Slack's 3 s")
            outcome("late ack")
            continue
        if kind == "naive":  # the result is the ack's body
            arrived, payload = cmd.ack_at, _json_or_text(cmd.body)
        elif _is_busy_ack(cmd):
            fail("busy")
            outcome("busy")
            continue
        else:
            final = finals.get(cmd.key)
            if final is None:
                fail("no result at response_url")
                outcome("lost")
                continue
            arrived, payload = final.at, final.body
        if not _is_card(payload, cmd.ticket):
            busy = _is_busy(payload)
            fail("busy" if busy else "error result")
            outcome("busy" if busy else "error")
            continue
        outcome("card" if arrived - cmd.sent <= ANSWER_LIMIT else "late card")
        results.append(arrived - cmd.sent)
        total, before, after = _overhead(cmd, arrived, sandbox, latency, coalesced=kind == "ours")
        overheads.append(total)
        if before is not None and after is not None:
            befores.append(before)
            afters.append(after)
    figures.sent = len(commands)
    figures.carded = len(results)
    figures.errors = sum(errors.values())
    figures.error_kinds = errors
    figures.outcomes = outcomes
    figures.ack_p50_ms = _ms(percentile(acks, 50))
    figures.ack_p95_ms = _ms(percentile(acks, 95))
    figures.ack_p99_ms = _ms(percentile(acks, 99))
    figures.ack_max_ms = _ms(max(acks) if acks else None)
    figures.result_p50_ms = _ms(percentile(results, 50))
    figures.result_p99_ms = _ms(percentile(results, 99))
    figures.overhead_p50_ms = _ms(percentile(overheads, 50))
    figures.overhead_p99_ms = _ms(percentile(overheads, 99))
    figures.overhead_parts_ms = {
        "before_backend_p50": _ms(percentile(befores, 50)),
        "before_backend_p99": _ms(percentile(befores, 99)),
        "after_backend_p50": _ms(percentile(afters, 50)),
        "after_backend_p99": _ms(percentile(afters, 99)),
    }


def _json_or_text(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


# -- capacity ---------------------------------------------------------------------------------


@dataclass
class Capacity:
    """The capacity search of one bot on one shape."""

    kind: str
    shape: str
    rate: float | None = None
    """The highest rate within capacity (None: not even the lowest tried)."""
    bounded: bool = False
    """A rate above it failed (otherwise the capacity is at least ``rate``: the search
    stopped at --max-rate)."""
    trials: list[BotFigures] = field(default_factory=list)

    @property
    def at(self) -> BotFigures | None:
        """The trial at capacity."""
        found = [t for t in self.trials if t.rate == self.rate and t.within_capacity]
        return found[-1] if found else None

    def label(self) -> str:
        if self.rate is None:
            return "below the lowest rate tried"
        return f"{self.rate:g}/s" if self.bounded else f">= {self.rate:g}/s (search cap)"


Trial = Callable[[Kind, str, float], Any]
SPOILED_CORES = 0.25
"""A failed trial during which other processes took more than this is run again…"""
SPOILED_RETRIES = 2
"""…at most this many times."""


def _round_rate(rate: float) -> float:
    return float(max(1, round(rate / 5) * 5)) if rate >= 10 else float(max(1, round(rate)))


async def search_capacity(
    kind: Kind, shape: str, params: Params, trial: Trial, say: Callable[[str], None]
) -> Capacity:
    """Double from the start rate until a trial fails, then bisect ``params.steps`` times."""
    found = Capacity(kind=kind, shape=shape)

    async def run(rate: float) -> bool:
        for _ in range(1 + SPOILED_RETRIES):
            fig: BotFigures = await trial(kind, shape, rate)
            found.trials.append(fig)
            if fig.within_capacity or (fig.other_cpu_cores or 0.0) <= SPOILED_CORES:
                break
            say(
                f"  {kind:5} {shape:6} {rate:6g}/s: failed while other processes took "
                f"{fig.other_cpu_cores} cores; once more"
            )
        ok = fig.within_capacity
        say(
            f"  {kind:5} {shape:6} {rate:6g}/s: {'within' if ok else 'beyond'} capacity "
            f"({fig.carded}/{fig.sent} cards, overhead p99 {_fmt(fig.overhead_p99_ms)} ms, "
            f"ack p99 {_fmt(fig.ack_p99_ms)} ms, CPU {_fmt(fig.cpu_ms_per_command)} ms/command, "
            f"others {_fmt(fig.other_cpu_cores)} cores)"
        )
        return ok

    low: float | None = None
    high: float | None = None
    rate = params.start_rate
    while True:
        if await run(rate):
            low = rate
            if rate >= params.max_rate:
                break
            rate = min(params.max_rate, rate * 2)
        else:
            high = rate
            if low is not None or rate <= 5:
                break
            rate = _round_rate(rate / 2)
    for _ in range(params.steps):
        if high is None:
            break
        mid = _round_rate(((low or 0.0) + high) / 2)
        if mid in (low, high):
            break
        if await run(mid):
            low = mid
        else:
            high = mid
    found.rate, found.bounded = low, high is not None
    return found


@dataclass
class ShapeResult:
    shape: str
    ours: Capacity | None = None
    naive: Capacity | None = None
    half: BotFigures | None = None
    """Ours at 50% of its capacity."""
    double: BotFigures | None = None
    """Ours at twice its capacity."""
    fixed: list[BotFigures] = field(default_factory=list)
    """--rate: one trial per bot at that rate."""

    def columns(self) -> list[tuple[str, BotFigures]]:
        if self.fixed:
            return [(f"{f.name} @ {f.rate:g}/s", f) for f in self.fixed]
        cols: list[tuple[str, BotFigures | None]] = [
            ("ours @ capacity", self.ours.at if self.ours else None),
            ("naive @ capacity", self.naive.at if self.naive else None),
            ("ours @ 50%", self.half),
            ("ours @ 2x", self.double),
        ]
        return [(name, fig) for name, fig in cols if fig is not None]

    def trials(self) -> list[BotFigures]:
        found = list(self.fixed)
        for cap in (self.ours, self.naive):
            if cap is not None:
                found += cap.trials
        found += [f for f in (self.half, self.double) if f is not None]
        return found


@dataclass(frozen=True)
class Verdict:
    label: str
    target: str
    measured: str
    ok: bool


def verdicts(result: ShapeResult) -> list[Verdict]:
    """The targets of issue 13 for one traffic shape (capacity search only)."""
    out: list[Verdict] = []
    ours, naive = result.ours, result.naive
    if ours is None or result.fixed:
        return out
    mine = ours.at
    if naive is not None and naive.rate and ours.rate is not None:
        ratio = ours.rate / naive.rate
        out.append(Verdict("capacity vs baseline", ">= 2x", f"{ratio:.2f}x", ratio >= 2))
    theirs = naive.at if naive else None
    if mine and theirs and mine.cpu_ms_per_command and theirs.cpu_ms_per_command:
        ratio = mine.cpu_ms_per_command / theirs.cpu_ms_per_command
        out.append(Verdict("CPU per command vs baseline", "<= 0.5x", f"{ratio:.2f}x", ratio <= 0.5))
    if mine is not None:
        ack = mine.ack_p99_ms
        out.append(
            Verdict("ack p99 at capacity", "<= 20 ms", _fmt(ack), ack is not None and ack <= 20)
        )
    if result.half is not None:
        half = result.half
        out.append(
            Verdict(
                "ack p99 at 50%",
                "<= 20 ms",
                _fmt(half.ack_p99_ms),
                half.ack_p99_ms is not None and half.ack_p99_ms <= 20,
            )
        )
        out.append(
            Verdict(
                "overhead p99 at 50%",
                "<= 20 ms",
                _fmt(half.overhead_p99_ms),
                half.within_capacity
                and half.overhead_p99_ms is not None
                and half.overhead_p99_ms <= 20,
            )
        )
    if result.double is not None:
        double = result.double
        told = ", ".join(f"{k} {v}" for k, v in sorted(double.outcomes.items()))
        out.append(
            Verdict("at 2x: ack <= 3 s, card/busy <= 10 s", "all", told, double.degraded_gracefully)
        )
    everyone = [t for t in ours.trials if t.sent]
    if everyone:
        rss = max((t.rss_idle_mb or 0.0) for t in everyone)
        ready = max((t.ready_s or 0.0) for t in everyone)
        tokens = max(t.token_requests for t in everyone)
        out.append(Verdict("RSS idle (max of trials)", "<= 90 MiB", _fmt(rss), rss <= 90))
        out.append(Verdict("start to ready (max)", "<= 1.5 s", _fmt(ready), ready <= 1.5))
        out.append(Verdict("token requests per process", "== 1", str(tokens), tokens == 1))
    return out


def _half_ok(fig: BotFigures) -> bool:
    ack, overhead = fig.ack_p99_ms, fig.overhead_p99_ms
    return fig.within_capacity and ack is not None and ack <= 20 and (overhead or 0.0) <= 20


# -- the whole run --------------------------------------------------------------------------


@dataclass
class Report:
    params: Params
    shapes: list[ShapeResult] = field(default_factory=list)
    fanout: FanoutResult | None = None
    started: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )
    seconds: float = 0.0

    @property
    def targets_met(self) -> bool:
        fanout_ok = self.fanout is None or self.fanout.nothing_lost
        return all(v.ok for s in self.shapes for v in verdicts(s)) and fanout_ok

    @property
    def worked(self) -> bool:
        """End to end: ours answered every command of every trial at the lowest rate
        tried with a card, and every change was delivered once."""
        fanout_ok = self.fanout is None or self.fanout.nothing_lost
        ours = [t for s in self.shapes for t in s.trials() if t.name == "ours"]
        lowest = min((t.rate for t in ours), default=None)
        ours_ok = bool(ours) and all(t.errors == 0 and t.sent > 0 for t in ours if t.rate == lowest)
        return ours_ok and fanout_ok

    def to_json(self) -> dict[str, Any]:
        def capacity(cap: Capacity | None) -> dict[str, Any] | None:
            if cap is None:
                return None
            return {
                "rate": cap.rate,
                "bounded": cap.bounded,
                "trials": [asdict(t) for t in cap.trials],
            }

        return {
            "date": dt.date.today().isoformat(),
            "started": self.started,
            "seconds": round(self.seconds, 1),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "system": platform.system(),
                "machine": platform.machine(),
            },
            "parameters": asdict(self.params),
            "capacity_rule": (
                f"every command gets its ticket and overhead p99 <= {OVERHEAD_LIMIT_MS:g} ms"
            ),
            "targets_met": self.targets_met,
            "shapes": [
                {
                    "shape": s.shape,
                    "ours": capacity(s.ours),
                    "naive": capacity(s.naive),
                    "half": asdict(s.half) if s.half else None,
                    "double": asdict(s.double) if s.double else None,
                    "fixed": [asdict(f) for f in s.fixed],
                    "verdicts": [asdict(v) for v in verdicts(s)],
                }
                for s in self.shapes
            ],
            "fanout": self.fanout.to_json() if self.fanout else None,
        }


async def run_all(params: Params, say: Callable[[str], None]) -> Report:
    report = Report(params=params)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chatops-bench-") as tmp:
        workdir = Path(tmp)

        async def trial(kind: Kind, shape: str, rate: float) -> BotFigures:
            return await measure_bot(kind, shape, rate, params, workdir)

        kinds: list[Kind] = ["ours", *(["naive"] if params.naive else [])]  # type: ignore[list-item]
        for shape in params.shapes:
            result = ShapeResult(shape=shape)
            report.shapes.append(result)
            if params.rate is not None:
                for kind in kinds:
                    fig = await trial(kind, shape, params.rate)
                    say(f"  {kind:5} {shape:6} {params.rate:g}/s: {fig.carded}/{fig.sent} cards")
                    result.fixed.append(fig)
                continue
            say(f"{shape}: capacity search")
            result.ours = await search_capacity("ours", shape, params, trial, say)
            if params.naive:
                result.naive = await search_capacity("naive", shape, params, trial, say)
            if result.ours.rate:
                half = _round_rate(result.ours.rate / 2)
                for _ in range(1 + SPOILED_RETRIES):
                    result.half = await trial("ours", shape, half)
                    spoiled = (result.half.other_cpu_cores or 0.0) > SPOILED_CORES
                    if not spoiled or _half_ok(result.half):
                        break
                say(f"  ours  {shape:6} at 50%: {result.half.carded}/{result.half.sent} cards")
                if params.overload:
                    result.double = await trial("ours", shape, result.ours.rate * 2)
                    say(f"  ours  {shape:6} at 2x: {result.double.outcomes}")
        if params.fanout:
            report.fanout = await run_fanout(
                entries=params.fanout_entries,
                channels=params.fanout_channels,
                arrival_seconds=params.fanout_arrival,
                seed=params.seed,
                workdir=workdir,
            )
    report.seconds = time.monotonic() - started
    return report


# -- output ---------------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.1f}" if abs(value) >= 100 else f"{value:.2f}"


def _pair(a: float | None, b: float | None) -> str:
    return f"{_fmt(a)} / {_fmt(b)}"


ROWS: tuple[tuple[str, Callable[[BotFigures], str]], ...] = (
    ("rate (commands/s)", lambda f: _fmt(f.rate)),
    ("got their ticket", lambda f: f"{f.carded} of {f.sent}"),
    ("ack p50 / p99 (ms)", lambda f: _pair(f.ack_p50_ms, f.ack_p99_ms)),
    ("overhead p50 / p99 (ms)", lambda f: _pair(f.overhead_p50_ms, f.overhead_p99_ms)),
    ("result p50 / p99 (ms)", lambda f: _pair(f.result_p50_ms, f.result_p99_ms)),
    ("CPU per command (ms)", lambda f: _fmt(f.cpu_ms_per_command)),
    (
        "bot CPU (cores)",
        lambda f: _fmt(
            None if f.cpu_ms_per_command is None else round(f.cpu_ms_per_command * f.rate / 1000, 2)
        ),
    ),
    ("RSS idle / load (MiB)", lambda f: _pair(f.rss_idle_mb, f.rss_load_mb)),
    ("start to ready (s)", lambda f: _fmt(f.ready_s)),
    ("token requests", lambda f: str(f.token_requests)),
    ("Bruin API calls", lambda f: str(f.backend_calls)),
    (
        "outcomes",
        lambda f: ", ".join(f"{k} {v}" for k, v in sorted(f.outcomes.items())) or "—",
    ),
    ("fakes / loadgen CPU (cores)", lambda f: _pair(f.bench_cpu_share, f.loadgen_cpu_share)),
    ("other processes' CPU (cores)", lambda f: _fmt(f.other_cpu_cores)),
    (
        "fakes' loop lag p99 / max (ms)",
        lambda f: _pair(f.fakes_lag_ms.get("p99"), f.fakes_lag_ms.get("max")),
    ),
)


def _grid(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def render_shape(result: ShapeResult, params: Params) -> list[str]:
    what = {
        "unique": "a distinct ticket per command",
        "hot": f"{HOT_SHARE:.0%} of commands on {HOT_TICKETS} hot tickets, the rest distinct",
        "same": "every command the same ticket",
    }[result.shape]
    channels = "a distinct channel per command" if params.channels == "distinct" else "one channel"
    lines = [f"tickets={result.shape} ({what}; {channels}; backend latency {params.latency:g} s)"]
    if result.ours is not None:
        lines.append(f"  capacity, ours: {result.ours.label()}")
    if result.naive is not None:
        lines.append(f"  capacity, naive baseline: {result.naive.label()}")
    columns = result.columns()
    if columns:
        rows = [["", *(name for name, _ in columns)]]
        rows += [[label, *(get(fig) for _, fig in columns)] for label, get in ROWS]
        lines += ["", *_grid(rows)]
    checks = verdicts(result)
    if checks:
        rows = [["target (issue 13)", "wanted", "measured", ""]]
        rows += [[v.label, v.target, v.measured, "PASS" if v.ok else "FAIL"] for v in checks]
        lines += ["", *_grid(rows)]
    for _, fig in columns:
        if fig.exit_code not in (0, None):
            how = " (killed: no clean stop within 30 s)" if fig.exit_code == -9 else ""
            lines.append(f"{fig.name} @ {fig.rate:g}/s: exit code {fig.exit_code} on SIGTERM{how}")
        if fig.log_events:
            top = sorted(fig.log_events.items(), key=lambda kv: -kv[1])[:3]
            lines.append(
                f"{fig.name} @ {fig.rate:g}/s logged: " + "; ".join(f"{n}× {e}" for e, n in top)
            )
        if fig.profile:
            lines.append(f"{fig.name} @ {fig.rate:g}/s profile: {fig.profile}")
    return lines


def render_table(report: Report) -> str:
    p = report.params
    how = (
        f"{p.rate:g} commands/s for {p.duration:g} s per trial"
        if p.rate is not None
        else f"capacity search, {p.duration:g} s per trial"
    )
    head = (
        f"chatops-bot benchmark — {how}, backend latency {p.latency:g} s"
        f"{' (smoke: targets not enforced)' if p.smoke else ''}"
        f"{' — ours with ' + '+'.join(p.variants) if p.variants else ''}"
    )
    lines = [head]
    for result in report.shapes:
        lines += ["", *render_shape(result, p)]
    if report.fanout is not None:
        lines += ["", *report.fanout.lines()]
    if p.smoke:
        worked = "worked end to end" if report.worked else "DID NOT WORK END TO END"
        verdict = f"smoke: {worked}; targets are enforced only in a full run"
    elif p.rate is not None:
        verdict = "fixed rate: no capacity, no targets"
    else:
        verdict = "all targets met" if report.targets_met else "TARGETS MISSED"
    lines += ["", f"{verdict} (run took {report.seconds:.0f} s)"]
    return "\n".join(lines)


def write_json(report: Report, out: Path | None) -> Path:
    if out is None:
        suffix = "-smoke" if report.params.smoke else ("-fixed" if report.params.rate else "")
        out = RESULTS / f"{dt.date.today().isoformat()}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="chatops-bot benchmark: capacity per traffic shape, ours vs a naive baseline",
    )
    parser.add_argument(
        "--tickets",
        default="",
        help="traffic shapes, comma list of unique|hot|same (default: all three)",
    )
    parser.add_argument(
        "--channels",
        choices=("distinct", "one"),
        default="distinct",
        help="a channel per command (default) or one channel for all",
    )
    parser.add_argument("--latency", type=float, help="injected backend latency, s (default 0.5)")
    parser.add_argument("--duration", type=float, help="seconds of load per trial (default 10)")
    parser.add_argument("--rate", type=float, help="one trial at this rate: no capacity search")
    parser.add_argument("--start-rate", type=float, default=50, help="search start (default 50)")
    parser.add_argument("--max-rate", type=float, default=800, help="search cap (default 800)")
    parser.add_argument("--steps", type=int, default=3, help="bisection steps (default 3)")
    parser.add_argument(
        "--smoke", action="store_true", help="one short low-rate trial; must work end to end"
    )
    parser.add_argument("--skip-naive", action="store_true", help="do not run the baseline")
    parser.add_argument("--skip-overload", action="store_true", help="no trial at 2x capacity")
    parser.add_argument("--skip-fanout", action="store_true", help="no notification fan-out")
    parser.add_argument(
        "--variant",
        default="",
        help="experiments: comma list of bench/variants.py changes to apply to our bot",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile our bot from ready to exit (with --rate); summary in bench/results/",
    )
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--out", type=Path, help="JSON path (default bench/results/<date>.json)")
    return parser


def params_from(args: argparse.Namespace) -> Params:
    smoke: bool = args.smoke

    def pick(value: float | None, full: float, small: float) -> float:
        return value if value is not None else (small if smoke else full)

    shapes = tuple(dict.fromkeys(s for s in args.tickets.split(",") if s)) or (
        ("hot",) if smoke else SHAPES
    )
    rate = args.rate if args.rate is not None else (20.0 if smoke else None)
    params = Params(
        shapes=shapes,
        channels=args.channels,
        latency=pick(args.latency, 0.5, 0.2),
        duration=pick(args.duration, 10, 5),
        rate=rate,
        start_rate=args.start_rate,
        max_rate=args.max_rate,
        steps=args.steps,
        smoke=smoke,
        naive=not args.skip_naive,
        overload=not args.skip_overload,
        fanout=not args.skip_fanout,
        variants=tuple(dict.fromkeys(v for v in args.variant.split(",") if v)),
        seed=args.seed,
        fanout_entries=100 if smoke else 1000,
        fanout_channels=10 if smoke else 50,
        fanout_arrival=1.0 if smoke else 3.0,
        profile=args.profile,
    )
    unknown = [s for s in params.shapes if s not in SHAPES]
    if unknown:
        raise SystemExit(f"bench: unknown traffic shape {unknown[0]!r}; one of {', '.join(SHAPES)}")
    bad = [v for v in params.variants if v not in VARIANTS]
    if bad:
        raise SystemExit(f"bench: unknown variant {bad[0]!r}; one of {', '.join(VARIANTS)}")
    if params.profile and params.rate is None:
        raise SystemExit("bench: --profile needs --rate (one trial, not a search)")
    rates = [r for r in (params.rate, params.start_rate, params.max_rate) if r is not None]
    if not all(0 < r <= 2000 for r in rates) or params.start_rate > params.max_rate:
        raise SystemExit("bench: need 0 < rates <= 2000 and --start-rate <= --max-rate")
    if not (0 < params.duration <= 120 and 0 <= params.latency <= 5 and 0 <= params.steps <= 6):
        raise SystemExit("bench: need 0 < duration <= 120, 0 <= latency <= 5, 0 <= steps <= 6")
    return params


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    params = params_from(args)
    configure_logging("WARNING", "console")  # the fan-out runs bot code in this process

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        report = asyncio.run(run_all(params, say))
    except (BenchError, OSError, aiohttp.ClientError) as exc:
        print(f"bench: the benchmark itself failed: {exc}", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print("bench: the benchmark itself failed (traceback above)", file=sys.stderr)
        return 2
    print(render_table(report))
    path = write_json(report, args.out)
    print(f"\nwritten: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    if params.smoke:
        if not report.worked:
            print("bench: smoke run did not work end to end (see errors above)", file=sys.stderr)
            return 2
        return 0
    if params.rate is not None:
        return 0
    return 0 if report.targets_met else 1


if __name__ == "__main__":
    sys.exit(main())
