"""Run the Bruin sandbox on a real TCP port (for the CLI, the console and tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from aiohttp import web

from .bruin import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_CUSTOMER_ID,
    BruinSandbox,
)

__all__ = ["RunningSandbox", "env_lines", "start_sandbox"]


@dataclass
class RunningSandbox:
    """A sandbox served on ``url``; call :meth:`stop` (or use ``async with``) to shut it down."""

    url: str
    bruin: BruinSandbox
    runner: web.AppRunner = field(repr=False)

    async def stop(self) -> None:
        self.bruin.release_timeouts()
        await self.runner.cleanup()

    async def __aenter__(self) -> RunningSandbox:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


async def start_sandbox(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token_ttl: float = 3600,
    state_file: Path | None = None,
) -> RunningSandbox:
    """Serve a fresh :class:`BruinSandbox` on ``host:port`` (port 0 = a free port)."""
    bruin = BruinSandbox(token_ttl=token_ttl, state_file=state_file)
    runner = web.AppRunner(
        bruin.make_app(), handler_cancellation=True, shutdown_timeout=2.0, access_log=None
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
    except BaseException:
        await runner.cleanup()
        raise
    shown = f"[{host}]" if ":" in host else host
    return RunningSandbox(url=f"http://{shown}:{bound}", bruin=bruin, runner=runner)


def env_lines(url: str) -> list[str]:
    """The environment lines that point the bot at a sandbox served on ``url``."""
    base = url.rstrip("/")
    return [
        f"BRUIN_IDENTITY_URL={base}",
        f"BRUIN_API_URL={base}",
        f"BRUIN_OAUTH_CLIENT_ID={SANDBOX_CLIENT_ID}",
        f"BRUIN_OAUTH_CLIENT_SECRET={SANDBOX_CLIENT_SECRET}",
        f"BRUIN_CUSTOMER_ID={SANDBOX_CUSTOMER_ID}",
    ]
