"""How soon one replica sees another's configuration write: ``python -m bench.replicas``.

Two :class:`bot.store.Store` instances on one database (PostgreSQL by default, a database
created for the run and dropped after; ``--sqlite`` for two on one SQLite file). Each round
one store binds a channel to a new customer and the other store's
``channel_customer`` is read every 5 ms (bounded: 5 s) until it shows the write. Prints
p50 / p99 / max of the delay and writes ``bench/results/replicas-<date>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from bench.harness import fresh_database, percentile
from bot.store import Store
from bot.store.store import SYNC_INTERVAL

RESULTS = Path(__file__).resolve().parent / "results"
PG_ADMIN = os.environ.get("CHATOPS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
BOUND = 5.0
"""Give a round up after this many seconds (reported as not seen)."""


@asynccontextmanager
async def _database(sqlite: bool) -> AsyncIterator[str]:
    if sqlite:
        with tempfile.TemporaryDirectory(prefix="chatops-replicas-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'store.db'}"
        return
    if not PG_ADMIN.startswith("postgresql://postgres@127.0.0.1:"):
        raise SystemExit("bench.replicas: loopback PostgreSQL only")
    async with fresh_database(PG_ADMIN) as url:
        yield url


async def measure(url: str, rounds: int) -> list[float | None]:
    writer, reader = await Store.open(url), await Store.open(url)
    delays: list[float | None] = []
    try:
        for n in range(rounds):
            customer = 50_000 + n
            started = time.monotonic()
            await writer.set_channel_customer("C0REPLICA", customer, by="U0BENCH")
            seen = None
            while time.monotonic() - started < BOUND:
                if await reader.channel_customer("C0REPLICA") == customer:
                    seen = time.monotonic() - started
                    break
                await asyncio.sleep(0.005)
            delays.append(seen)
            await asyncio.sleep(0.05 + (n % 7) * 0.037)  # writes land at varied poll phases
    finally:
        await writer.close()
        await reader.close()
    return delays


async def run(sqlite: bool, rounds: int) -> dict[str, object]:
    async with _database(sqlite) as url:
        delays = await measure(url, rounds)
    seen = [d for d in delays if d is not None]

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 1)

    return {
        "date": dt.date.today().isoformat(),
        "database": "sqlite" if sqlite else "postgresql",
        "sync_interval_s": SYNC_INTERVAL,
        "rounds": rounds,
        "seen": len(seen),
        "p50_ms": ms(percentile(seen, 50)),
        "p99_ms": ms(percentile(seen, 99)),
        "max_ms": ms(max(seen) if seen else None),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__)
    parser.add_argument("--sqlite", action="store_true", help="two stores on one SQLite file")
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args(argv)
    if not 0 < args.rounds <= 1000:
        raise SystemExit("bench.replicas: need 0 < rounds <= 1000")
    result = asyncio.run(run(args.sqlite, args.rounds))
    print(
        f"{result['database']}: another replica's write seen in {result['seen']}/{args.rounds} "
        f"rounds; p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms "
        f"(poll interval {SYNC_INTERVAL * 1000:g} ms)"
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"replicas-{result['date']}-{result['database']}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["seen"] == args.rounds else 1


if __name__ == "__main__":
    sys.exit(main())
