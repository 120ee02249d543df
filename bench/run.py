"""The benchmark (GitHub issue 9): ``python -m bench.run`` prints one table and writes
``bench/results/<YYYY-MM-DD>.json``.

Three parts, each bounded in count and time, loopback only:

1. **Slash commands.** ``chatops-bot run`` (HTTP mode) runs as a subprocess against the Bruin
   sandbox (every API route slowed by ``--latency`` seconds) and a fake Slack, both served
   by this process. Signed ``/ticket show <id>`` commands (the sandbox's tickets of customer
   40123, mixed at random) arrive at a fixed ``--rate`` for ``--duration`` seconds. Measured:
   the ack (HTTP answer), when the final result reaches its ``response_url``, token requests,
   errors, the bot's RSS idle and under load, and spawn-to-ready. The commands are sent and
   their acks timed by a load generator in its own process (``bench/loadgen.py``): sharing
   this process's event loop with the fakes' bursts would delay sends and the reading of
   acks, and count the benchmark's own queueing as ack latency.
2. **The naive baseline** (``bench/naive_bot.py``, never shipped) under the same load.
3. **Notification fan-out** (``bench/fanout.py``): 1,000 changes into 50 channels through
   the real outbox and ``Delivery``, with the fake Slack allowing ~1 post/s/channel.

Exit status: a full run exits 1 when a target is missed (usable as a gate); ``--smoke`` (a
short, low-rate run for CI) exits 0 whenever the benchmark worked end to end; either exits
2 when the benchmark itself broke.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
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
    clean_env,
    cpu_seconds,
    file_tail,
    free_port,
    percentile,
    rss_mb,
    spawn,
    start_timed_sandbox,
)
from bench.loadgen import Command, Plan
from bench.loadgen import parse_result as parse_loadgen_result
from bench.variants import VARIANTS
from bot.logging import configure_logging
from bot.sandbox import SANDBOX_CUSTOMER_ID, Fault, env_lines
from tests.fakes.slack import FakeSlack, ResponseUrlCall

Kind = Literal["ours", "naive"]

RESULTS = Path(__file__).resolve().parent / "results"
CHANNEL = "C0OPS"
SLACK_ACK_LIMIT = 3.0
"""Slack shows the user a timeout when the ack takes longer than this."""
REQUEST_TIMEOUT = 10.0
IDLE_SECONDS = 2.0
"""Warm and idle before the load: RSS idle and the idle CPU rate are measured here."""
RESULT_GRACE = 15.0
"""Seconds after the last command (beyond the backend latency) to wait for results."""


@dataclass(frozen=True)
class Target:
    metric: str
    label: str
    op: Literal["<=", "=="]
    value: float

    def check(self, measured: float | None) -> bool:
        if measured is None:
            return False
        return measured <= self.value if self.op == "<=" else measured == self.value


TARGETS: tuple[Target, ...] = (
    Target("ack_p99_ms", "ack p99 (ms)", "<=", 20),
    Target("overhead_p99_ms", "overhead p99 (ms)", "<=", 5),
    Target("token_requests", "token requests", "==", 1),
    Target("errors", "errors", "==", 0),
    Target("rss_idle_mb", "RSS idle (MiB)", "<=", 80),
    Target("ready_s", "start to ready (s)", "<=", 1.5),
)
INFO_ROWS: tuple[tuple[str, str], ...] = (
    ("ack_p50_ms", "ack p50 (ms)"),
    ("ack_p95_ms", "ack p95 (ms)"),
    ("ack_max_ms", "ack max (ms)"),
    ("overhead_p50_ms", "overhead p50 (ms)"),
    ("result_p50_ms", "result latency p50 (ms)"),
    ("result_p99_ms", "result latency p99 (ms)"),
    ("rss_load_mb", "RSS under load, max (MiB)"),
    ("cpu_ms_per_command", "bot CPU per command (ms)"),
    ("cpu_idle_cores", "bot CPU idle (cores)"),
    ("bench_cpu_share", "bench process (fakes) CPU (cores)"),
    ("loadgen_cpu_share", "load generator CPU (cores)"),
    ("backend_calls", "Bruin API calls"),
    ("sent", "commands sent"),
)


@dataclass(frozen=True)
class Params:
    rate: float
    duration: float
    latency: float
    smoke: bool
    naive: bool
    fanout: bool
    variants: tuple[str, ...]
    seed: int
    fanout_entries: int
    fanout_channels: int
    fanout_arrival: float
    profile: bool

    @property
    def commands(self) -> int:
        return round(self.rate * self.duration)


@dataclass
class BotFigures:
    name: str
    sent: int = 0
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
    """The bot process's CPU use while warm and idle (background loops), in cores."""
    cpu_system_share: float | None = None
    """Share of that CPU time spent in the kernel (sockets, thread wake-ups)."""
    bench_cpu_share: float | None = None
    """The bench process's CPU use (the Bruin sandbox and the fake Slack) over the load and
    the wait for results, in cores: near 1.0 means the fakes were the bottleneck and result
    latencies include their queueing."""
    loadgen_cpu_share: float | None = None
    """The load generator process's CPU use over its sending, in cores: near 1.0 means it
    was the bottleneck and the ack latencies include its own queueing."""
    exit_code: int | None = None
    """0 = stopped cleanly on SIGTERM; -9 = had to be killed 30 s after SIGTERM."""
    log_events: dict[str, int] = field(default_factory=dict)
    """What the bot logged at LOG_LEVEL=WARNING (warnings and errors), by event."""

    def value(self, metric: str) -> float | None:
        found = getattr(self, metric)
        return float(found) if isinstance(found, int | float) else None


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


