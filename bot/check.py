"""``chatops-bot check``: config, store, backend token, Slack auth.test — a short report.

Exits non-zero at the first problem with its cause and the fix, secrets masked.
"""

from __future__ import annotations

import socket
import sys
from typing import TextIO

import aiohttp
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import DBAPIError

from bot.clients.errors import AuthError, BackendError
from bot.config import Settings, data_dir
from bot.logging import redactor
from bot.services import open_services, register_secrets
from bot.slack.app import make_web_client
from bot.store import Store

__all__ = ["masked", "run_check", "store_failure"]

_STORE_FORMS = "sqlite:///abs/path.db or postgresql://user@host:5432/db"


def masked(text: str, settings: Settings) -> str:
    """``text`` with every configured secret (and DATABASE_URL's password) masked."""
    register_secrets(settings)
    return redactor.scrub(text)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _where(settings: Settings) -> str:
    """host:port of DATABASE_URL (no user, no password)."""
    from sqlalchemy.engine import make_url

    try:
        url = make_url(settings.database_url or "")
    except Exception:
        return "the DATABASE_URL host"
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def store_failure(exc: BaseException, settings: Settings) -> tuple[str, str]:
    """(cause, fix) for a store that did not open: the driver's own words where it gave
    some (``database "nosuchdb" does not exist``), masked."""
    orig = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else None
    if orig is not None:
        cause = _first_line(str(orig)) or type(orig).__name__
    elif isinstance(exc, socket.gaierror):
        cause = f"the database host {_where(settings)} does not resolve ({exc.strerror})"
    elif isinstance(exc, ConnectionRefusedError):
        cause = f"no database server accepts connections at {_where(settings)}"
    elif isinstance(exc, (TimeoutError, OSError)) and not str(exc):
        cause = f"the database did not answer ({type(exc).__name__})"
    else:
        cause = _first_line(str(exc)) or type(exc).__name__
    if isinstance(exc, ModuleNotFoundError):
        cause = f"the driver {exc.name} is not installed"
    lowered = cause.lower()
    if "does not exist" in lowered and "database" in lowered:
        fix = "Create that database (createdb <name>) or correct its name in DATABASE_URL."
    elif "password" in lowered or "authentication" in lowered or "role" in lowered:
        fix = "Correct the user or password in DATABASE_URL."
    elif isinstance(exc, OSError) and orig is None:
        fix = "Start the database server, or correct the host and port in DATABASE_URL."
    elif "unable to open database file" in lowered:
        fix = "Point DATABASE_URL (or CHATOPS_DATA_DIR) at a directory this user can write."
    else:
        fix = f"Check DATABASE_URL ({_STORE_FORMS}) and that the database is reachable."
    return masked(cause, settings), fix


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
        cause, fix = store_failure(exc, settings)
        return fail(f"store: {cause}", fix)
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
