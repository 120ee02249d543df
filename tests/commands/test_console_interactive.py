"""The console's forms and buttons, driven by scripted answers: the same flows as Slack's
modals and buttons, with the same validation; -c never asks without a terminal."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from bot.config import load_settings
from bot.console.app import run_console
from bot.console.ui import NEEDS_A_TERMINAL, ScriptedPrompter


async def console(
    answers: list[str], *, command: str | None = None
) -> tuple[int, str, str, ScriptedPrompter]:
    out, err = io.StringIO(), io.StringIO()
    prompter = ScriptedPrompter(answers, out)
    code = await run_console(load_settings(), command=command, out=out, err=err, prompter=prompter)
    return code, out.getvalue(), err.getvalue(), prompter


async def test_ticket_new_prompts_like_the_modal_validates_and_creates() -> None:
    answers = [
        "VC0770001234",  # search the inventory
        "1",  # pick VC07700012345
        "",  # category: keep the default (VAS)
        "",  # description left empty: refused, asked again
        "Edge offline since 09:05",
        "Dana Ops",
        "not-an-email",  # refused, asked again
        "dana@example.com",
        "",  # no phone
    ]
    code, out, err, prompter = await console(answers, command="/ticket new")
    assert code == 0, err
    assert "[1] VC07700012345 · SD-WAN · Store 112 - Tampa" in out
    assert "VAS — Service Affecting Trouble (default)" in out
    assert "⚠ Describe the problem." in out
    assert "⚠ That does not look like an email address." in out
    assert "direct message" not in out  # a Slack-only remark
    created = re.search(r"opened ticket (\d+) for VC07700012345", out)
    assert created, out
    assert len(prompter.asked) == len(answers)
    code, shown, _, _ = await console([], command=f"/ticket show {created.group(1)}")
    assert code == 0
    assert "VAS (Service Affecting Trouble)" in shown
    assert "Edge offline since 09:05" in shown
    assert "— via the chatops-bot console by" in shown


async def test_cancelling_the_form_sends_nothing() -> None:
    code, out, _, _ = await console(["VC07700012345", "1"], command="/ticket new")
    assert code == 1
    assert "(cancelled: nothing was sent)" in out
    assert "opened ticket" not in out


async def test_preview_create_asks_for_the_missing_contact_then_creates() -> None:
    answers = [
        "1",  # [1] Create
        "",  # service number: keep VC07700012346
        "",  # category: keep VAS
        "",  # description: keep
        "Dana Ops",
        "dana@example.com",
        "",
    ]
    code, out, err, _ = await console(answers, command='/ticket new VC07700012346 "flapping"')
    assert code == 0, err
    assert "New ticket · preview" in out
    assert "Service number [VC07700012346]" in out
    assert re.search(r"opened ticket \d+ for VC07700012346", out), out


async def test_card_buttons_resolve_with_confirmation_and_add_a_note() -> None:
    answers = [
        "/ticket show 4504",
        "2",  # Resolve
        "n",  # not sure: nothing happens
        "2",  # Resolve again
        "y",
        "",  # done with this card
        "/ticket show 4504",
        "1",  # Add note
        "called the carrier",
        "",
    ]
    code, out, err, _ = await console(answers)
    assert code == 0
    assert "chatops-bot console" in err  # the banner
    assert "Resolve ticket 4504?" in out
    assert "(not done)" in out
    assert out.count("Go ahead? [y/N]") == 2
    assert "resolved 1 service line of ticket 4504" in out
    assert "Ticket 4504 · Resolved" in out
    note = out.rsplit("Latest notes", 1)[1]
    assert "called the carrier\n  │ — via the chatops-bot console by" in note


async def test_one_shot_forms_and_previews_need_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    out, err = io.StringIO(), io.StringIO()
    code = await run_console(load_settings(), command="/ticket new", out=out, err=err)
    assert code == 2
    assert err.getvalue() == NEEDS_A_TERMINAL + "\n"
    assert out.getvalue() == ""
    out, err = io.StringIO(), io.StringIO()
    code = await run_console(
        load_settings(), command="/ticket new VC07700012346 flapping", out=out, err=err
    )
    assert code == 2
    assert "New ticket · preview" in out.getvalue()
    assert "run it interactively" in err.getvalue()
    code = await run_console(load_settings(), command="/ticket show 4504", out=io.StringIO())
    assert code == 0  # optional buttons never ask


def test_the_installed_command_does_not_wait_for_answers_without_a_terminal() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console", "-c", "/ticket new"],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == NEEDS_A_TERMINAL
