"""Run the sandboxes on a real TCP port (for the CLI, the console and tests).

Bruin and Bric share one aiohttp app and port: Bruin at the root (its real paths), Bric
under ``/bric/v1``; control endpoints under ``/_sandbox`` and ``/_sandbox/bric``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from aiohttp import web

from .bric import BRIC_COMPANY, BRIC_EMAIL, BRIC_PASSWORD, BricSandbox
from .bruin import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_CUSTOMER_ID,
    BruinSandbox,
)

__all__ = ["BRIC_PREFIX", "RunningSandbox", "env_lines", "start_sandbox"]

BRIC_PREFIX = "/bric/v1"


@dataclass
class RunningSandbox:
    """A sandbox served on ``url``; call :meth:`stop` (or use ``async with``) to shut it down."""

    url: str
    bruin: BruinSandbox
    runner: web.AppRunner = field(repr=False)
    bric: BricSandbox

    @property
    def bric_url(self) -> str:
        """The Bric API root (``BRIC_API_URL``)."""
        return self.url + BRIC_PREFIX

    async def stop(self) -> None:
        self.bruin.release_timeouts()
        self.bric.release_timeouts()
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
    bric_state_file: Path | None = None,
) -> RunningSandbox:
    """Serve a fresh Bruin and Bric sandbox on ``host:port`` (port 0 = a free port)."""
    bruin = BruinSandbox(token_ttl=token_ttl, state_file=state_file)
    bric = BricSandbox(state_file=bric_state_file)
    app = bruin.make_app()
    bric.add_routes(app, prefix=BRIC_PREFIX, control_prefix="/_sandbox/bric")
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=2.0, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
    except BaseException:
        await runner.cleanup()
        raise
    shown = f"[{host}]" if ":" in host else host
    return RunningSandbox(url=f"http://{shown}:{bound}", bruin=bruin, runner=runner, bric=bric)


def env_lines(url: str, *, bric: bool = False) -> list[str]:
    """The environment lines that point the bot at a sandbox served on ``url``.

    With ``bric=True`` the Bric lines follow. They name the service account's email,
    password and company rather than a pre-seeded token secret, so that the bot runs
    the documented token lifecycle against the sandbox: it creates one token on first
    use, reuses it and revokes it on shutdown (and ``chatops-bot bric-token`` works).
    """
    base = url.rstrip("/")
    lines = [
        f"BRUIN_IDENTITY_URL={base}",
        f"BRUIN_API_URL={base}",
        f"BRUIN_OAUTH_CLIENT_ID={SANDBOX_CLIENT_ID}",
        f"BRUIN_OAUTH_CLIENT_SECRET={SANDBOX_CLIENT_SECRET}",
        f"BRUIN_CUSTOMER_ID={SANDBOX_CUSTOMER_ID}",
        # Nothing written here is real: no "Create opens a real ticket" warning, and "Open in
        # Bruin" links point at the sandbox rather than the production portal.
        "BRUIN_SANDBOX=true",
        f"BRUIN_PORTAL_URL={base}",
    ]
    if bric:
        lines += [
            f"BRIC_API_URL={base}{BRIC_PREFIX}",
            f"BRIC_EMAIL={BRIC_EMAIL}",
            f"BRIC_PASSWORD={BRIC_PASSWORD}",
            f"BRIC_COMPANY={BRIC_COMPANY}",
        ]
    return lines
