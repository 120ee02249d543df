"""``chatops-bot console``: type what you would type in Slack, see the card in the terminal.

With no backend credentials the embedded sandbox runs in-process on a free loopback
port; its state is kept in the data dir so one-shot runs (``-c``) see earlier writes.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TextIO

import platformdirs
from pydantic import SecretStr

from bot.commands import Caller, Dispatcher, Services
from bot.config import Settings
from bot.render.blocks import Message
from bot.render.terminal import render_terminal
from bot.services import open_services
from handlers import families

__all__ = ["data_dir", "parse_line", "run_console"]

PROMPT = "chatops> "
BANNER = (
    "chatops-bot console: type a command as in Slack (/ticket list, /ticket show 4503, "
    '/note add 4503 "called the carrier"); "help" for all commands, Ctrl-D to quit.'
)


def data_dir(settings: Settings) -> Path:
    path = settings.chatops_data_dir or Path(platformdirs.user_data_dir("chatops-bot"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def parse_line(line: str) -> tuple[str, str] | None:
    """``/ticket show 4503`` or ``ticket show 4503`` -> ("/ticket", "show 4503")."""
    line = line.strip()
    if not line:
        return None
    if not line.startswith("/"):
        line = "/" + line
    command, _, text = line.partition(" ")
    return command.lower(), text.strip()


@contextlib.asynccontextmanager
async def _backends(settings: Settings, *, reset: bool) -> AsyncIterator[tuple[Settings, str]]:
    """Point settings at the embedded sandbox unless real Bruin credentials are set."""
    if settings.bruin_configured:
        yield settings, "Bruin at " + settings.bruin_api_url
        return
    from bot.sandbox import (
        SANDBOX_CLIENT_ID,
        SANDBOX_CLIENT_SECRET,
        SANDBOX_CUSTOMER_ID,
        start_sandbox,
    )

    state = data_dir(settings) / "sandbox-bruin.json"
    if reset:
        state.unlink(missing_ok=True)
    sandbox = await start_sandbox(port=0, state_file=state)
    try:
        local = settings.model_copy(
            update={
                "bruin_identity_url": sandbox.url,
                "bruin_api_url": sandbox.url,
                "bruin_oauth_client_id": SANDBOX_CLIENT_ID,
                "bruin_oauth_client_secret": SecretStr(SANDBOX_CLIENT_SECRET),
                "bruin_customer_id": SANDBOX_CUSTOMER_ID,
            }
        )
        yield local, "the embedded Bruin sandbox (no credentials set; state in the data dir)"
    finally:
        await sandbox.stop()


def _print(message: Message, *, as_json: bool, out: TextIO) -> None:
    payload = message.to_dict()
    if as_json:
        out.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(render_terminal(payload, color=out.isatty()) + "\n")


async def run_console(
    settings: Settings,
    *,
    command: str | None = None,
    as_json: bool = False,
    reset: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Run one command (exit status) or the interactive prompt."""
    user = getpass.getuser()
    caller = Caller(user_id=f"console:{user}", display_name=user, surface="console")
    dispatcher = Dispatcher(families())
    async with contextlib.AsyncExitStack() as stack:
        local, where = await stack.enter_async_context(_backends(settings, reset=reset))
        services = await stack.enter_async_context(open_services(local))
        if command is not None:
            return await _one(dispatcher, services, caller, command, as_json, out, err)
        err.write(f"{BANNER}\nTalking to {where}.\n")
        await _loop(dispatcher, services, caller, as_json, out, err)
    return 0


async def _one(
    dispatcher: Dispatcher,
    services: Services,
    caller: Caller,
    line: str,
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    parsed = parse_line(line)
    if parsed is None:
        err.write("Nothing to run: pass a command such as -c '/ticket list'.\n")
        return 2
    message = await dispatcher.dispatch(*parsed, caller, services)
    if not message.ok:
        if as_json:
            _print(message, as_json=True, out=out)
        err.write(message.text + "\n")
        return 1
    _print(message, as_json=as_json, out=out)
    return 0


async def _loop(
    dispatcher: Dispatcher,
    services: Services,
    caller: Caller,
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> None:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    history = FileHistory(str(data_dir(services.settings) / "console_history"))
    session: PromptSession[str] = PromptSession(history=history)
    while True:
        try:
            line = await session.prompt_async(PROMPT)
        except KeyboardInterrupt:
            continue
        except EOFError:
            return
        if line.strip().lower() in {"exit", "quit", ":q"}:
            return
        parsed = parse_line(line)
        if parsed is None:
            continue
        if parsed[0] == "/help":
            parsed = ("/ticket", "help")
        message = await dispatcher.dispatch(*parsed, caller, services)
        _print(message, as_json=as_json, out=out)
