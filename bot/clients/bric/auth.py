"""Bric token auth: the token lifecycle of ``docs/BRIC_API.md``.

A Bric token is a long-lived credential, so the strategy is frugal with them:

* a configured secret (``BRIC_TOKEN_SECRET``) is preferred, used as is and never revoked;
* otherwise ONE token is created with ``POST /tokens`` (Basic ``email:password`` plus the
  ``Company: <subdomain>`` header) on first use, and reused;
* a new token is created only after a 401 on the current one, once, however many calls
  saw that 401 at the same moment (single-flight under one lock, keyed on the header
  that failed) — and never to replace a token the bot created that has not worked once
  yet: that 401 means the credentials or ``BRIC_TOKEN_AUTH`` are wrong, and creating
  another would only pile up tokens on the service account;
* the token the bot created is revoked (``DELETE /tokens/{id}``) by :meth:`revoke_own`
  on clean shutdown.

The secret is sent as HTTP Basic: ``email`` mode ``base64(email:secret)`` (the closest
reading of the wiki, the default) or ``secret`` mode ``base64(secret:)``. It is held as a
plain string only inside this object; ``on_secret`` lets the application teach its log
redactor every secret created here.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Mapping
from typing import Literal

from pydantic import SecretStr, ValidationError

from bot.clients.bric.decode import decode, unwrap
from bot.clients.bric.models import Token
from bot.clients.core import RequestInfo
from bot.clients.errors import BadResponse, NotFound, TransportError, UpstreamUnavailable
from bot.clients.transport import Transport

__all__ = ["BricTokenAuth", "TokenAuthMode", "basic_header"]

TokenAuthMode = Literal["email", "secret"]

BACKEND = "bric"


def basic_header(user: str, password: str) -> str:
    """``Basic base64(user:password)``."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class BricTokenAuth:
    """The :class:`~bot.clients.auth.AuthStrategy` of the Bric client."""

    def __init__(
        self,
        *,
        transport: Transport,
        api_url: str,
        email: str | None,
        token_secret: SecretStr | None = None,
        password: SecretStr | None = None,
        company: str | None = None,
        mode: TokenAuthMode = "email",
        timeout: float = 10.0,
        on_create: Callable[[], None] | None = None,
        on_secret: Callable[[str], None] | None = None,
    ) -> None:
        if mode == "email" and not email:
            raise ValueError("BRIC_TOKEN_AUTH=email needs the account's email")
        if token_secret is None and not (email and password and company):
            raise ValueError("pass a token secret, or the email, password and company")
        self._transport = transport
        self._api_url = api_url.rstrip("/")
        self._email = email
        self._password = password
        self._company = company
        self._mode: TokenAuthMode = mode
        self._timeout = timeout
        self._on_create = on_create
        self._on_secret = on_secret
        self._secret: str | None = token_secret.get_secret_value() if token_secret else None
        self._token_id: int | None = None
        """Id of the token this object created (None for a configured secret)."""
        self._confirmed = False
        """The created token has answered at least one call successfully."""
        self._lock = asyncio.Lock()
        self.create_count = 0

    def __repr__(self) -> str:
        source = "created" if self._token_id is not None else "configured"
        if self._secret is None:
            source = "none yet"
        return f"BricTokenAuth(api_url={self._api_url!r}, mode={self._mode!r}, token={source})"

    # -- what the core calls ------------------------------------------------------------

    @property
    def can_create(self) -> bool:
        """Email, password and company are known: ``POST /tokens`` is possible."""
        return bool(self._email and self._password and self._company)

    @property
    def owned_token_id(self) -> int | None:
        """The id of the token this process created and will revoke, if any."""
        return self._token_id

    async def headers(self) -> dict[str, str]:
        secret = self._secret
        if secret is None:
            async with self._lock:
                if self._secret is None:
                    await self._create_own()
                secret = self._secret
        assert secret is not None
        return {"Authorization": self._basic(secret)}

    async def invalidate(self, failed: Mapping[str, str]) -> None:
        async with self._lock:
            if self._secret is None or failed.get("Authorization") != self._basic(self._secret):
                return  # another caller already replaced it: reuse theirs
            if not self.can_create:
                return  # nothing to create a token with; the resend fails as AuthError
            if self._token_id is not None and not self._confirmed:
                return  # our brand-new token was refused: another would be too
            # Forget it; the next headers() creates exactly one replacement. A refused
            # token cannot revoke itself, so there is nothing to clean up.
            self._secret = None
            self._token_id = None
            self._confirmed = False

    def confirm(self) -> None:
        """A call with the current token succeeded (lets a later 401 create a new one)."""
        self._confirmed = True

    # -- token endpoints that need no token ----------------------------------------------

    async def create_token(self) -> Token:
        """``POST /tokens`` (Basic email:password, ``Company``): a new token with its secret."""
        if not (self._email and self._password and self._company):
            raise ValueError("creating a Bric token needs the email, password and company")
        self.create_count += 1
        if self._on_create is not None:
            self._on_create()
        info = RequestInfo(BACKEND, "POST", "/tokens", "creating a Bric token")
        resp = await self._transport.request(
            "POST",
            self._api_url + "/tokens",
            headers={
                "Accept": "application/json",
                "Authorization": basic_header(self._email, self._password.get_secret_value()),
                "Company": self._company,
            },
            timeout=self._timeout,
        )
        item = unwrap(decode(resp, info), "tokens")
        if isinstance(item, list) and len(item) == 1:
            item = item[0]
        try:
            token = Token.model_validate(item)
        except ValidationError:
            raise BadResponse(
                "the token answer has no token", backend=BACKEND, method="POST", path="/tokens"
            ) from None
        if token.secret is None or not token.secret.get_secret_value():
            raise BadResponse(
                "the token answer has no secret", backend=BACKEND, method="POST", path="/tokens"
            )
        if self._on_secret is not None:
            self._on_secret(token.secret.get_secret_value())
        return token

    async def revoke_own(self) -> bool:
        """Revoke the token this object created (never a configured one); True if one was."""
        async with self._lock:
            token_id, secret = self._token_id, self._secret
            if token_id is None or secret is None:
                return False
            self._token_id = None
            self._secret = None
            self._confirmed = False
        path = f"/tokens/{token_id}"
        info = RequestInfo(BACKEND, "DELETE", path, "revoking the bot's Bric token")
        # Straight to the transport: a 401 here must not create a token just to revoke one.
        resp = await self._transport.request(
            "DELETE",
            self._api_url + path,
            headers={"Accept": "application/json", "Authorization": self._basic(secret)},
            timeout=self._timeout,
        )
        try:
            decode(resp, info)
        except NotFound:
            return False  # gone already
        return True

    # -- helpers -------------------------------------------------------------------------

    async def _create_own(self) -> None:
        try:
            token = await self.create_token()
        except (TransportError, UpstreamUnavailable) as exc:
            # A token is a long-lived credential: when the answer to POST /tokens is lost,
            # one may exist already. Surface the failure without the retry a read would do,
            # so a flaky moment never leaves extra tokens behind.
            raise UpstreamUnavailable(
                f"could not create a Bric token ({type(exc).__name__})",
                backend=BACKEND,
                method="POST",
                path="/tokens",
                status=None,
                operation="creating a Bric token",
            ) from None
        assert token.secret is not None
        self._secret = token.secret.get_secret_value()
        self._token_id = token.id
        self._confirmed = False

    def _basic(self, secret: str) -> str:
        if self._mode == "secret":
            return basic_header(secret, "")
        assert self._email is not None
        return basic_header(self._email, secret)
