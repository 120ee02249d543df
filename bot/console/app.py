"""``chatops-bot console``: type what you would type in Slack, see the card in the terminal.

With no backend credentials the embedded sandbox runs in-process on a free loopback
port; its state is kept in the data dir so one-shot runs (``-c``) see earlier writes.
Cards then link to the sandbox's own address (``BRUIN_PORTAL_URL``) and previews do not
warn that a write is real (``BRUIN_SANDBOX``).

``--channel C…`` acts in a channel, as a slash command there would: ``/ticket config``,
subscriptions and watches are kept in the bot's store (DATABASE_URL, else SQLite in the
data dir), so they can be tried offline.
"""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import json
import sys
from collections.abc import AsyncIterator
from typing import Any, TextIO

from pydantic import SecretStr

from bot.config import Settings, data_dir
from bot.console.ui import NEEDS_A_TERMINAL, ConsoleUI, Prompter, TerminalPrompter, needs_choice
from bot.core.caller import Caller
from bot.core.deps import Services
from bot.core.dispatch import Dispatcher
from bot.render.blocks import Message
from bot.render.terminal import render_terminal
from bot.render.text import configure_zone
from bot.services import open_services
from bot.store import Store
from handlers.catalog import build_registry
from handlers.ticket_actions import is_form_command

__all__ = ["data_dir", "parse_line", "run_console"]

PROMPT = "chatops> "
BANNER = (
    "chatops-bot console: type a command as in Slack (/ticket list, /ticket show 4503, "
    '/note add 4503 "called the carrier"); "help" for all commands, Ctrl-D to quit.'
)


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
    """Point each backend that has no credentials at the embedded sandbox."""
    if settings.bruin_configured and settings.bric_configured:
        yield settings, f"Bruin at {settings.bruin_api_url} and Bric at {settings.bric_api_url}"
        return
    from bot.sandbox import (
        BRIC_COMPANY,
        BRIC_EMAIL,
        BRIC_PASSWORD,
        SANDBOX_CLIENT_ID,
        SANDBOX_CLIENT_SECRET,
        SANDBOX_CUSTOMER_ID,
        start_sandbox,
    )

    state = data_dir(settings) / "sandbox-bruin.json"
    bric_state = data_dir(settings) / "sandbox-bric.json"
    if reset:
        state.unlink(missing_ok=True)
        bric_state.unlink(missing_ok=True)
    sandbox = await start_sandbox(port=0, state_file=state, bric_state_file=bric_state)
    try:
        update: dict[str, Any] = {}
        where: list[str] = []
        if settings.bruin_configured:
            where.append("Bruin at " + settings.bruin_api_url)
        else:
            where.append("the embedded Bruin sandbox")
            update |= {
                "bruin_identity_url": sandbox.url,
                "bruin_api_url": sandbox.url,
                "bruin_portal_url": sandbox.url,
                "bruin_sandbox": True,
                "bruin_oauth_client_id": SANDBOX_CLIENT_ID,
                "bruin_oauth_client_secret": SecretStr(SANDBOX_CLIENT_SECRET),
                "bruin_customer_id": SANDBOX_CUSTOMER_ID,
            }
        if settings.bric_configured:
            where.append("Bric at " + settings.bric_api_url)
        else:
            # The sandbox's service account: the bot creates one token, revoked on exit.
            where.append("the embedded Bric sandbox")
            update |= {
                "bric_api_url": sandbox.bric_url,
                "bric_email": BRIC_EMAIL,
                "bric_password": SecretStr(BRIC_PASSWORD),
                "bric_company": BRIC_COMPANY,
                "bric_token_secret": None,
            }
        note = " (no credentials set; state in the data dir)"
        yield settings.model_copy(update=update), " and ".join(where) + note
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
    prompter: Prompter | None = None,
    channel: str | None = None,
) -> int:
    """Run one command (exit status) or the interactive prompt.

    Forms and Create / Cancel choices prompt through ``prompter``: by default the terminal,
    and with ``-c`` only when stdin is a terminal (otherwise they say to run interactively
    and exit non-zero, so scripts never hang on a question).
    """
    configure_zone(settings.display_zone)
    user = getpass.getuser()
    caller = Caller(
        user_id=f"console:{user}", display_name=user, channel_id=channel or "", surface="console"
    )
    registry = build_registry()
    dispatcher = Dispatcher(registry)
    async with contextlib.AsyncExitStack() as stack:
        local, where = await stack.enter_async_context(_backends(settings, reset=reset))
        services = await stack.enter_async_context(open_services(local))
        if channel:
            store = await Store.open(local.database_url, data_dir=data_dir(local))
            stack.push_async_callback(store.close)
            services = dataclasses.replace(services, store=store)
            where += f", acting in channel {channel}"

        def show(message: Message) -> None:
            _print(message, as_json=as_json, out=out)

        if command is not None:
            if prompter is None and sys.stdin.isatty():
                prompter = TerminalPrompter()
            ui = None
            if prompter is not None:
                ui = ConsoleUI(registry, dispatcher, services, caller, prompter, out, show)
            return await _one(dispatcher, services, caller, command, as_json, out, err, ui)
        err.write(f"{BANNER}\nTalking to {where}.\n")
        ui = ConsoleUI(
            registry, dispatcher, services, caller, prompter or TerminalPrompter(), out, show
        )
        await _loop(dispatcher, services, caller, as_json, out, err, ui, scripted=prompter)
    return 0


async def _one(
    dispatcher: Dispatcher,
    services: Services,
    caller: Caller,
    line: str,
    as_json: bool,
    out: TextIO,
    err: TextIO,
    ui: ConsoleUI | None = None,
) -> int:
    parsed = parse_line(line)
    if parsed is None:
        err.write("Nothing to run: pass a command such as -c '/ticket list'.\n")
        return 2
    if is_form_command(*parsed):
        if ui is None:
            err.write(NEEDS_A_TERMINAL + "\n")
            return 2
        return 0 if await ui.new_ticket() is not None else 1
    message = await dispatcher.dispatch(*parsed, caller, services)
    if not message.ok:
        if as_json:
            _print(message, as_json=True, out=out)
        err.write(message.text + "\n")
        return 1
    _print(message, as_json=as_json, out=out)
    if needs_choice(message):
        if ui is None:
            err.write(NEEDS_A_TERMINAL + "\n")
            return 2
        typed = await ui.choose(message)
        if typed is not None:  # a command typed at the button prompt runs as one
            return await _one(dispatcher, services, caller, typed, as_json, out, err, ui)
    return 0


async def _loop(
    dispatcher: Dispatcher,
    services: Services,
    caller: Caller,
    as_json: bool,
    out: TextIO,
    err: TextIO,
    ui: ConsoleUI,
    *,
    scripted: Prompter | None = None,
) -> None:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    if scripted is not None:
        read = scripted.ask
    else:
        history = FileHistory(str(data_dir(services.settings) / "console_history"))
        session: PromptSession[str] = PromptSession(history=history)

        async def read(prompt: str) -> str:
            return await session.prompt_async(prompt)

    typed: str | None = None  # a command typed at a button prompt, run next
    while True:
        if typed is not None:
            line, typed = typed, None
        else:
            try:
                line = await read(PROMPT)
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
        if is_form_command(*parsed):
            created = await ui.new_ticket()
            if created is not None:
                typed = await ui.choose(created)
            continue
        message = await dispatcher.dispatch(*parsed, caller, services)
        _print(message, as_json=as_json, out=out)
        typed = await ui.choose(message)
