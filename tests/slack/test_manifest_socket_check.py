"""manifest.yml matches what the app registers; Socket Mode; `chatops-bot check`."""

from __future__ import annotations

import io
from pathlib import Path

import yaml
from pydantic import SecretStr

from bot.check import run_check
from bot.runner import running_bot
from bot.sandbox import RunningSandbox
from bot.slack.app import registered
from bot.slack.manifest import BOT_SCOPES, PLACEHOLDER_URL, build_manifest, render_manifest
from tests.fakes.slack import FakeSlack, socket_envelope
from tests.fakes.slack_signing import slash_command_payload
from tests.slack.conftest import Harness, bot_settings, dumps, wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_yml_is_the_generated_manifest() -> None:
    assert (ROOT / "manifest.yml").read_text() == render_manifest(url=PLACEHOLDER_URL)


def test_manifest_lists_exactly_what_the_app_registers() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == set(registered().commands)
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == set(
        registered().events
    )
    shortcuts = {s["callback_id"] for s in manifest["features"].get("shortcuts", [])}
    assert shortcuts == set(registered().shortcuts)
    assert manifest["settings"]["socket_mode_enabled"] is False
    for entry in manifest["features"]["slash_commands"]:
        assert 2 <= len(entry["command"]) <= 32
        assert entry["description"]
    assert 175 <= len(manifest["display_information"]["long_description"]) <= 4000


def test_manifest_shortcuts_and_home_tab_fit_slack_rules() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    shortcuts = {s["callback_id"]: s for s in manifest["features"]["shortcuts"]}
    assert {k: s["type"] for k, s in shortcuts.items()} == {
        "create_ticket_from_message": "message",
        "add_message_as_note": "message",
        "new_ticket": "global",
    }
    for entry in shortcuts.values():
        assert 1 <= len(entry["name"]) <= 24
        assert 1 <= len(entry["description"]) <= 150
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert "users:read.email" in manifest["oauth_config"]["scopes"]["bot"]


def test_http_manifest_sets_the_options_load_url_for_the_service_search() -> None:
    """The create form's service-number picker is an external_select: Slack loads its
    options from ``message_menu_options_url`` (the same Request URL, which answers
    block_suggestion); without it the picker shows no options in HTTP mode."""
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["message_menu_options_url"] == PLACEHOLDER_URL
    assert interactivity["message_menu_options_url"] == interactivity["request_url"]
    custom = build_manifest(url="https://bot.example.net/slack/events")
    assert custom["settings"]["interactivity"]["message_menu_options_url"] == (
        "https://bot.example.net/slack/events"
    )
    assert (
        "message_menu_options_url" not in build_manifest(socket=True)["settings"]["interactivity"]
    )


