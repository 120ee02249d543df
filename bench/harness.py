"""Pieces shared by the benchmarks: a timed Bruin sandbox, bot subprocesses, RSS, percentiles."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import math
import os
import re
import signal
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from bot.sandbox import env_lines
from bot.sandbox.bruin import BruinSandbox

if TYPE_CHECKING:
    from tests.fakes.slack import FakeSlack

__all__ = [
    "BenchError",
    "BotProcess",
    "TimedSandbox",
    "add_bench_tickets",
    "bot_env",
    "cpu_seconds",
    "file_tail",
    "free_port",
    "fresh_database",
    "machine_busy_seconds",
    "percentile",
    "rss_mb",
    "spawn",
    "start_timed_sandbox",
    "with_repo_path",
]

REPO = Path(__file__).resolve().parent.parent
_DETAILS = re.compile(r"^/api/Ticket/(\d+)/details$")
_PATH = re.compile(r"(?:/[\w.\-]+){2,}")


class BenchError(Exception):
    """The benchmark itself could not run (as opposed to a target being missed)."""


# -- the Bruin sandbox, with the time each ticket read spent inside it ----------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class TimedSandbox:
    """The Bruin sandbox served on loopback, recording (start, end) of every ticket read.

    Reads are keyed ``("ticket", id)`` (``GET /api/Ticket?TicketId=id``) or
    ``("details", id)`` (``GET /api/Ticket/{id}/details``); per key the spans are appended
    when they end, so they are sorted by end time.
    """

    url: str
    bruin: BruinSandbox
    runner: web.AppRunner = field(repr=False)
    spans: dict[tuple[str, int], list[tuple[float, float]]] = field(default_factory=dict)
    _ends: dict[tuple[str, int], list[float]] = field(default_factory=dict)

    def record(self, key: tuple[str, int], start: float, end: float) -> None:
        self.spans.setdefault(key, []).append((start, end))
        self._ends.setdefault(key, []).append(end)

    def last_served(self, key: tuple[str, int], before: float) -> tuple[float, float] | None:
        """The span of the last read of ``key`` that ended at or before ``before``."""
        ends = self._ends.get(key)
        if not ends:
            return None
        i = bisect.bisect_right(ends, before)
        return self.spans[key][i - 1] if i else None

    @property
    def api_calls(self) -> int:
        return sum(1 for c in self.bruin.calls if c.route != "token")

    async def stop(self) -> None:
        self.bruin.release_timeouts()
        await self.runner.cleanup()


def _read_key(request: web.Request) -> tuple[str, int] | None:
    if request.method != "GET":
        return None
    if request.path == "/api/Ticket":
        tid = request.query.get("TicketId", "")
        return ("ticket", int(tid)) if tid.isdigit() else None
    match = _DETAILS.match(request.path)
    return ("details", int(match.group(1))) if match else None


async def start_timed_sandbox() -> TimedSandbox:
    """Like :func:`bot.sandbox.start_sandbox` (Bruin only), plus a timing middleware."""
    bruin = BruinSandbox()
    app = bruin.make_app()
    holder: list[TimedSandbox] = []

    @web.middleware
    async def timing(request: web.Request, handler: Handler) -> web.StreamResponse:
        start = time.monotonic()
        response = await handler(request)
        key = _read_key(request)
        if key is not None and holder:
            holder[0].record(key, start, time.monotonic())
        return response

    app.middlewares.append(timing)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=2.0, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
    except BaseException:
        await runner.cleanup()
        raise
    sandbox = TimedSandbox(url=f"http://127.0.0.1:{port}", bruin=bruin, runner=runner)
    holder.append(sandbox)
    return sandbox


def add_bench_tickets(sandbox: BruinSandbox, customer_id: int, count: int) -> list[int]:
    """``count`` more tickets of ``customer_id`` in the sandbox (copies of its seeded ones,
    under new ids), so a traffic shape can ask for a ticket no other command asks for.

    Kept to about a thousand: the sandbox finds a ticket by scanning them all (about 0.15 ms
    per read at a thousand, bench/), and at more the fakes would cost the run its CPU."""
    tickets = sandbox.state.tickets
    templates = sorted(t for t, rec in tickets.items() if rec["clientID"] == customer_id)
    if not templates:
        raise BenchError(f"the sandbox has no ticket of customer {customer_id} to copy")
    first = max(tickets) + 1000
    added: list[int] = []
    for n in range(count):
        source, tid = templates[n % len(templates)], first + n
        record = dict(tickets[source])
        record["ticketID"] = tid
        tickets[tid] = record
        sandbox.state.meta[tid] = sandbox.state.meta[source]
        sandbox.state.details[tid] = sandbox.state.details[source]
        sandbox.state.notes[tid] = sandbox.state.notes[source]
        added.append(tid)
    return added


# -- subprocesses ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float | None:
    """VmRSS of ``pid`` in MiB (None once the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def cpu_seconds(pid: int) -> tuple[float, float] | None:
    """(user, system) CPU seconds of ``pid`` (all its threads) so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def machine_busy_seconds() -> float | None:
    """CPU seconds all cores have spent running processes since boot (``/proc/stat``: user,
    nice, system, steal; not interrupts, where loopback traffic is counted). Over a trial,
    less what the bot, the fakes and the load generator used, it is what other processes
    on the machine took."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except (OSError, IndexError):
        return None
    if len(first) < 9 or first[0] != "cpu":
        return None
    user, nice, system, steal = (int(first[i]) for i in (1, 2, 3, 8))
    return (user + nice + system + steal) / os.sysconf("SC_CLK_TCK")


@dataclass
class BotProcess:
    name: str
    proc: asyncio.subprocess.Process
    port: int
    spawned_at: float
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 5, width: int = 300) -> str:
        return file_tail(self.log_path, lines, width)

    def log_events(self) -> dict[str, int]:
        """How often each logged event (JSON lines: ``event`` and ``error``) occurred."""
        counts: dict[str, int] = {}
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return counts
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if isinstance(entry, dict):
                error = str(entry.get("error", ""))[:80]
                name = str(entry.get("event"))[:80] + (f": {error}" if error else "")
            else:
                name = line[:80]
            name = _PATH.sub("…", " ".join(name.split()))  # no machine paths in results
            counts[name] = counts.get(name, 0) + 1
        return counts

    async def wait_ready(self, http: aiohttp.ClientSession, *, timeout: float = 30.0) -> float:
        """Poll ``/readyz`` every 10 ms; seconds from spawn to the first 200."""
        deadline = self.spawned_at + timeout
        while time.monotonic() < deadline:
            if self.proc.returncode is not None:
                raise BenchError(
                    f"{self.name} exited with {self.proc.returncode} before it was ready:\n"
                    + self.log_tail()
                )
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(
                    self.base + "/readyz", timeout=aiohttp.ClientTimeout(total=1.0)
                ) as resp:
                    await resp.read()
                    if resp.status == 200:
                        return time.monotonic() - self.spawned_at
            await asyncio.sleep(0.01)
        raise BenchError(f"{self.name} was not ready within {timeout:g} s:\n" + self.log_tail())

    async def stop(self, *, timeout: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        return self.proc.returncode


async def spawn(
    name: str, argv: Sequence[str], *, env: dict[str, str], cwd: Path, log_path: Path
) -> BotProcess:
    """Start ``argv`` with stdout and stderr going to ``log_path``."""
    port = int(env["PORT"])
    with log_path.open("wb") as log:
        spawned_at = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *argv,
            env=env,
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    return BotProcess(name=name, proc=proc, port=port, spawned_at=spawned_at, log_path=log_path)


_OWN = ("SLACK_", "BRUIN_", "BRIC_", "CHATOPS_", "DATABASE_URL", "LOG_LEVEL", "LOG_FORMAT")


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any bot setting, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(_OWN) and k != "PORT"}
    env.update(values)
    return env


