"""Button values and modal metadata that cannot be forged.

Everything the bot sends to Slack passes :class:`SealingWebClient` (Web API) or the reply
policy's response_url post; both seal every button value and every view's
``private_metadata`` with an HMAC keyed from a secret only the bot holds. What comes back
is opened with :meth:`Sealer.open`, which refuses anything the bot did not write (a value
edited in a crafted payload, a value of another button, metadata of another person's view).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.config import Settings

__all__ = ["Forged", "Sealer", "SealingWebClient", "sealer_for"]

_SEP = "~"
_MAC_BYTES = 16


class Forged(ValueError):
    """A value or metadata the bot did not write (or wrote for another purpose)."""


class Sealer:
    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"chatops-bot seal v1\0" + key).digest()

    def _mac(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._key, f"{purpose}\0{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode().rstrip("=")

    def seal(self, purpose: str, value: str) -> str:
        return f"{value}{_SEP}{self._mac(purpose, value)}"

    def open(self, purpose: str, sealed: str | None) -> str:
        value, sep, mac = (sealed or "").rpartition(_SEP)
        if not sep or not hmac.compare_digest(mac, self._mac(purpose, value)):
            raise Forged(purpose)
        return value

    # -- what leaves for Slack ------------------------------------------------------------

    def seal_blocks(self, blocks: Any) -> Any:
        """Blocks with every button's value sealed for its action_id.

        Block Kit puts a button in one of two places: a block's ``accessory`` (a section)
        or its ``elements`` (actions); only those are looked at. The blocks given are not
        changed (they belong to a message that may be sent again): a block with a button
        is copied, with a copy of the list or element that holds it, and the rest is
        shared. A button anywhere else would leave unsealed and be refused when clicked
        (every value is opened with :meth:`open_action`), never taken as it is.
        """
        if not isinstance(blocks, list):
            return blocks
        out: list[Any] | None = None
        for i, block in enumerate(blocks):
            if not isinstance(block, dict):
                continue
            sealed = self._seal_block(block)
            if sealed is not block:
                if out is None:
                    out = list(blocks)
                out[i] = sealed
        return blocks if out is None else out

    def _seal_block(self, block: dict[str, Any]) -> dict[str, Any]:
        """``block`` itself when it holds no button with a value, else a sealed copy."""
        out = block
        accessory = block.get("accessory")
        if isinstance(accessory, dict):
            sealed = self._seal_button(accessory)
            if sealed is not accessory:
                out = {**block, "accessory": sealed}
        elements = block.get("elements")
        if isinstance(elements, list):
            changed: list[Any] | None = None
            for i, element in enumerate(elements):
                if isinstance(element, dict):
                    sealed = self._seal_button(element)
                    if sealed is not element:
                        if changed is None:
                            changed = list(elements)
                        changed[i] = sealed
            if changed is not None:
                out = {**out, "elements": changed}
        return out

    def _seal_button(self, element: dict[str, Any]) -> dict[str, Any]:
        value = element.get("value")
        if element.get("type") != "button" or not isinstance(value, str):
            return element
        return {**element, "value": self.seal(f"action:{element.get('action_id')}", value)}

    def seal_view(self, view: Any) -> Any:
        """A view (dict or JSON text) with sealed buttons and sealed private_metadata."""
        if isinstance(view, str):
            return json.dumps(self.seal_view(json.loads(view)))
        if not isinstance(view, Mapping):
            return view
        out = dict(view)
        if "blocks" in out:
            out["blocks"] = self.seal_blocks(out["blocks"])
        meta = out.get("private_metadata")
        if isinstance(meta, str) and meta:
            out["private_metadata"] = self.seal(f"view:{out.get('callback_id')}", meta)
        return out

    def seal_message(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(payload)
        if "blocks" in out:
            out["blocks"] = self.seal_blocks(out["blocks"])
        return out

    # -- what comes back --------------------------------------------------------------------

    def open_action(self, action_id: str, value: str | None) -> str:
        return self.open(f"action:{action_id}", value)

    def open_metadata(self, callback_id: str, meta: str | None) -> str:
        """The metadata the bot wrote for a view of ``callback_id``; "" when it wrote none."""
        if not meta:
            return ""
        return self.open(f"view:{callback_id}", meta)


def sealer_for(settings: Settings) -> Sealer:
    """Keyed from the signing secret (HTTP), else the app token (Socket Mode), else the bot
    token; a process without any of them gets a random key of its own."""
    for secret in (
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.slack_bot_token,
    ):
        if secret is not None:
            return Sealer(secret.get_secret_value().encode())
    return Sealer(secrets.token_bytes(32))


class SealingWebClient(AsyncWebClient):
    """slack_sdk's Web API client; every payload's buttons and views are sealed on the way
    out (``api_call`` is the one method every Web API method goes through)."""

    sealer: Sealer

    def __init__(self, *, sealer: Sealer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sealer = sealer

    async def api_call(
        self, api_method: str, *, json: dict[str, Any] | None = None, **kwargs: Any
    ) -> AsyncSlackResponse:
        if json is not None:
            json = self.sealer.seal_message(json)
            if "view" in json:
                json["view"] = self.sealer.seal_view(json["view"])
        return await super().api_call(api_method, json=json, **kwargs)
