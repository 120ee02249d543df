"""The console as a channel, a command typed at a button prompt, and sandbox mode that does
not talk as if it were production (issue 20, parts 5, 6 and 8)."""

from __future__ import annotations

import io
import json

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.console.app import run_console
from bot.console.ui import ScriptedPrompter
from bot.core.dispatch import Dispatcher
from bot.render.blocks import Message
from bot.sandbox import RunningSandbox
from bot.services import open_services
from handlers.catalog import build_registry
from tests.commands.conftest import DANA, sandbox_settings

WARNING = "Bruin has no test environment"


async def console(
    answers: list[str], *, command: str | None = None, channel: str | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    prompter = ScriptedPrompter(answers, out)
    code = await run_console(
        load_settings(), command=command, out=out, err=err, prompter=prompter, channel=channel
    )
    return code, out.getvalue(), err.getvalue()


async def test_a_command_typed_at_a_button_prompt_runs_as_a_command() -> None:
    code, out, _ = await console(["/ticket list status=closed limit=3", "/ticket list limit=abc"])
    assert code == 0
    assert "Button [1-" in out
    assert "Type a number" not in out
    assert "limit must be a whole number from 1 to 25, e.g. limit=10." in out


async def test_a_stray_answer_at_a_button_prompt_says_a_command_is_welcome_too() -> None:
    _, out, _ = await console(["/ticket show 4503", "seven", ""])
    assert "Type a number from 1 to" in out
    assert "or a /command" in out


async def test_with_channel_the_console_keeps_channel_settings() -> None:
    code, _, err = await console([], command="/ticket config customer=40123")
    assert code == 1
    assert "Run this in the channel" in err
    code, out, err = await console([], command="/ticket config customer=40123", channel="C0OPS")
    assert code == 0, err
    assert "This channel now works with Bruin customer 40123" in out
    code, out, err = await console([], command="/ticket subscribe status=open", channel="C0OPS")
    assert code == 0, err
    assert "Subscribed (#1)" in out
    code, out, _ = await console([], command="/ticket subscriptions", channel="C0OPS")
    assert code == 0
    assert "status=open" in out
    assert "by console:" in out
    code, out, _ = await console([], command="/ticket subscriptions", channel="C0OTHER")
    assert "Nothing yet" in out


def test_channel_must_be_a_channel_id(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["console", "--channel", "general", "-c", "/ticket list"])
    assert exited.value.code == 2
    assert "'general' is not a Slack channel id" in capsys.readouterr().err


async def test_sandbox_preview_does_not_warn_and_cards_link_to_the_sandbox() -> None:
    code, out, _ = await console(["2"], command='/ticket new VC07700012345 "edge down"')
    assert code == 0
    assert "New ticket · preview" in out
    assert WARNING not in out
    out_json, err = io.StringIO(), io.StringIO()
    code = await run_console(
        load_settings(), command="/ticket show 4503", as_json=True, out=out_json, err=err
    )
    assert code == 0
    links = [
        e["url"]
        for b in json.loads(out_json.getvalue())["blocks"]
        for e in [*b.get("elements", []), b.get("accessory") or {}]
        if isinstance(e, dict) and e.get("url")
    ]
    assert links
    assert all(u.startswith("http://127.0.0.1:") and u.endswith("/ticket/4503") for u in links)


async def _preview(sandbox: RunningSandbox, **overrides: object) -> Message:
    async with open_services(sandbox_settings(sandbox.url, **overrides)) as services:
        return await Dispatcher(build_registry()).dispatch(
            "/ticket", 'new VC07700012345 "edge down"', DANA, services
        )


async def test_only_the_real_backend_is_called_real(sandbox: RunningSandbox) -> None:
    real = await _preview(sandbox)
    assert WARNING in json.dumps(real.to_dict())
    sandboxed = await _preview(sandbox, bruin_sandbox=True)
    assert WARNING not in json.dumps(sandboxed.to_dict())
    assert "Create" in json.dumps(sandboxed.to_dict())