def bot_env(slack: FakeSlack, sandbox_url: str, *, secret: str, **values: str) -> dict[str, str]:
    """What an operator's ``.env`` holds for a bot pointed at the fake Slack and the Bruin
    sandbox (the sandbox's own env lines), then ``values``; no other bot setting of this
    process's environment is passed on (:func:`clean_env`)."""
    env = clean_env(
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_SIGNING_SECRET=secret,
        SLACK_API_URL=slack.api_url,
        SLACK_RESPONSE_URL_PREFIX=slack.url,
    )
    for line in env_lines(sandbox_url):
        name, _, value = line.partition("=")
        env[name] = value
    env.update(values)
    return env


def with_repo_path(env: dict[str, str]) -> dict[str, str]:
    """``env`` with this checkout first on PYTHONPATH (for ``-m bench.…`` children)."""
    return env | {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))}


def file_tail(path: Path, lines: int, width: int = 300) -> str:
    """The last ``lines`` lines of a log file, each cut at ``width`` ("" if unreadable)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(line[:width] for line in text.splitlines()[-lines:])


@contextlib.asynccontextmanager
async def fresh_database(admin_url: str, prefix: str = "chatops_bench") -> AsyncIterator[str]:
    """A PostgreSQL database made on ``admin_url``'s server for one run, dropped after."""
    import asyncpg  # only the runs on PostgreSQL need it

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_url, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with contextlib.suppress(Exception):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# -- statistics -----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (``p`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
