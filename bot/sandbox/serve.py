"""``chatops-bot sandbox``: serve the fake backends until interrupted."""

from __future__ import annotations

import asyncio
import signal
import sys

from bot.sandbox import env_lines, start_sandbox

__all__ = ["serve_forever"]


async def serve_forever(*, host: str, port: int) -> int:
    try:
        running = await start_sandbox(host=host, port=port)
    except OSError as exc:
        print(
            f"chatops-bot sandbox: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr
        )
        return 1
    print("# Bruin and Bric sandbox running. Point the bot at it with:")
    for line in env_lines(running.url, bric=True):
        print(line)
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await running.stop()
    return 0
