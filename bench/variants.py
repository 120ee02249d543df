"""EXPERIMENTS ONLY — never shipped. The real bot with a proposed change applied as a
monkeypatch, so the benchmark can measure a fix's gain before anyone edits ``bot/``::

    python -m bench.run --skip-naive --skip-fanout --variant shared-respond,ack-first

runs ``python -m bench.variants shared-respond,ack-first run`` as "ours". Each variant
models one fix recommended in the benchmark's report; the real fix belongs in ``bot/``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

Patch = Callable[[], None]


def uvloop_loop() -> None:
    """Run the bot's ``asyncio.run`` on uvloop (what a ``--uvloop`` switch would do)."""
    import uvloop

    uvloop.install()


def shared_respond() -> None:
    """``response_url`` posts through one pooled keep-alive session instead of bolt's
    AsyncRespond, which opens a new ClientSession (and TCP connection) per call."""
    import aiohttp
    from slack_bolt.context.respond import async_respond
    from slack_sdk.webhook.async_client import AsyncWebhookClient

    sessions: dict[int, aiohttp.ClientSession] = {}

    def client(*, url: str, proxy: str | None = None, ssl: Any = None) -> AsyncWebhookClient:
        key = id(asyncio.get_running_loop())
        session = sessions.get(key)
        if session is None or session.closed:
            session = sessions[key] = aiohttp.ClientSession()
        return AsyncWebhookClient(url=url, proxy=proxy, ssl=ssl, session=session)

    setattr(async_respond, "AsyncWebhookClient", client)  # noqa: B010 - a monkeypatch


def ack_first() -> None:
    """Slash commands ack inside bolt's ack phase and run the rest as a task
    (``process_before_response=True``), so bolt no longer polls for the ack every 10 ms."""
    import bot.app as app

    original_app = getattr(app, "AsyncApp")  # noqa: B009 - a monkeypatch
    original_listener = app.on_command
    tasks: set[asyncio.Future[None]] = set()

    def make_app(*args: Any, **kwargs: Any) -> Any:
        kwargs["process_before_response"] = True
        return original_app(*args, **kwargs)

    async def acked() -> None:
        return None

    async def on_command(
        ack: Callable[..., Awaitable[None]], command: dict[str, Any], respond: Any, context: Any
    ) -> None:
        await ack()
        task = asyncio.ensure_future(
            original_listener(lambda *a, **k: acked(), command, respond, context)
        )
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    setattr(app, "AsyncApp", make_app)  # noqa: B010 - a monkeypatch
    app.on_command = on_command


def cached_store() -> None:
    """The two per-command store reads (channel's customer, is-watching) served from
    memory for 5 s instead of a SQLite round trip through aiosqlite's thread."""
    from bot.store.store import Store

    ttl = 5.0
    for name in ("channel_customer", "is_watching"):
        original = getattr(Store, name)
        cache: dict[tuple[Any, ...], tuple[float, Any]] = {}

        def wrap(
            fn: Callable[..., Awaitable[Any]], memo: dict[tuple[Any, ...], tuple[float, Any]]
        ) -> Callable[..., Awaitable[Any]]:
            async def cached(self: Store, *args: Any) -> Any:
                hit = memo.get(args)
                now = time.monotonic()
                if hit is not None and now - hit[0] < ttl:
                    return hit[1]
                value = await fn(self, *args)
                memo[args] = (now, value)
                return value

            return cached

        setattr(Store, name, wrap(original, cache))


def fast_blocks() -> None:
    """Block Kit objects serialised without slack_sdk's per-call validation (``dir()`` over
    every object on every ``to_dict``); validation stays in the tests and the fake Slack."""
    from slack_sdk.models.basic_objects import JsonObject

    JsonObject.validate_json = lambda self: None  # type: ignore[method-assign]


def gc_tuned() -> None:
    """Fewer, later garbage collections: the start-up heap frozen out of the collector and
    a higher generation-0 threshold (long gen-2 passes stall the event loop)."""
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


VARIANTS: dict[str, Patch] = {
    "uvloop": uvloop_loop,
    "shared-respond": shared_respond,
    "ack-first": ack_first,
    "cached-store": cached_store,
    "fast-blocks": fast_blocks,
    "gc-tuned": gc_tuned,
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
