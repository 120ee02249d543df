"""``chatops-bot check``: config, store, backend token, Slack auth.test — a short report.

Exits non-zero at the first problem with the fix in one sentence.
"""

from __future__ import annotations

import sys
from typing import TextIO

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.clients.errors import AuthError, BackendError
from bot.config import Settings, data_dir
from bot.services import open_services
from bot.slack.app import make_web_client
from bot.store import Store

__all__ = ["run_check"]

_SLACK_FIXES = {
    "invalid_auth": "SLACK_BOT_TOKEN is not valid: copy the Bot User OAuth Token (xoxb-…) "
    "from the app's OAuth & Permissions page.",
    "not_authed": "Set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…).",
    "account_inactive": "The app was uninstalled or its token revoked: reinstall it to the "
    "workspace and copy the new bot token into SLACK_BOT_TOKEN.",
    "token_revoked": "The bot token was revoked: reinstall the app and update SLACK_BOT_TOKEN.",
}


async def run_check(settings: Settings, *, out: TextIO = sys.stdout) -> int:
    def ok(text: str) -> None:
        out.write(f"ok    {text}\n")

    def fail(text: str, fix: str) -> int:
        out.write(f"FAIL  {text}\n      fix: {fix}\n")
        return 1

    ok("configuration is valid")
    mode = "Socket Mode" if settings.socket_mode else f"HTTP on {settings.host}:{settings.port}"
    if settings.slack_bot_token is None:
        return fail("Slack: no bot token", "Set SLACK_BOT_TOKEN to the app's bot token (xoxb-…).")
    if not settings.socket_mode and settings.slack_signing_secret is None:
        return fail(
            "Slack: HTTP mode without a signing secret",
            "Set SLACK_SIGNING_SECRET (app page -> Basic Information), or SLACK_APP_TOKEN "
            "for Socket Mode.",
        )
    ok(f"mode: {mode}")

    try:
        store = await Store.open(settings.database_url, data_dir=data_dir(settings))
        await store.ping()
        await store.close()
    except Exception as exc:
        return fail(
            f"store: {type(exc).__name__}",
            "Check DATABASE_URL (sqlite:///abs/path.db or postgresql://user@host:5432/db) "
            "and that the database is reachable.",
        )
    ok("store is reachable")

    if not settings.bruin_configured:
        ok("Bruin: not configured (its commands will say so)")
    else:
        async with open_services(settings) as services:
            assert services.bruin_client is not None
            try:
                await services.bruin_client.check_token()
            except AuthError:
                return fail(
                    "Bruin: the identity server refused the client credentials",
                    "Check BRUIN_OAUTH_CLIENT_ID / BRUIN_OAUTH_CLIENT_SECRET, and try "
                    "BRUIN_TOKEN_AUTH=basic if the account expects HTTP Basic.",
                )
            except BackendError as exc:
                return fail(
                    f"Bruin: {exc.user_message()}",
                    f"Check that BRUIN_IDENTITY_URL ({settings.bruin_identity_url}) is reachable "
                    "from this host.",
                )
        ok(f"Bruin: access token obtained from {settings.bruin_identity_url}")

    if not settings.bric_configured:
        ok("Bric: not configured (/bric will say so)")
    else:
        async with open_services(settings) as services:
            assert services.bric_client is not None
            try:
                await services.bric_client.check()
            except AuthError:
                return fail(
                    "Bric: the credentials were refused",
                    "Check BRIC_EMAIL and BRIC_TOKEN_SECRET (or BRIC_PASSWORD and BRIC_COMPANY), "
                    "and BRIC_TOKEN_AUTH (email or secret).",
                )
            except BackendError as exc:
                return fail(
                    f"Bric: {exc.user_message()}",
                    f"Check that BRIC_API_URL ({settings.bric_api_url}) is reachable from here.",
                )
        ok(f"Bric: authenticated at {settings.bric_api_url}")

    async with aiohttp.ClientSession() as session:
        client = make_web_client(settings, session=session)
        try:
            resp = await client.auth_test()
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown"))
            return fail(
                f"Slack auth.test: {error}",
                _SLACK_FIXES.get(error, "Check SLACK_BOT_TOKEN and SLACK_API_URL."),
            )
        except aiohttp.ClientError as exc:
            return fail(
                f"Slack: cannot reach {settings.slack_api_url} ({type(exc).__name__})",
                "Check SLACK_API_URL and this host's outbound network.",
            )
    ok(f"Slack: authenticated as {resp.get('user')} in {resp.get('team')}")
    out.write("All checks passed.\n")
    return 0
