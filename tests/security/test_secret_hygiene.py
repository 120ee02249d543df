"""Every secret set to a unique marker; full scenarios, failures included, at DEBUG level.
No marker may appear in logs, exception texts, Slack payloads, /metrics or `check` output."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import aiohttp
import structlog
from pydantic import SecretStr

from bot.check import run_check
from bot.logging import configure_logging, redactor
from bot.notify.webhook import sign_body
from bot.runner import running_bot
from bot.sandbox import Fault, start_sandbox
from bot.sandbox.bric_seed import BRIC_COMPANY, BRIC_EMAIL, BRIC_PERSON_ID
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import Harness, bot_settings, wait_for

MARK = "zq9SECRET"
SECRETS = {
    "slack_bot_token": f"xoxb-{MARK}-bot-0001",
    "slack_signing_secret": f"{MARK}-signing-0002",
    "slack_app_token": f"xapp-{MARK}-app-0003",
    "bruin_oauth_client_secret": f"{MARK}-bruin-0004",
    "bruin_webhook_secret": f"{MARK}-webhook-0005",
    "bric_password": f"{MARK}-bric-pw-0006",
}


SIGNING = SECRETS["slack_signing_secret"]


def leaks(haystack: str, extra: list[str]) -> list[str]:
    found = [name for name, value in SECRETS.items() if value in haystack]
    found += [f"created bric token {v[:4]}…" for v in extra if v and v in haystack]
    if MARK in haystack and not found:
        found.append("marker fragment")
    return found


async def test_no_secret_reaches_logs_errors_slack_or_metrics() -> None:
    buf = io.StringIO()
    configure_logging("DEBUG", "json", stream=buf)
    sandbox = await start_sandbox(port=0)
    sandbox.bruin.client_secret = SECRETS["bruin_oauth_client_secret"]
    sandbox.bric.state.people[BRIC_PERSON_ID]["password"] = SECRETS["bric_password"]
    outputs: list[str] = []
    try:
        async with FakeSlack(
            bot_token=SECRETS["slack_bot_token"], app_token=SECRETS["slack_app_token"]
        ) as slack:
            settings = bot_settings(
                sandbox.url,
                slack,
                slack_bot_token=SecretStr(SECRETS["slack_bot_token"]),
                slack_signing_secret=SecretStr(SECRETS["slack_signing_secret"]),
                bruin_oauth_client_secret=SecretStr(SECRETS["bruin_oauth_client_secret"]),
                bruin_webhook_secret=SecretStr(SECRETS["bruin_webhook_secret"]),
                bric_email=BRIC_EMAIL,
                bric_password=SecretStr(SECRETS["bric_password"]),
                bric_company=BRIC_COMPANY,
                bric_api_url=sandbox.url + "/bric/v1",
                log_level="DEBUG",
            )
            outputs.append(repr(settings) + str(settings))
            async with (
                running_bot(settings, host="127.0.0.1", port=0) as bot,
                aiohttp.ClientSession() as http,
            ):
                h = Harness(bot=bot, slack=slack, sandbox=sandbox, http=http)
                # Happy paths on every backend, a write, a mention.
                for command, text in [
                    ("/ticket", "show 4503"),
                    ("/note", "add 4503 hygiene check"),
                    ("/bric", "clients"),
                    ("/ticket", "shwo 1"),
                ]:
                    _, key = await h.command(command, text, secret=SIGNING)
                    if command != "/note":
                        await h.reply(key)
                # Failures: a 500, a revoked token (refresh), a refused token endpoint.
                sandbox.bruin.faults.set("ticket.details", Fault(status=500, times=1))
                _, key = await h.command("/ticket", "show 4503", secret=SIGNING)
                outputs.append(json.dumps(await h.reply(key)))
                sandbox.bruin.expire_tokens()
                _, key = await h.command("/ticket", "show 4503", secret=SIGNING)
                await h.reply(key)
                sandbox.bruin.expire_tokens()
                sandbox.bruin.faults.set("token", Fault(status=401))
                _, key = await h.command("/ticket", "show 4510", secret=SIGNING)
                outputs.append(json.dumps(await h.reply(key)))
                sandbox.bruin.faults.clear()
                # Forged requests and webhooks.
                forged = await h.post_signed(
                    b"command=/ticket&text=show", secret="wrong-secret-000"
                )
                outputs.append(forged.text)
                body = json.dumps({"eventType": "NewNoteAdded", "ticketId": 4503}).encode()
                for signature in ("bad", sign_body(body, SECRETS["bruin_webhook_secret"])):
                    async with http.post(
                        h.base + "/bruin/webhook",
                        data=body,
                        headers={"x-bruin-webhook-signature": signature},
                    ) as resp:
                        outputs.append(await resp.text())
                async with http.get(h.base + "/metrics") as resp:
                    outputs.append(await resp.text())
                async with http.get(h.base + "/readyz") as resp:
                    outputs.append(await resp.text())
                await wait_for(lambda: slack.calls_to("chat.postMessage"))
            check_out = io.StringIO()
            await run_check(settings, out=check_out)
            outputs.append(check_out.getvalue())
            bad = settings.model_copy(update={"slack_bot_token": SecretStr(f"xoxb-{MARK}-wrong")})
            check_out = io.StringIO()
            await run_check(bad, out=check_out)
            outputs.append(check_out.getvalue())
            slack_payloads = [json.dumps(c.params, default=str) for c in slack.calls]
            slack_payloads += [json.dumps(r.body, default=str) for r in slack.responses]
    finally:
        await sandbox.stop()
        logging.getLogger().handlers = []
        structlog.reset_defaults()
    created = [str(t.get("secret") or "") for t in sandbox.bric.state.tokens.values()]
    logs = buf.getvalue()
    assert "hygiene check" in logs or "note" in logs  # the logs did capture the scenario
    assert "DEBUG" in logs.upper()
    assert leaks(logs, created) == [], "secret in logs"
    assert leaks("\n".join(outputs), created) == [], "secret in an answer, /metrics or check"
    assert leaks("\n".join(slack_payloads), created) == [], "secret in a Slack payload"


def test_the_redactor_scrubs_registered_values_from_any_event() -> None:
    redactor.register(["value-to-hide-123"])
    event: dict[str, Any] = {
        "event": "x value-to-hide-123 y",
        "err": ValueError("value-to-hide-123"),
    }
    scrubbed = redactor(None, "info", event)
    assert "value-to-hide-123" not in json.dumps(scrubbed, default=str)
