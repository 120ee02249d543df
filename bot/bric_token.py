"""``chatops-bot bric-token create|list|revoke <id>``: the Bric service account's tokens.

``create`` needs BRIC_EMAIL, BRIC_PASSWORD and BRIC_COMPANY and prints the new secret once,
as the line to put in ``.env``; nothing else ever prints it, and it is taught to the log
redactor at once. ``list`` and ``revoke`` use BRIC_TOKEN_SECRET when set, else a temporary
token made from the password, which is revoked again before the command exits.
"""

from __future__ import annotations

import sys
from typing import TextIO

import aiohttp

from bot.clients.bric import BricClient
from bot.clients.errors import AuthError, BackendError, NotFound
from bot.config import Settings
from bot.services import bric_config_of, register_secret, register_secrets

__all__ = ["run_bric_token"]

_LOGIN_VARS = "BRIC_EMAIL, BRIC_PASSWORD and BRIC_COMPANY (the company subdomain)"


async def run_bric_token(
    settings: Settings,
    action: str,
    token_id: str | None = None,
    *,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Run one action; 0 on success, 1 when Bric refused, 2 when the command or config is wrong."""
    prog = f"chatops-bot bric-token {action}"

    def fail(sentence: str, code: int = 2) -> int:
        err.write(f"{prog}: {sentence}\n")
        return code

    has_password = bool(settings.bric_email and settings.bric_password and settings.bric_company)
    has_secret = settings.bric_token_secret is not None
    if action in ("create", "list") and token_id is not None:
        return fail(f"takes no id (got {token_id[:20]!r}).")
    wanted: int | None = None
    if action == "revoke":
        if token_id is None or not token_id.strip().isdigit() or int(token_id) <= 0:
            return fail(
                "give the id of the token to revoke, e.g. `chatops-bot bric-token revoke "
                "123456789` (see `chatops-bot bric-token list`)."
            )
        wanted = int(token_id)
    if action == "create" and not has_password:
        return fail(f"set {_LOGIN_VARS} first; a token is created with the password.")
    if action in ("list", "revoke") and not (has_password or has_secret):
        return fail(f"set BRIC_EMAIL and BRIC_TOKEN_SECRET, or {_LOGIN_VARS}, first.")
    if not settings.bric_email and settings.bric_token_auth != "secret":  # noqa: S105 - a mode
        return fail("set BRIC_EMAIL (or BRIC_TOKEN_AUTH=secret) first.")
    register_secrets(settings)
    config = bric_config_of(settings)
    async with aiohttp.ClientSession() as session:
        bric = BricClient.create(session, config, on_secret=register_secret)
        try:
            if action == "create":
                return await _create(bric, settings, out)
            if action == "list":
                return await _list(bric, out)
            assert wanted is not None
            await bric.revoke_token(token_id=wanted)
            out.write(f"Revoked Bric token {wanted}.\n")
            return 0
        except NotFound as exc:
            return fail(exc.message + ".", 1)
        except AuthError:
            return fail(
                "Bric refused the credentials; check "
                + (
                    f"{_LOGIN_VARS}."
                    if action == "create"
                    else "BRIC_TOKEN_SECRET and BRIC_TOKEN_AUTH (or the password settings)."
                ),
                1,
            )
        except BackendError as exc:
            return fail(exc.user_message(), 1)
        finally:
            await bric.aclose()  # revokes the temporary token of list/revoke, if one was made


async def _create(bric: BricClient, settings: Settings, out: TextIO) -> int:
    token = await bric.create_token()
    assert token.secret is not None
    owner = token.user.email if token.user and token.user.email else settings.bric_email
    out.write(
        f"Created Bric token {token.id} for {owner}.\n"
        "Put this line in .env (the secret is shown only this once):\n"
        f"BRIC_TOKEN_SECRET={token.secret.get_secret_value()}\n"
    )
    return 0


async def _list(bric: BricClient, out: TextIO) -> int:
    tokens = await bric.list_tokens()
    temporary = bric.auth.owned_token_id
    if not tokens:
        out.write("The service account has no Bric tokens.\n")
        return 0
    out.write(f"{'id':<12} created_at\n")
    for token in sorted(tokens, key=lambda t: t.id):
        created = token.created_at.isoformat(timespec="seconds") if token.created_at else "—"
        note = "  (temporary, for this listing; revoked on exit)" if token.id == temporary else ""
        out.write(f"{token.id:<12} {created}{note}\n")
    return 0
