"""The console as a newcomer uses it: one-shot runs, exit codes, JSON, state across runs."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from slack_sdk.models.blocks import Block

from bot.config import load_settings
from bot.console.app import parse_line, run_console


async def one_shot(command: str, *, as_json: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run_console(load_settings(), command=command, as_json=as_json, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_parse_line_accepts_with_or_without_slash() -> None:
    assert parse_line("/ticket show 4503") == ("/ticket", "show 4503")
    assert parse_line("  note add 1 x ") == ("/note", "add 1 x")
    assert parse_line("   ") is None


async def test_list_prints_sandbox_tickets_and_exits_zero() -> None:
    code, out, err = await one_shot("/ticket list")
    assert code == 0
    assert "Tickets · status=open" in out
    assert "4521 · ✚ New" in out
    assert "4490" not in out  # closed
    assert err == ""


async def test_not_found_is_one_sentence_on_stderr_and_non_zero() -> None:
    code, out, err = await one_shot("/ticket show 999999999")
    assert code == 1
    assert out == ""
    assert err.startswith("Ticket 999999999 was not found (Bruin traceId ")
    assert err.endswith(").\n")
    assert err.count("\n") == 1


async def test_json_prints_a_valid_block_kit_payload() -> None:
    code, out, _ = await one_shot("/ticket show 4503", as_json=True)
    assert code == 0
    payload = json.loads(out)
    assert payload["text"].startswith("Ticket 4503")
    assert all(Block.parse(b) is not None for b in payload["blocks"])


async def test_a_note_from_one_run_shows_in_the_next() -> None:
    code, _, _ = await one_shot('/note add 4503 "checked the edge: back online"')
    assert code == 0
    code, out, _ = await one_shot("/ticket show 4503")
    assert code == 0
    assert "checked the edge: back online" in out
    assert "via the chatops-bot console by" in out


def test_the_installed_command_exits_cleanly_without_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console", "-c", "/ticket show 999999999"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "was not found" in done.stderr


def test_bad_configuration_is_one_line_naming_the_variable(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CHATOPS_POLL_SECONDS", "often")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console", "-c", "/ticket list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "CHATOPS_POLL_SECONDS" in done.stderr