def _bot_argv(kind: Kind, params: Params) -> list[str]:
    if kind == "naive":
        return [sys.executable, "-m", "bench.naive_bot"]
    if params.variants:  # experiments: the same bot with proposed fixes monkeypatched in
        return [sys.executable, "-m", "bench.variants", ",".join(params.variants), "run"]
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
    params: Params,
    secret: str,
    workdir: Path,
) -> LoadGen:
    """Spawn the load generator, hand it its plan and wait (bounded) until it is set up.

    The response_urls of all the commands it may send are registered here (the fake Slack
    lives in this process); the generator forms each as ``response_url_base + key``.
    """
    base = ""
    for i in range(params.commands):
        key = f"{bot.name}-{i}"
        url = slack.response_url(key, user_id="U0CALLER")
        base = base or url.removesuffix(key)
        if url != base + key:
            raise BenchError(f"unexpected response_url shape: {url}")
    out = workdir / f"{bot.name}-loadgen.json"
    plan = Plan(
        url=bot.base + "/slack/events",
        secret=secret,
        rate=params.rate,
        commands=params.commands,
        duration=params.duration,
        seed=params.seed,
        tickets=tuple(tickets),
        key_prefix=bot.name,
        response_url_base=base,
        channel=CHANNEL,
        request_timeout=REQUEST_TIMEOUT,
        out=str(out),
    )
    env = clean_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
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
    wanted = {c.key for c in commands if c.status == 200}
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