def test_the_manifest_declares_every_workflow_step_and_the_unfurl_domain() -> None:
    manifest = build_manifest()
    steps = registered().steps
    assert set(manifest["functions"]) == {s.callback_id for s in steps}
    for step in steps:
        declared = manifest["functions"][step.callback_id]
        assert set(declared["input_parameters"]["properties"]) == {p.name for p in step.inputs}
        assert set(declared["output_parameters"]["properties"]) == {p.name for p in step.outputs}
    assert manifest["settings"]["org_deploy_enabled"] is True
    assert manifest["settings"]["function_runtime"] == "remote"
    assert manifest["features"]["unfurl_domains"] == ["app.bruin.com"]
    assert {"link_shared", "function_executed"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )
    assert {"links:read", "links:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])


def test_readme_names_every_scope_the_manifest_asks_for_and_their_count() -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"The manifest asks for the {len(BOT_SCOPES)} bot scopes" in readme
    missing = [scope for scope in BOT_SCOPES if f"`{scope}`" not in readme]
    assert missing == []


def test_socket_manifest_has_no_urls() -> None:
    manifest = build_manifest(socket=True)
    assert manifest["settings"]["socket_mode_enabled"] is True
    text = dumps(manifest)
    for key in ('"url"', '"request_url"', '"message_menu_options_url"'):
        assert key not in text
    assert "https://" not in text


async def test_every_manifest_command_is_handled_and_others_are_not(harness: Harness) -> None:
    for command in registered().commands:
        resp, key = await harness.command(command, "help")
        assert resp.status == 200, command
        assert "chatops-bot commands" in dumps(await harness.reply(key))
    resp, _ = await harness.command("/unknown", "help")
    assert resp.status == 404


async def test_event_dedupe_holds_across_a_restart(
    slack: FakeSlack, sandbox: RunningSandbox
) -> None:
    from tests.fakes.slack_signing import app_mention_event

    settings = bot_settings(sandbox.url, slack)
    event = app_mention_event(text="<@U0BOT> ticket show 4503")
    import aiohttp

    for _ in range(2):  # the second instance shares the data dir, like a restarted process
        async with (
            running_bot(settings, host="127.0.0.1", port=0) as bot,
            aiohttp.ClientSession() as http,
        ):
            h = Harness(bot=bot, slack=slack, sandbox=sandbox, http=http)
            assert (await h.event(event, event_id="Ev0RESTART", retry_num=1)).status == 200
            await wait_for(lambda: slack.calls_to("chat.postMessage"))
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_socket_mode_handles_a_slash_command(
    slack: FakeSlack, sandbox: RunningSandbox
) -> None:
    settings = bot_settings(sandbox.url, slack, slack_app_token=SecretStr(slack.app_token))
    async with running_bot(settings, host="127.0.0.1", port=0) as bot:
        assert bot.socket is not None
        await slack.wait_for_connection(1, timeout=5)
        url = slack.response_url("sock1", user_id="U0CALLER")
        payload = slash_command_payload(command="/ticket", text="show 4503", response_url=url)
        envelope = socket_envelope("slash_commands", payload)
        await slack.socket_send(envelope)
        ack = await slack.wait_for_ack(envelope["envelope_id"], timeout=5)
        assert ack["envelope_id"] == envelope["envelope_id"]
        reply = await wait_for(lambda: [r for r in slack.responses if r.key == "sock1"])
        assert "Ticket 4503" in dumps(reply[0].body)
        assert not slack.socket_protocol_errors


async def test_check_reports_ok_then_the_fix_for_a_bad_token(
    slack: FakeSlack, sandbox: RunningSandbox
) -> None:
    out = io.StringIO()
    assert await run_check(bot_settings(sandbox.url, slack), out=out) == 0
    assert "All checks passed." in out.getvalue()
    assert "Bruin: access token obtained" in out.getvalue()

    out = io.StringIO()
    bad = bot_settings(sandbox.url, slack, slack_bot_token=SecretStr("xoxb-wrong"))
    assert await run_check(bad, out=out) == 1
    assert "Slack auth.test: invalid_auth" in out.getvalue()
    assert "fix: SLACK_BOT_TOKEN is not valid" in out.getvalue()

    out = io.StringIO()
    wrong = bot_settings(sandbox.url, slack, bruin_oauth_client_secret=SecretStr("nope-nope"))
    assert await run_check(wrong, out=out) == 1
    assert "refused the client credentials" in out.getvalue()
    assert "nope-nope" not in out.getvalue()


async def test_check_and_readiness_cover_bric_when_configured(
    slack: FakeSlack, sandbox: RunningSandbox
) -> None:
    from bot.sandbox.bric_seed import BRIC_COMPANY, BRIC_EMAIL, BRIC_PASSWORD

    bric = {
        "bric_email": BRIC_EMAIL,
        "bric_password": SecretStr(BRIC_PASSWORD),
        "bric_company": BRIC_COMPANY,
        "bric_api_url": sandbox.url + "/bric/v1",
    }
    out = io.StringIO()
    assert await run_check(bot_settings(sandbox.url, slack, **bric), out=out) == 0
    assert "Bric: authenticated" in out.getvalue()
    wrong = bot_settings(sandbox.url, slack, **(bric | {"bric_password": SecretStr("nope-1")}))
    out = io.StringIO()
    assert await run_check(wrong, out=out) == 1
    assert "Bric: the credentials were refused" in out.getvalue()
    async with running_bot(wrong, host="127.0.0.1", port=0) as bot:
        assert not bot.server.ready
        assert "bric" in bot.server.problems
