"""The benchmark's load generator, in a process of its own: ``python -m bench.loadgen``.

Run by ``bench/run.py`` (never by hand). It sends signed ``/ticket show <id>`` commands to
the bot at a fixed rate (the tickets in the order the plan lists them, each from its own
channel unless the plan says ``one``) and times each HTTP ack. Its event loop does nothing
else, so the sandbox's and the fake Slack's bursts (in the parent process) do not delay its
sends or the reading of acks.

Protocol (all loopback, bounded in count and time):

1. stdin, first line: one JSON object (see :class:`Plan`).
2. It sets up, then writes ``ready`` on stdout and waits for a ``go`` line on stdin (so the
   parent can take its CPU snapshots right at the start of the load).
3. It sends, waits (bounded) for the last acks, writes ``Plan.out`` (JSON: ``commands``
   with key, ticket, sent, ack_at, status, body, failure; ``send_lag_max`` in seconds;
   ``cpu_share``, its CPU time over wall time) and exits 0.

``sent`` and ``ack_at`` are ``time.monotonic()`` (CLOCK_MONOTONIC on Linux), comparable
with the sandbox spans and fake-Slack arrival times the parent records.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes.slack_signing import signed_headers, slash_command_body

FORM = "application/x-www-form-urlencoded"
CONNECTION_LIMIT = 2048
CUTOFF_SLACK = 5.0
"""Never keep sending more than this many seconds beyond the schedule."""
DRAIN_SLACK = 5.0
"""After the last send, wait at most ``request_timeout`` + this for the last acks."""
MAX_COMMANDS = 2_000 * 600
"""rate <= 2000/s for <= 600 s (``bench.run.params_from``)."""


@dataclass
class Command:
    key: str
    ticket: int
    channel: str = ""
    sent: float = 0.0
    ack_at: float | None = None
    status: int | None = None
    body: str = ""
    failure: str | None = None


@dataclass(frozen=True)
class Plan:
    url: str
    """The bot's ``/slack/events``."""
    secret: str
    rate: float
    commands: int
    duration: float
    tickets: tuple[int, ...]
    """Command ``i`` asks for ``tickets[i]`` (the parent draws the traffic shape)."""
    key_prefix: str
    """Command ``i`` has key ``f"{key_prefix}-{i}"``."""
    response_url_base: str
    """Command ``key``'s response_url is ``response_url_base + key`` (registered by the
    parent with ``FakeSlack.response_url(key, user_id=...)``)."""
    channel: str
    """The channel of every command (``channels="one"``), else the prefix of a channel id
    that is new for every command (``channels="distinct"``)."""
    channels: str
    request_timeout: float
    out: str
    """Where to write the results (JSON)."""

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Plan:
        plan = cls(
            url=str(doc["url"]),
            secret=str(doc["secret"]),
            rate=float(doc["rate"]),
            commands=int(doc["commands"]),
            duration=float(doc["duration"]),
            tickets=tuple(int(t) for t in doc["tickets"]),
            key_prefix=str(doc["key_prefix"]),
            response_url_base=str(doc["response_url_base"]),
            channel=str(doc["channel"]),
            channels=str(doc["channels"]),
            request_timeout=float(doc["request_timeout"]),
            out=str(doc["out"]),
        )
        if not plan.url.startswith("http://127.0.0.1:"):
            raise ValueError("loadgen: loopback only")
        if not (plan.rate > 0 and 0 <= plan.commands <= MAX_COMMANDS):
            raise ValueError("loadgen: need rate > 0 and a bounded command count")
        if len(plan.tickets) != plan.commands or plan.channels not in ("one", "distinct"):
            raise ValueError("loadgen: need one ticket per command and channels one|distinct")
        if not (0 < plan.duration <= 600 and 0 < plan.request_timeout <= 60):
            raise ValueError("loadgen: need 0 < duration <= 600 and 0 < request_timeout <= 60")
        return plan

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def channel_of(plan: Plan, i: int) -> str:
    return plan.channel if plan.channels == "one" else f"{plan.channel}{i:07X}"


async def _fire(http: aiohttp.ClientSession, plan: Plan, cmd: Command) -> None:
    body = slash_command_body(
        command="/ticket",
        text=f"show {cmd.ticket}",
        response_url=plan.response_url_base + cmd.key,
        channel_id=cmd.channel,
    )
    headers = signed_headers(body, secret=plan.secret, content_type=FORM)
    cmd.sent = time.monotonic()
    try:
        async with http.post(
            plan.url,
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=plan.request_timeout),
        ) as resp:
            cmd.body = await resp.text()
            cmd.ack_at = time.monotonic()
            cmd.status = resp.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        cmd.failure = type(exc).__name__


async def load(http: aiohttp.ClientSession, plan: Plan) -> tuple[list[Command], float]:
    """Send ``plan.commands`` commands at ``plan.rate``; returns them and the max send lag."""
    commands: list[Command] = []
    tasks: set[asyncio.Task[None]] = set()
    lag = 0.0
    start = time.monotonic()
    cutoff = start + plan.duration + CUTOFF_SLACK
    for i in range(plan.commands):
        target = start + i / plan.rate
        now = time.monotonic()
        if now < target:
            await asyncio.sleep(target - now)
            now = time.monotonic()
        if now > cutoff:
            break
        lag = max(lag, now - target)
        cmd = Command(
            key=f"{plan.key_prefix}-{i}", ticket=plan.tickets[i], channel=channel_of(plan, i)
        )
        commands.append(cmd)
        task = asyncio.create_task(_fire(http, plan, cmd))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(set(tasks), timeout=plan.request_timeout + DRAIN_SLACK)
    for task in list(tasks):  # still unanswered: reported as "no ack"
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
    return commands, lag


async def _readline(reader: asyncio.StreamReader, timeout: float) -> bytes:
    return await asyncio.wait_for(reader.readline(), timeout)


async def _stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def run(reader: asyncio.StreamReader) -> dict[str, Any]:
    plan = Plan.from_json(json.loads(await _readline(reader, 30.0)))
    connector = aiohttp.TCPConnector(limit=CONNECTION_LIMIT)
    async with aiohttp.ClientSession(connector=connector) as http:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        if (await _readline(reader, 30.0)).strip() != b"go":
            raise RuntimeError("loadgen: expected 'go' on stdin")
        cpu_before, wall_before = time.process_time(), time.monotonic()
        commands, lag = await load(http, plan)
        wall = time.monotonic() - wall_before
        cpu_share = (time.process_time() - cpu_before) / wall if wall > 0 else None
    result = {
        "commands": [asdict(c) for c in commands],
        "send_lag_max": lag,
        "cpu_share": cpu_share,
        "wall": wall,
    }
    await asyncio.to_thread(Path(plan.out).write_text, json.dumps(result, ensure_ascii=False))
    return result


def parse_result(doc: dict[str, Any]) -> tuple[list[Command], float, float | None]:
    """The parent's side: (commands, max send lag in s, CPU share) from ``Plan.out``."""
    commands = [Command(**c) for c in doc["commands"]]
    share = doc.get("cpu_share")
    return commands, float(doc["send_lag_max"]), None if share is None else float(share)


async def _main() -> int:
    reader = await _stdin_reader()
    await run(reader)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    del argv  # everything comes on stdin
    return asyncio.run(_main())


if __name__ == "__main__":
    sys.exit(main())