async def measure_bot(kind: Kind, params: Params, workdir: Path) -> BotFigures:
    figures = BotFigures(name=kind)
    secret = secrets.token_hex(16)
    sandbox = await start_timed_sandbox()
    slack = FakeSlack()
    bot: BotProcess | None = None
    loadgen: LoadGen | None = None
    profiler: asyncio.subprocess.Process | None = None
    connector = aiohttp.TCPConnector(limit=2048)
    http = aiohttp.ClientSession(connector=connector)
    try:
        await slack.start()
        sandbox.bruin.faults.set("*", Fault(latency=params.latency))
        tickets = sorted(
            tid
            for tid, t in sandbox.bruin.state.tickets.items()
            if t["clientID"] == SANDBOX_CUSTOMER_ID
        )
        data_dir = workdir / kind
        data_dir.mkdir()
        env = clean_env(
            PORT=str(free_port()),
            SLACK_BOT_TOKEN=slack.bot_token,
            SLACK_SIGNING_SECRET=secret,
            SLACK_API_URL=slack.api_url,
            SLACK_RESPONSE_URL_PREFIX=slack.url,
            CHATOPS_DATA_DIR=str(data_dir),
            LOG_LEVEL="WARNING",
        )
        for line in env_lines(sandbox.url):
            name, _, value = line.partition("=")
            env[name] = value
        if kind == "naive" or params.variants:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        bot = await spawn(
            kind, _bot_argv(kind, params), env=env, cwd=data_dir, log_path=workdir / f"{kind}.log"
        )
        figures.ready_s = await bot.wait_ready(http)
        idle_from, idle_start = cpu_seconds(bot.pid), time.monotonic()
        await asyncio.sleep(IDLE_SECONDS)  # idle: warm, no traffic
        figures.rss_idle_mb = rss_mb(bot.pid)
        idle_to = cpu_seconds(bot.pid)
        idle_rate = 0.0
        if idle_from is not None and idle_to is not None:
            idle_rate = (sum(idle_to) - sum(idle_from)) / (time.monotonic() - idle_start)
            figures.cpu_idle_cores = round(idle_rate, 3)
        if params.profile and kind == "ours":
            profiler = await _start_profiler(bot.pid, params)
        rss: list[float] = []
        loadgen = await _start_loadgen(bot, slack, tickets, params, secret, workdir)
        cpu_before, own_before, wall_before = (
            cpu_seconds(bot.pid),
            time.process_time(),
            time.monotonic(),
        )
        commands, lag, loadgen_share = await _run_loadgen(loadgen, bot, rss)
        deadline = time.monotonic() + params.latency + RESULT_GRACE
        finals = await _await_results(slack, commands, deadline, bot, rss) if kind == "ours" else {}
        cpu_after = cpu_seconds(bot.pid)
        wall = time.monotonic() - wall_before
        if cpu_before is not None and cpu_after is not None and commands:
            user, system = (a - b for a, b in zip(cpu_after, cpu_before, strict=True))
            net = max(0.0, user + system - idle_rate * wall)
            figures.cpu_ms_per_command = round(net * 1000 / len(commands), 3)
            figures.cpu_system_share = round(system / (user + system), 2) if user + system else None
        figures.bench_cpu_share = round((time.process_time() - own_before) / wall, 2)
        figures.loadgen_cpu_share = None if loadgen_share is None else round(loadgen_share, 2)
        if kind == "ours":
            figures.server_ack_share = await _scrape_ack_share(http, bot)
        figures.rss_load_mb = max(rss) if rss else None
        figures.send_lag_max_ms = round(lag * 1000, 2)
        figures.working_messages = sum(
            1 for r in slack.responses if str(r.body.get("text", "")).startswith("Working on it")
        )
        _summarise(figures, kind, commands, finals, sandbox, params)
        figures.token_requests = sandbox.bruin.token_requests
        figures.backend_calls = sandbox.api_calls
    finally:
        if loadgen is not None:
            await loadgen.kill()
        if profiler is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(profiler.wait(), 30)
        if bot is not None:
            figures.exit_code = await bot.stop()
        await http.close()
        await slack.stop()
        await sandbox.stop()
    if bot is not None:
        figures.log_events = bot.log_events()
    return figures


def _summarise(
    figures: BotFigures,
    kind: Kind,
    commands: Sequence[Command],
    finals: dict[str, ResponseUrlCall],
    sandbox: TimedSandbox,
    params: Params,
) -> None:
    errors: dict[str, int] = {}

    def fail(reason: str) -> None:
        errors[reason] = errors.get(reason, 0) + 1

    acks: list[float] = []
    results: list[float] = []
    overheads: list[float] = []
    befores: list[float] = []
    afters: list[float] = []
    for cmd in commands:
        if cmd.failure is not None or cmd.ack_at is None:
            fail(f"no ack ({cmd.failure or 'unknown'})")
            continue
        ack = cmd.ack_at - cmd.sent
        acks.append(ack)
        if cmd.status != 200:
            fail(f"ack HTTP {cmd.status}")
            continue
        if ack > SLACK_ACK_LIMIT:
            fail("ack later than Slack's 3 s")
            continue
        if kind == "naive":  # the result is the ack's body
            arrived, payload = cmd.ack_at, _json_or_text(cmd.body)
        else:
            final = finals.get(cmd.key)
            if final is None:
                fail("no result at response_url")
                continue
            arrived, payload = final.at, final.body
        if not _is_card(payload, cmd.ticket):
            fail("error result")
            continue
        results.append(arrived - cmd.sent)
        total, before, after = _overhead(
            cmd, arrived, sandbox, params.latency, coalesced=kind == "ours"
        )
        overheads.append(total)
        if before is not None and after is not None:
            befores.append(before)
            afters.append(after)
    figures.sent = len(commands)
    figures.errors = sum(errors.values())
    figures.error_kinds = errors
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


