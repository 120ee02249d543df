"""Real ``chatops-bot`` processes on loopback, as an orchestrator runs them.

Each process gets its settings from the environment only (no ``.env``: it runs in the
test's empty directory), talks to the fake Slack and the Bruin sandbox served by the test,
and, for the replica tests, to a fresh PostgreSQL database (dropped after the test).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from bot.runner import SHUTDOWN_SECONDS
from bot.sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_CUSTOMER_ID,
    RunningSandbox,
)
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_signing import signed_headers, slash_command_body

REPO = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("CHATOPS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "deploy-test-signing-secret-0123456789"
POLL_SECONDS = 5  # the smallest CHATOPS_POLL_SECONDS: lease 7.5 s, others ask every 2.5 s
SHUTDOWN_GRACE = SHUTDOWN_SECONDS + 5.0
"""How long a test waits for a SIGTERMed process to exit (its own bound plus slack)."""
_OWN = ("SLACK_", "BRUIN_", "BRIC_", "CHATOPS_", "DATABASE_URL", "LOG_", "PORT", "HOST")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(**values: str) -> dict[str, str]:
    """This environment without any bot setting, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(_OWN)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(values)
    return env


def bot_env(
    slack: FakeSlack, sandbox: RunningSandbox, data_dir: Path, **values: str
) -> dict[str, str]:
    """What an operator's ``.env`` holds, pointed at the fakes."""
    settings = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "SLACK_RESPONSE_URL_PREFIX": slack.url,
        "BRUIN_IDENTITY_URL": sandbox.url,
        "BRUIN_API_URL": sandbox.url,
        "BRUIN_OAUTH_CLIENT_ID": SANDBOX_CLIENT_ID,
        "BRUIN_OAUTH_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "BRUIN_CUSTOMER_ID": str(SANDBOX_CUSTOMER_ID),
        "BRUIN_TIMEOUT_SECONDS": "8",
        "CHATOPS_POLL_SECONDS": str(POLL_SECONDS),
        "CHATOPS_DATA_DIR": str(data_dir),
        "HOST": "127.0.0.1",
        "LOG_FORMAT": "json",
    }
    return base_env(**{**settings, **values})


@dataclass
class BotProcess:
    """One ``python -m bot ARGS`` process with its log in a file."""

    name: str
    proc: asyncio.subprocess.Process
    port: int
    log_path: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def events(self) -> list[dict[str, Any]]:
        """The JSON log lines (structlog), in order."""
        found = []
        for line in self.log().splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict):
                    found.append(entry)
        return found

    def logged(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.events() if e.get("event") == event]

    async def get(
        self, http: aiohttp.ClientSession, path: str
    ) -> tuple[int, dict[str, Any]] | None:
        """(status, JSON body) of ``GET path``, or None when nothing answers."""
        try:
            async with http.get(self.base + path, timeout=aiohttp.ClientTimeout(total=2)) as r:
                body = await r.json(content_type=None)
                return r.status, body if isinstance(body, dict) else {}
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None

    async def wait_ready(self, http: aiohttp.ClientSession, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.returncode is not None:
                raise AssertionError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.log()[-3000:]}"
                )
            answer = await self.get(http, "/readyz")
            if answer is not None and answer[0] == 200:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name} not ready in {timeout} s:\n{self.log()[-3000:]}")

    async def command(self, http: aiohttp.ClientSession, slack: FakeSlack, text: str) -> str:
        """Send a signed ``/ticket TEXT``; returns the response_url key its replies use."""
        key = f"deploy{uuid.uuid4().hex[:10]}"
        body = slash_command_body(
            command="/ticket",
            text=text,
            response_url=slack.response_url(key, user_id="U0CALLER"),
            channel_id="C0OPS",
        )
        headers = signed_headers(
            body, secret=SECRET, content_type="application/x-www-form-urlencoded"
        )
        async with http.post(self.base + "/slack/events", data=body, headers=headers) as resp:
            assert resp.status == 200, await resp.text()
        return key

    def signal(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(sig)

    async def wait_exit(self, timeout: float) -> int:
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"{self.name} still running {timeout} s later:\n{self.log()[-3000:]}"
            ) from None

    async def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


Spawn = Callable[..., Any]


@pytest.fixture
async def spawn(tmp_path: Path) -> AsyncIterator[Spawn]:
    """``await spawn(name, env, *args)`` starts ``python -m bot ARGS`` (default ``run``) with
    ``env`` on a free port; every process still running at the end is killed."""
    started: list[BotProcess] = []

    async def start(name: str, env: dict[str, str], *args: str) -> BotProcess:
        given = env.get("PORT", "")
        port = int(given) if given.isdigit() else free_port()
        env = {"PORT": str(port), **env}  # a given PORT, even a malformed one, wins
        log_path = tmp_path / f"{name}.log"
        with log_path.open("wb") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                *(args or ("run",)),
                env=env,
                cwd=tmp_path,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        bot = BotProcess(name=name, proc=proc, port=port, log_path=log_path)
        started.append(bot)
        return bot

    try:
        yield start
    finally:
        for bot in started:
            await bot.kill()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (dropped after the test); skips loudly without a server."""
    try:
        admin = await asyncpg.connect(PG_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"POSTGRESQL DEPLOY TESTS SKIPPED: {PG_ADMIN} did not answer ({exc})")
    name = f"chatops_deploy_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def until(predicate: Callable[[], Any], timeout: float, what: str) -> float:
    """Poll an (async or plain) predicate every 50 ms; seconds it took."""
    started = time.monotonic()
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)
