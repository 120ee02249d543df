"""What a bot costs while nobody types: ``python -m bench.idle [--seconds 30]``.

Our bot and the naive baseline are each started against the Bruin sandbox and the fake
Slack on loopback, left alone until ready plus 5 s, then their CPU (user + system, all
threads) is read from ``/proc`` over ``--seconds`` of silence, with their RSS. A bot's
idle work (the notifier's rounds, the configuration check) is paid at every rate, so it
is part of every command's CPU; ``bench.run`` measures idle only over 1.5 s per trial, too
short to tell a few milliseconds a second apart. Writes ``bench/results/idle-<date>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from bench.harness import bot_env, cpu_seconds, free_port, rss_mb, spawn, with_repo_path
from bot.sandbox import start_sandbox
from tests.fakes.slack import FakeSlack

RESULTS = Path(__file__).resolve().parent / "results"
BOTS = {
    "ours": [sys.executable, "-m", "bot", "run"],
    "naive": [sys.executable, "-m", "bench.naive_bot"],
}


async def measure(kind: str, seconds: float) -> dict[str, float | None]:
    sandbox = await start_sandbox(port=0)
    slack = FakeSlack()
    await slack.start()
    try:
        with tempfile.TemporaryDirectory(prefix=f"chatops-idle-{kind}-") as tmp:
            env = with_repo_path(
                bot_env(
                    slack,
                    sandbox.url,
                    secret="idle-bench-signing-secret-0123456789",
                    PORT=str(free_port()),
                    CHATOPS_DATA_DIR=tmp,
                    LOG_LEVEL="WARNING",
                )
            )
            bot = await spawn(kind, BOTS[kind], env=env, cwd=Path(tmp), log_path=Path(tmp) / "log")
            try:
                async with aiohttp.ClientSession() as http:
                    await bot.wait_ready(http)
                await asyncio.sleep(5.0)  # warm-up work done (first poll, first checks)
                before, start = cpu_seconds(bot.pid), time.monotonic()
                await asyncio.sleep(seconds)
                after, took = cpu_seconds(bot.pid), time.monotonic() - start
                rss = rss_mb(bot.pid)
            finally:
                await bot.stop()
    finally:
        await slack.stop()
        await sandbox.stop()
    cpu = None if before is None or after is None else (sum(after) - sum(before)) / took
    return {
        "idle_cpu_ms_per_s": None if cpu is None else round(cpu * 1000, 1),
        "rss_idle_mb": None if rss is None else round(rss, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.idle", description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0, help="idle time measured")
    parser.add_argument("--rounds", type=int, default=2, help="measurements per bot")
    args = parser.parse_args(argv)
    if not (5 <= args.seconds <= 600 and 1 <= args.rounds <= 10):
        raise SystemExit("bench.idle: need 5 <= seconds <= 600 and 1 <= rounds <= 10")
    runs: dict[str, list[dict[str, float | None]]] = {kind: [] for kind in BOTS}
    for _ in range(args.rounds):  # interleaved, so a busy moment of the machine hits both
        for kind in BOTS:
            runs[kind].append(asyncio.run(measure(kind, args.seconds)))
    for kind, found in runs.items():
        cpu = ", ".join(str(r["idle_cpu_ms_per_s"]) for r in found)
        rss = ", ".join(str(r["rss_idle_mb"]) for r in found)
        print(f"{kind:6} idle CPU (ms/s): {cpu}    RSS idle (MiB): {rss}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"idle-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps({"seconds": args.seconds, "runs": runs}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