async def _start_profiler(pid: int, params: Params) -> asyncio.subprocess.Process | None:
    """py-spy (if installed) over the load, as collapsed stacks in bench/results/."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not await asyncio.to_thread(Path(exe).exists):
        print("bench: --profile needs py-spy (pip install py-spy); skipped", file=sys.stderr)
        return None
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"profile-{dt.date.today().isoformat()}.txt"
    return await asyncio.create_subprocess_exec(
        exe,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, int(params.duration))),
        "--rate",
        "200",
        "--format",
        "raw",
        "--nonblocking",
        "--gil",
        "--output",
        str(out),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


# -- the whole run --------------------------------------------------------------------------


@dataclass
class Report:
    params: Params
    ours: BotFigures | None = None
    naive: BotFigures | None = None
    fanout: FanoutResult | None = None
    started: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )
    seconds: float = 0.0

    def verdicts(self) -> dict[str, bool]:
        if self.ours is None:
            return {}
        return {t.metric: t.check(self.ours.value(t.metric)) for t in TARGETS}

    @property
    def targets_met(self) -> bool:
        fanout_ok = self.fanout is None or self.fanout.nothing_lost
        return all(self.verdicts().values()) and fanout_ok

    @property
    def worked(self) -> bool:
        """End to end: every command answered with a card, every change delivered once."""
        ours_ok = self.ours is not None and self.ours.errors == 0 and self.ours.sent > 0
        naive_ok = self.naive is None or self.naive.sent > 0
        fanout_ok = self.fanout is None or self.fanout.nothing_lost
        return ours_ok and naive_ok and fanout_ok

    def to_json(self) -> dict[str, Any]:
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
            "parameters": asdict(self.params) | {"commands": self.params.commands},
            "targets": {t.metric: f"{t.op} {t.value:g}" for t in TARGETS},
            "verdicts": self.verdicts(),
            "targets_met": self.targets_met,
            "ours": asdict(self.ours) if self.ours else None,
            "naive": asdict(self.naive) if self.naive else None,
            "fanout": self.fanout.to_json() if self.fanout else None,
        }


async def run_all(params: Params) -> Report:
    report = Report(params=params)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chatops-bench-") as tmp:
        workdir = Path(tmp)
        report.ours = await measure_bot("ours", params, workdir)
        if params.naive:
            report.naive = await measure_bot("naive", params, workdir)
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


def render_table(report: Report) -> str:
    p = report.params
    head = (
        f"chatops-bot benchmark — {p.rate:g} commands/s for {p.duration:g} s, backend latency "
        f"{p.latency:g} s{' (smoke: targets not enforced)' if p.smoke else ''}"
        f"{' — ours with ' + '+'.join(p.variants) if p.variants else ''}"
    )
    rows: list[tuple[str, str, str, str]] = [("metric", "target", "ours", "naive (baseline)")]

    def cell(fig: BotFigures | None, metric: str, target: Target | None) -> str:
        if fig is None:
            return "skipped"
        value = fig.value(metric)
        if target is None:
            return _fmt(value)
        return f"{_fmt(value)} {'PASS' if target.check(value) else 'FAIL'}"

    for target in TARGETS:
        rows.append(
            (
                target.label,
                f"{target.op} {target.value:g}",
                cell(report.ours, target.metric, target),
                cell(report.naive, target.metric, target),
            )
        )
    for metric, label in INFO_ROWS:
        rows.append((label, "", cell(report.ours, metric, None), cell(report.naive, metric, None)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [head, ""]
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    for fig in (report.ours, report.naive):
        if fig is not None and fig.error_kinds:
            kinds = ", ".join(f"{k}: {v}" for k, v in sorted(fig.error_kinds.items()))
            lines.append(f"{fig.name} errors — {kinds}")
    for fig in (report.ours, report.naive):
        if fig is not None and fig.exit_code not in (0, None):
            how = " (killed: no clean stop within 30 s)" if fig.exit_code == -9 else ""
            lines.append(f"{fig.name} exit code after SIGTERM: {fig.exit_code}{how}")
        if fig is not None and fig.log_events:
            top = sorted(fig.log_events.items(), key=lambda kv: -kv[1])[:3]
            lines.append(f"{fig.name} logged: " + "; ".join(f"{n}× {e}" for e, n in top))
    parts = report.ours.overhead_parts_ms if report.ours is not None else {}
    if parts:
        lines.append(
            "ours overhead split, p50/p99 (ms): command -> its own backend read "
            f"{_fmt(parts.get('before_backend_p50'))}/{_fmt(parts.get('before_backend_p99'))}, "
            f"backend answer -> result at Slack {_fmt(parts.get('after_backend_p50'))}/"
            f"{_fmt(parts.get('after_backend_p99'))}"
        )
    if report.ours is not None and report.ours.server_ack_share:
        share = report.ours.server_ack_share
        lines.append(
            "ours, ack as the bot measures it (chatops_ack_seconds): "
            + ", ".join(f"{k[3:]} {v:.1%}" for k, v in share.items() if k in _SHOWN_SHARES)
        )
    if report.fanout is not None:
        lines += ["", *report.fanout.lines()]
    if report.params.smoke:
        worked = "worked end to end" if report.worked else "DID NOT WORK END TO END"
        verdict = f"smoke: {worked}; targets are enforced only in a full run"
    else:
        verdict = "all targets met" if report.targets_met else "TARGETS MISSED"
    lines += ["", f"{verdict} (run took {report.seconds:.0f} s)"]
    return "\n".join(lines)


_SHOWN_SHARES = {"le_0.005s", "le_0.01s", "le_0.02s", "le_0.05s"}


def write_json(report: Report, out: Path | None) -> Path:
    if out is None:
        suffix = "-smoke" if report.params.smoke else ""
        out = RESULTS / f"{dt.date.today().isoformat()}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description="chatops-bot benchmark (ours vs a naive baseline)"
    )
    parser.add_argument("--rate", type=float, help="commands per second (default 200)")
    parser.add_argument("--duration", type=float, help="seconds of load (default 60)")
    parser.add_argument("--latency", type=float, help="injected backend latency, s (default 1.5)")
    parser.add_argument(
        "--smoke", action="store_true", help="5 s at a low rate; must work, targets not enforced"
    )
    parser.add_argument("--skip-naive", action="store_true", help="do not run the baseline")
    parser.add_argument("--skip-fanout", action="store_true", help="no notification fan-out")
    parser.add_argument(
        "--uvloop", action="store_true", help="experiment: run our bot on uvloop (no bot/ change)"
    )
    parser.add_argument(
        "--variant",
        default="",
        help="experiments: comma list of bench/variants.py fixes to apply to our bot",
    )
    parser.add_argument(
        "--profile", action="store_true", help="py-spy our bot under load (bench/results/)"
    )
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--out", type=Path, help="JSON path (default bench/results/<date>.json)")
    return parser


def params_from(args: argparse.Namespace) -> Params:
    smoke: bool = args.smoke

    def pick(value: float | None, full: float, small: float) -> float:
        return value if value is not None else (small if smoke else full)

    params = Params(
        rate=pick(args.rate, 200, 20),
        duration=pick(args.duration, 60, 5),
        latency=pick(args.latency, 1.5, 0.2),
        smoke=smoke,
        naive=not args.skip_naive,
        fanout=not args.skip_fanout,
        variants=tuple(
            dict.fromkeys(
                [v for v in args.variant.split(",") if v] + (["uvloop"] if args.uvloop else [])
            )
        ),
        seed=args.seed,
        fanout_entries=100 if smoke else 1000,
        fanout_channels=10 if smoke else 50,
        fanout_arrival=1.0 if smoke else 3.0,
        profile=args.profile,
    )
    unknown = [v for v in params.variants if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"bench: unknown variant {unknown[0]!r}; one of {', '.join(VARIANTS)}")
    if not (0 < params.rate <= 2000 and 0 < params.duration <= 600 and 0 <= params.latency <= 5):
        raise SystemExit("bench: need 0 < rate <= 2000, 0 < duration <= 600, 0 <= latency <= 5")
    return params


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    params = params_from(args)
    configure_logging("WARNING", "console")  # the fan-out runs bot code in this process
    try:
        report = asyncio.run(run_all(params))
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
    return 0 if report.targets_met else 1


if __name__ == "__main__":
    sys.exit(main())
