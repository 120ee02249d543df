"""Bruin webhooks: signature check and event parsing (pure functions).

``x-bruin-webhook-signature`` is the upper-case hex HMAC-SHA256 of the raw body with
``BRUIN_WEBHOOK_SECRET``. The body is only a trigger: the bot re-reads the ticket from the
API instead of trusting it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

__all__ = [
    "EVENTS",
    "SIGNATURE_HEADER",
    "WebhookError",
    "WebhookEvent",
    "parse_event",
    "sign_body",
    "verify",
]

EVENTS = frozenset({"Created", "NewNoteAdded", "Closed", "Unresolved"})
SIGNATURE_HEADER = "x-bruin-webhook-signature"


class WebhookError(Exception):
    """The body is not a Bruin event we handle; ``str()`` says why."""


@dataclass(frozen=True)
class WebhookEvent:
    event_type: str
    ticket_id: int
    client_id: int | None


def sign_body(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().upper()


def verify(body: bytes, signature: str | None, secret: str) -> bool:
    """Constant-time check of the signature header (case of the hex digits tolerated)."""
    if not signature:
        return False
    return hmac.compare_digest(sign_body(body, secret), signature.strip().upper())


def _get(data: dict[str, object], *names: str) -> object:
    lowered = {str(k).lower(): v for k, v in data.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def parse_event(body: bytes) -> WebhookEvent:
    """Event type and ticket id from a webhook body, whatever the key casing."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookError("body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookError("body is not a JSON object")
    event = _get(data, "eventType", "event", "type")
    if not isinstance(event, str) or event not in EVENTS:
        raise WebhookError(f"unhandled event type {str(event)[:40]!r}")
    ticket = _get(data, "ticketId", "ticketID", "ticket")
    try:
        ticket_id = int(str(ticket))
    except ValueError:
        raise WebhookError("no ticket id") from None
    if ticket_id <= 0:
        raise WebhookError("no ticket id")
    client = _get(data, "clientId", "clientID")
    try:
        client_id = int(str(client)) if client is not None else None
    except ValueError:
        client_id = None
    return WebhookEvent(event, ticket_id, client_id)
