"""EXPERIMENTS ONLY — never shipped. The real bot with a change applied as a monkeypatch,
so the benchmark can measure a change (or a measuring tool) before anyone edits ``bot/``::

    python -m bench.run --rate 200 --tickets unique --skip-naive --skip-fanout --variant uvloop

runs ``python -m bench.variants uvloop run`` as "ours". A change that pays for itself
belongs in ``bot/`` as explicit, tested code, never as a patch like these.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any

Patch = Callable[[], None]


def uvloop_loop() -> None:
    """Run the bot's ``asyncio.run`` on uvloop (what a ``--uvloop`` switch would do)."""
    import uvloop

    uvloop.install()


def diagnose() -> None:
    """Record garbage-collection pauses and event-loop lag; written to $BENCH_DIAG at exit."""
    import atexit
    import gc
    import json
    import os

    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    lags: list[float] = []
    slow: list[tuple[int, float, int]] = []
    started: list[float] = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            took = time.perf_counter() - started[0]
            pauses[info["generation"]].append(took)
            if took > 0.005:
                slow.append((info["generation"], round(took * 1000, 1), info["collected"]))

    gc.callbacks.append(on_gc)

    peak: dict[str, object] = {"n": 0}

    async def census() -> None:
        from collections import Counter

        while True:
            await asyncio.sleep(2.0)
            objs = gc.get_objects()
            n = len(objs)
            t0 = time.perf_counter()
            gc.collect(1)
            t1 = time.perf_counter()
            gc.collect(2)
            t2 = time.perf_counter()
            peak.setdefault("manual", []).append([n, (t1 - t0) * 1000, (t2 - t1) * 1000])  # type: ignore[attr-defined]
            if len(objs) > int(str(peak["n"])):
                peak["n"] = len(objs)
                peak["types"] = Counter(type(o).__qualname__ for o in objs).most_common(40)
                peak["gens"] = [len(gc.get_objects(g)) for g in range(3)]
            del objs

    garbage: dict[str, int] = {}

    async def garbage_census() -> None:
        from collections import Counter

        gc.set_debug(gc.DEBUG_SAVEALL)
        while True:
            await asyncio.sleep(1.0)
            for name, n in Counter(type(o).__qualname__ for o in gc.garbage).items():
                garbage[name] = garbage.get(name, 0) + n
            gc.garbage.clear()

    async def sampler() -> None:
        if os.environ.get("BENCH_GARBAGE"):
            asyncio.get_running_loop().create_task(garbage_census())
        if os.environ.get("BENCH_CENSUS"):
            asyncio.get_running_loop().create_task(census())
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - t - 0.005)

    slow_handles: dict[str, list[float]] = {}
    from asyncio import events

    handle_run = events.Handle._run

    iteration: list[tuple[str, float]] = []
    slow_iterations: list[tuple[float, int, list[tuple[str, int, float]]]] = []

    def handle_name(h: events.Handle) -> str:
        try:
            return _handle_name(h)
        except Exception as exc:
            return f"? {exc!r}"

    def _handle_name(h: events.Handle) -> str:
        cb = h._callback
        coro = getattr(getattr(cb, "__self__", None), "get_coro", None)
        if coro:
            c = coro()
            code = getattr(c, "cr_code", None)
            if code is not None:
                return f"{c.__qualname__} ({code.co_filename.split('/')[-2:]})"
        name = repr(cb)
        return name.split(" at 0x")[0].split(" running at ")[-1][:120]

    def timed_run(self: events.Handle) -> None:
        t = time.perf_counter()
        handle_run(self)
        took = time.perf_counter() - t
        iteration.append((handle_name(self) if took > 0.0003 else "(short)", took))
        if took > 0.004:
            name = handle_name(self)
            slow_handles.setdefault(name, []).append(took * 1000)

    events.Handle._run = timed_run  # type: ignore[method-assign]
    run_once = asyncio.BaseEventLoop._run_once  # type: ignore[attr-defined]

    def timed_run_once(self: asyncio.BaseEventLoop) -> None:
        iteration.clear()
        t = time.perf_counter()
        run_once(self)
        took = time.perf_counter() - t
        if took > 0.01 and len(slow_iterations) < 400:
            by: dict[str, list[float]] = {}
            for name, d in iteration:
                by.setdefault(name, []).append(d)
            top = sorted(
                ((k, len(v), round(sum(v) * 1000, 1)) for k, v in by.items()), key=lambda x: -x[2]
            )
            slow_iterations.append((round(took * 1000, 1), len(iteration), top[:6]))

    asyncio.BaseEventLoop._run_once = timed_run_once  # type: ignore[attr-defined]

    timings: dict[str, list[float]] = {}
    import importlib

    def timed(module: str, attr: str) -> None:
        owner_path, _, name = attr.rpartition(".")
        owner: Any = importlib.import_module(module)
        if owner_path:
            owner = getattr(owner, owner_path)
        fn = getattr(owner, name)
        label = f"{module.split('.')[-1]}.{attr}"

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                timings.setdefault(label, []).append(time.perf_counter() - t)

        setattr(owner, name, wrapper)

    for module, attr in [
        ("bot.slack.app", "SlackBot.run"),
        ("bot.core.dispatch", "Dispatcher.dispatch"),
        ("bot.clients.bruin.client", "BruinClient.get_ticket"),
        ("bot.clients.bruin.client", "BruinClient.get_ticket_details"),
        ("bot.clients.core", "ClientCore._send"),
        ("bot.store.store", "Store.claim"),
        ("bot.store.store", "Store._insert_claims"),
        ("bot.slack.server", "BotServer.slack_events"),
        ("slack_bolt.async_app", "AsyncApp.async_dispatch"),
        ("bot.slack.reply", "Replies.hook"),
    ]:
        timed(module, attr)

    original = asyncio.BaseEventLoop.run_forever

    def run_forever(self: asyncio.BaseEventLoop) -> None:
        self.call_soon(lambda: self.create_task(sampler()))
        original(self)

    asyncio.BaseEventLoop.run_forever = run_forever  # type: ignore[method-assign]

    def dump() -> None:
        def q(xs: list[float]) -> dict[str, float]:
            xs = sorted(xs)
            if not xs:
                return {}
            return {
                "n": len(xs),
                "p50_ms": xs[len(xs) // 2] * 1000,
                "p99_ms": xs[int(len(xs) * 0.99)] * 1000,
                "max_ms": xs[-1] * 1000,
                "over_10ms": sum(1 for x in xs if x > 0.01),
                "sum_s": sum(xs),
            }

        from collections import Counter

        gen2 = gc.get_objects(2)
        types = Counter(type(o).__name__ for o in gen2).most_common(25)
        out = {
            "gc": {g: q(v) for g, v in pauses.items()},
            "lag": q(lags),
            "frozen": gc.get_freeze_count(),
            "gen_sizes": [len(gc.get_objects(g)) for g in range(3)],
            "gen2_types": types,
            "peak": peak,
            "slow_iterations": slow_iterations,
            "timings": {k: q(v) for k, v in timings.items()},
            "slow_handles": sorted(
                ((k, len(v), round(max(v), 1), round(sum(v), 1)) for k, v in slow_handles.items()),
                key=lambda x: -x[3],
            )[:30],
            "slow": slow,
            "garbage": sorted(garbage.items(), key=lambda kv: -kv[1])[:60],
        }
        with open(os.environ.get("BENCH_DIAG", "bench-diag.json"), "w") as f:
            json.dump(out, f, indent=1)

    atexit.register(dump)


def cprofile() -> None:
    """cProfile the bot from ready (the start-up heap frozen) to exit, into $BENCH_PROFILE
    (``python -m bench.run --rate R --profile`` summarises it with bench/profile.py). The
    clock is the event-loop thread's CPU time: time waiting in epoll is not counted, and
    neither is the work of other threads (aiosqlite's)."""
    import atexit
    import cProfile
    import os

    from bot import gc_policy

    profiler = cProfile.Profile(time.thread_time)
    freeze = gc_policy.freeze_startup_heap

    def freeze_and_profile() -> None:
        freeze()
        profiler.enable()

    def dump() -> None:
        profiler.disable()
        profiler.dump_stats(os.environ.get("BENCH_PROFILE", "bot.prof"))

    gc_policy.freeze_startup_heap = freeze_and_profile
    atexit.register(dump)


def bolt_lazy() -> None:
    """Listeners that ack first (commands, events, actions, shortcuts, workflow steps)
    registered as bolt's own lazy listeners (``ack=`` acks, ``lazy=[listener]`` runs after)
    instead of through bot.slack.detach; views and options as before. The lazy task is still
    tracked (drain, admission control)."""
    import functools

    import aiohttp

    import bot.slack.app as app_module
    from bot.slack.detach import Listener, Listeners
    from bot.slack.seal import SealingWebClient

    # bolt deep-copies the request and its context (the bot, the per-request Web API
    # client bolt makes over the shared aiohttp session) for every lazy run; none of those
    # can be copied, so they are handed over as they are.
    for cls in (app_module.SlackBot, SealingWebClient, aiohttp.ClientSession):
        cls.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]

    async def ack_only(ack: Callable[..., Any]) -> None:
        await ack()

    original = Listeners._registrar

    def registrar(
        self: Listeners, register: Callable[..., Any], *, ack_first: bool
    ) -> Callable[[Listener], Listener]:
        if not ack_first:
            return original(self, register, ack_first=ack_first)
        track = self._track

        def add(fn: Listener) -> Listener:
            @functools.wraps(fn)
            async def lazy(*a: Any, **kw: Any) -> None:
                task = asyncio.current_task()
                if track is not None and task is not None:
                    track(task)
                await fn(*a, **kw)

            register(ack=ack_only, lazy=[lazy])
            return fn

        return add

    Listeners._registrar = registrar  # type: ignore[method-assign]


