"""/bric end to end: grammar -> real Bric client -> Bric sandbox over loopback -> Block Kit."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr
from slack_sdk.models.blocks import Block

from bot.config import Settings, load_settings
from bot.console.app import run_console
from bot.core.dispatch import Caller, Dispatcher, Services
from bot.core.gate import WriteGate
from bot.render.blocks import Message
from bot.sandbox import (
    BRIC_COMPANY,
    BRIC_EMAIL,
    BRIC_PASSWORD,
    BRIC_TOKEN_ID,
    BRIC_TOKEN_SECRET,
    Fault,
    RunningSandbox,
)
from bot.services import open_services
from handlers.catalog import build_registry
from tests.commands.conftest import DANA


def bric_settings(sandbox: RunningSandbox, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bric_api_url": sandbox.bric_url,
        "bric_email": BRIC_EMAIL,
        "bric_password": SecretStr(BRIC_PASSWORD),
        "bric_company": BRIC_COMPANY,
    }
    return Settings(**(values | overrides))


@pytest.fixture
async def bric_services(sandbox: RunningSandbox) -> AsyncIterator[Services]:
    async with open_services(bric_settings(sandbox)) as svc:
        yield svc


def text_of(message: Message) -> str:
    return json.dumps(message.to_dict(), ensure_ascii=False)


async def run(
    d: Dispatcher, s: Services, text: str, caller: Caller = DANA, command: str = "/bric"
) -> Message:
    message = await d.dispatch(command, text, caller, s)
    for block in message.to_dict()["blocks"]:
        assert Block.parse(block) is not None
    return message


async def test_help_lists_every_bric_subcommand(dispatcher, bric_services) -> None:
    body = text_of(await run(dispatcher, bric_services, "help"))
    for usage in (
        "/bric projects [client=…] [type=…]",
        "/bric clients",
        "/bric clocked [project=…]",
        "/bric timeoff list [from=YYYY-MM-DD]",
        "/bric timeoff add &lt;start&gt; [end] &lt;event name…&gt;",
    ):
        assert usage in body


async def test_projects_all_and_by_client_name_or_id(dispatcher, bric_services, sandbox) -> None:
    everything = await run(dispatcher, bric_services, "projects")
    assert everything.ok
    assert not everything.public
    body = text_of(everything)
    for name in ("Website redesign", "Mobile app MVP", "Internal tooling", "TPS report portal"):
        assert name in body
    assert "7 projects" in body

    north = text_of(await run(dispatcher, bric_services, "projects client=north"))
    assert "Bric projects · client=Northwind Traders" in north
    assert "Website redesign" in north
    assert "Mobile app MVP" not in north
    assert sandbox.bric.calls[-1].query == {"client_id": ["512000101"]}

    by_id = await run(dispatcher, bric_services, "projects client=512000103")
    sections = json.dumps([b for b in by_id.to_dict()["blocks"] if b["type"] != "header"])
    assert "Menu &amp; label refresh" in sections
    assert "Harbor &amp; Vine" in sections
    assert "Harbor & Vine" not in sections
    assert by_id.text == "Bric projects · client=Harbor &amp; Vine: 1 project"


async def test_projects_by_type(dispatcher, bric_services, sandbox) -> None:
    body = text_of(await run(dispatcher, bric_services, 'projects type="internal"'))
    assert "Internal tooling" in body
    assert "non-billable" in body
    assert "Website redesign" not in body
    assert sandbox.bric.calls[-1].query == {"project_type_id": ["540000003"]}


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("projects client=zzz", "No Bric client matches 'zzz'."),
        ("projects client=o", "Several Bric clients match 'o'"),
        ("projects type=999", "No Bric project type has id 999."),
        ("projects site=x", "Unknown filter site="),
    ],
)
async def test_project_filter_mistakes_are_usage_errors(
    dispatcher, bric_services, sandbox, text: str, sentence: str
) -> None:
    message = await run(dispatcher, bric_services, text)
    assert not message.ok
    assert message.text.startswith(sentence)
    assert "Usage: `/bric projects" in text_of(message)
    assert not sandbox.bric.called("projects")


async def test_clients_are_listed_and_escaped(dispatcher, bric_services) -> None:
    body = text_of(await run(dispatcher, bric_services, "clients"))
    assert "4 clients" in body
    assert "Harbor &amp; Vine" in body
    assert "2 projects: Website redesign, Holiday campaign" in body


async def test_clocked_shows_only_running_timers_with_minutes(dispatcher, bric_services) -> None:
    message = await run(dispatcher, bric_services, "clocked")
    body = text_of(message)
    for who in ("Priya Raman", "Marcus Bell", "Lena Ortiz"):
        assert who in body
    for stopped in ("Tomás Novak", "Grace Okafor", "TPS report portal"):
        assert stopped not in body
    assert "3 running" in body
    lines = [b["text"]["text"] for b in message.to_dict()["blocks"] if b["type"] == "section"]
    marcus = next(line for line in "\n".join(lines).split("\n") if "Marcus Bell" in line)
    minutes = int(marcus.split(" min")[0].rsplit("· ", 1)[1])
    assert minutes >= 125  # started 125 minutes before the sandbox was seeded


async def test_clocked_for_one_project(dispatcher, bric_services, sandbox) -> None:
    body = text_of(await run(dispatcher, bric_services, "clocked project=website"))
    assert "Running timers · Website redesign" in body
    assert "Priya Raman" in body
    assert "Marcus Bell" not in body
    assert sandbox.bric.calls[-1].query == {"project_id": ["731000201"]}
    nobody = text_of(await run(dispatcher, bric_services, "clocked project=tps"))
    assert "Nobody has a timer running right now." in nobody


async def test_timeoff_list_from_today_and_from_a_date(dispatcher, bric_services) -> None:
    upcoming = text_of(await run(dispatcher, bric_services, "timeoff list"))
    assert "Thanksgiving" in upcoming
    assert "company-wide" in upcoming
    assert "Marcus Bell" in upcoming  # his vacation is ahead
    assert "Summer offsite" not in upcoming  # 40 days ago
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=60)).date().isoformat()
    earlier = text_of(await run(dispatcher, bric_services, f"timeoff list from={since}"))
    assert f"Time off from {since}" in earlier
    assert "Summer offsite" in earlier
    bad = await run(dispatcher, bric_services, "timeoff list from=2024-02-30")
    assert not bad.ok
    assert bad.text.startswith("from must be a date in the form YYYY-MM-DD, e.g. from=")


async def test_timeoff_add_stores_the_audit_and_posts_in_channel(
    dispatcher, bric_services, sandbox
) -> None:
    message = await run(dispatcher, bric_services, "timeoff add 2031-02-03 2031-02-04 Move day")
    assert message.ok
    assert message.public
    stored = "Move day — via Slack by Dana Ops (U0CALLER)"
    assert sandbox.bric.payloads("time_blocks.create") == [
        {"start_date": "2031-02-03", "end_date": "2031-02-04", "event_name": stored}
    ]
    body = text_of(message)
    assert stored in body
    assert "Mon 2031-02-03 → Tue 2031-02-04" in body
    [block_id] = sandbox.bric.state.added_blocks
    assert sandbox.bric.time_block(block_id)["person_id"] is None  # company-wide
    listed = text_of(await run(dispatcher, bric_services, "timeoff list from=2031-02-01"))
    assert stored in listed


async def test_timeoff_add_one_day_and_escaped(dispatcher, bric_services, sandbox) -> None:
    message = await run(dispatcher, bric_services, 'timeoff add 2031-03-01 "Party <!channel> & co"')
    [payload] = sandbox.bric.payloads("time_blocks.create")
    assert payload["event_name"].startswith("Party <!channel> & co — via Slack by Dana Ops")
    assert "end_date" not in payload
    body = text_of(message)
    assert "&lt;!channel&gt; &amp; co" in body
    assert "<!channel>" not in body


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("timeoff add 2031-02-30 Bad day", "The start must be a date in the form YYYY-MM-DD"),
        ("timeoff add tomorrow Party", "The start must be a date in the form YYYY-MM-DD"),
        ("timeoff add 2031-02-05 2031-2-30 Party", "The end date must be a date in the form"),
        ("timeoff add 2031-02-05 2031-02-01 Party", "The end date 2031-02-01 is before"),
        ("timeoff add 2031-02-05", "The event name is missing"),
        ("timeoff add 2031-02-05 2031-02-06", "The event name is missing"),
        ("timeoff add", "The start is missing"),
        ("timeoff add 2031-02-05 " + "x" * 250, "The event name is too long"),
    ],
)
async def test_bad_timeoff_input_is_a_usage_error_and_writes_nothing(
    dispatcher, bric_services, sandbox, text: str, sentence: str
) -> None:
    message = await run(dispatcher, bric_services, text)
    assert not message.ok
    assert message.text.startswith(sentence)
    assert "Usage: `/bric timeoff add &lt;start&gt; [end] &lt;event name…&gt;`" in text_of(message)
    assert not sandbox.bric.called("time_blocks.create")


async def test_timeoff_add_is_a_write_guarded_by_the_writers_list(bric_services, sandbox) -> None:
    async def nobody(caller: Caller) -> str | None:
        return "refused timeoff add"

    guarded = Dispatcher(build_registry(), WriteGate(authorize=nobody))
    refused = await run(guarded, bric_services, "timeoff add 2031-02-03 Nope")
    assert refused.text == "refused timeoff add"
    assert not sandbox.bric.called("time_blocks.create")
    read = await run(guarded, bric_services, "clients")
    assert read.ok


async def test_backend_trouble_is_one_sentence(dispatcher, bric_services, sandbox) -> None:
    sandbox.bric.faults.set("clocked_times", Fault(status=500))
    message = await run(dispatcher, bric_services, "clocked")
    assert message.text == "Bric is unavailable right now (HTTP 500)."
    sandbox.bric.faults.set("time_blocks.create", Fault(status=403))
    message = await run(dispatcher, bric_services, "timeoff add 2031-02-03 x")
    assert message.text.startswith("Bric refused adding Bric time off")


async def test_revoked_token_is_replaced_once_and_the_command_succeeds(
    dispatcher, bric_services, sandbox
) -> None:
    assert (await run(dispatcher, bric_services, "clients")).ok
    sandbox.bric.revoke_tokens()
    assert (await run(dispatcher, bric_services, "clients")).ok
    assert sandbox.bric.call_count("tokens.create") == 2


async def test_not_configured_says_how_to_configure(dispatcher) -> None:
    for settings in (
        Settings(),
        Settings(bric_email=BRIC_EMAIL, bric_password=SecretStr("pw-only")),  # no company
    ):
        async with open_services(settings) as services:
            message = await run(dispatcher, services, "clients")
        assert not message.ok
        assert message.text == (
            "Bric is not configured: set BRIC_EMAIL and BRIC_TOKEN_SECRET (or BRIC_PASSWORD "
            "and BRIC_COMPANY so the bot can create a token); see the README."
        )


async def test_the_token_created_by_the_bot_is_revoked_on_shutdown(sandbox, dispatcher) -> None:
    async with open_services(bric_settings(sandbox)) as services:
        assert (await run(dispatcher, services, "clients")).ok
        assert (await run(dispatcher, services, "projects")).ok
        assert len(sandbox.bric.token_ids()) == 2
    assert sandbox.bric.call_count("tokens.create") == 1
    assert sandbox.bric.call_count("tokens.revoke") == 1
    assert sandbox.bric.token_ids() == [BRIC_TOKEN_ID]


async def test_a_configured_secret_is_used_and_never_revoked(sandbox, dispatcher) -> None:
    settings = bric_settings(
        sandbox, bric_token_secret=SecretStr(BRIC_TOKEN_SECRET), bric_token_auth="secret"
    )
    async with open_services(settings) as services:
        assert (await run(dispatcher, services, "clients")).ok
    assert not sandbox.bric.called("tokens.create")
    assert not sandbox.bric.called("tokens.revoke")
    assert sandbox.bric.token_ids() == [BRIC_TOKEN_ID]


# -- the console, as a newcomer uses it ----------------------------------------------------


async def one_shot(command: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run_console(load_settings(), command=command, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


async def test_console_one_shot_clocked_works_with_no_configuration() -> None:
    code, out, err = await one_shot("/bric clocked")
    assert (code, err) == (0, "")
    assert "Running timers" in out
    assert "Priya Raman on Website redesign" in out


async def test_console_time_off_from_one_run_shows_in_the_next() -> None:
    code, out, _ = await one_shot('/bric timeoff add 2031-04-01 "Spring cleaning"')
    assert code == 0
    assert "via the chatops-bot console by" in out
    code, out, _ = await one_shot("/bric timeoff list from=2031-04-01")
    assert code == 0
    assert "Spring cleaning" in out
    code, _, err = await one_shot("/bric timeoff add 2031-04-02 2031-04-01 backwards")
    assert code == 1
    assert err.startswith("The end date 2031-04-01 is before the start date 2031-04-02.")