def bolt_default() -> None:
    """bolt as it comes: ``process_before_response=False`` (bolt runs each listener as a
    task and polls every 10 ms for its ack) and no bot.slack.detach."""
    import bot.slack.app as app_module
    from bot.slack.detach import Listener, Listeners

    original_app = app_module.AsyncApp

    def make_app(*args: Any, **kwargs: Any) -> Any:
        kwargs["process_before_response"] = False
        return original_app(*args, **kwargs)

    def registrar(
        self: Listeners, register: Callable[..., Any], *, ack_first: bool
    ) -> Callable[[Listener], Listener]:
        def add(fn: Listener) -> Listener:
            register(fn)
            return fn

        return add

    app_module.AsyncApp = make_app  # type: ignore[misc,assignment]
    Listeners._registrar = registrar  # type: ignore[method-assign]


def gc_census() -> None:
    """At each generation-1 collection (first 200): its time, and how many objects the
    young generations held and of which types (top 12); written to $BENCH_DIAG at exit."""
    import atexit
    import gc
    import json
    import os
    from collections import Counter

    passes: list[dict[str, Any]] = []
    started = [0.0, 0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 1 or len(passes) >= 200:
            return
        if phase == "start":
            young = gc.get_objects(0) + gc.get_objects(1)
            top = Counter(type(o).__qualname__ for o in young).most_common(12)
            passes.append({"young": len(young), "top": top})
            del young
            started[0] = time.perf_counter()
        else:
            passes[-1]["ms"] = round((time.perf_counter() - started[0]) * 1000, 2)
            passes[-1]["collected"] = info["collected"]

    gc.callbacks.append(on_gc)

    def dump() -> None:
        with open(os.environ.get("BENCH_DIAG", "bench-diag.json"), "w") as f:
            json.dump(passes, f, indent=1)

    atexit.register(dump)


def tracemem() -> None:
    """Trace Python allocations made after the imports; when the bot is ready, the top
    allocation sites (grouped by file) go to $BENCH_DIAG."""
    import os
    import tracemalloc

    import bot.runner  # noqa: F401 - the imports are not what this measures
    from bot import gc_policy

    tracemalloc.start(25)
    freeze = gc_policy.freeze_startup_heap

    def freeze_and_dump() -> None:
        freeze()
        snap = tracemalloc.take_snapshot()
        stats = snap.statistics("filename")
        lines = [f"total {sum(s.size for s in stats) / 2**20:.1f} MiB"]
        lines += [f"{s.size / 2**10:8.0f} KiB {s.count:7d} {s.traceback[0]}" for s in stats[:40]]
        lines.append("-- by the first frame in the bot's own code")
        own: dict[str, int] = {}
        for stat in snap.statistics("traceback"):
            ours = (
                f for f in stat.traceback if "/bot/" in f.filename or "/handlers/" in f.filename
            )
            where = str(next(ours, "(outside)"))
            own[where] = own.get(where, 0) + stat.size
        top = sorted(own.items(), key=lambda kv: -kv[1])[:40]
        lines += [f"{v / 2**10:8.0f} KiB {k}" for k, v in top]
        for stat in snap.statistics("traceback")[:3]:
            lines.append(f"-- {stat.size / 2**10:.0f} KiB")
            lines += stat.traceback.format()[-30:]
        with open(os.environ.get("BENCH_DIAG", "bench-diag.txt"), "w") as f:
            f.write("\n".join(lines))

    gc_policy.freeze_startup_heap = freeze_and_dump


def tracegrowth() -> None:
    """What the heap gains under steady load: a tracemalloc snapshot $BENCH_GROWTH_AT
    seconds after start (default 120) and one at exit, compared by allocation site; the
    top growth goes to $BENCH_DIAG (the soak's slow RSS creep, docs/RELIABILITY.md)."""
    import atexit
    import os
    import threading
    import tracemalloc

    tracemalloc.start(12)
    first: list[tracemalloc.Snapshot] = []
    timer = threading.Timer(
        float(os.environ.get("BENCH_GROWTH_AT", "120")),
        lambda: first.append(tracemalloc.take_snapshot()),
    )
    timer.daemon = True
    timer.start()

    def dump() -> None:
        if not first:
            return
        last = tracemalloc.take_snapshot()
        diff = last.compare_to(first[0], "traceback")
        grown = sum(d.size_diff for d in diff)
        lines = [f"heap grew {grown / 2**10:.0f} KiB between the snapshots"]
        for d in diff[:15]:
            lines.append(f"-- {d.size_diff / 2**10:+.0f} KiB, {d.count_diff:+d} blocks")
            lines += d.traceback.format()[-12:]
        with open(os.environ.get("BENCH_DIAG", "bench-diag.txt"), "w") as f:
            f.write("\n".join(lines))

    atexit.register(dump)


def malloc_trim() -> None:
    """After the start-up heap is frozen, hand freed C heap back to the OS (glibc only)."""
    import ctypes

    from bot import gc_policy

    freeze = gc_policy.freeze_startup_heap

    def freeze_and_trim() -> None:
        freeze()
        ctypes.CDLL("libc.so.6").malloc_trim(0)

    gc_policy.freeze_startup_heap = freeze_and_trim


VARIANTS: dict[str, Patch] = {
    "malloc-trim": malloc_trim,
    "tracemem": tracemem,
    "tracegrowth": tracegrowth,
    "diagnose": diagnose,
    "uvloop": uvloop_loop,
    "cprofile": cprofile,
    "gc-census": gc_census,
    "bolt-lazy": bolt_lazy,
    "bolt-default": bolt_default,
}


def main(argv: list[str]) -> int:
    if not argv or any(name not in VARIANTS for name in argv[0].split(",")):
        print(f"usage: python -m bench.variants {'|'.join(VARIANTS)}[,…] run", file=sys.stderr)
        return 2
    for name in argv[0].split(","):
        VARIANTS[name]()
    from bot.cli import main as cli

    return cli(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
