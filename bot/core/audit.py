"""The audit trail: one structured log event per write, whatever surface it came from.

The backend-side record is the audit line inside the write itself (SPEC §5); this event is
the bot-side record an operator can search: who, where, through what, which backend
operation on which object, and how it ended.
"""

from __future__ import annotations

from typing import Literal

import structlog

__all__ = ["Outcome", "audit"]

log = structlog.get_logger("chatops.audit")

Outcome = Literal["ok", "error", "refused", "invalid"]


def audit(
    *,
    user: str,
    channel: str,
    surface: str,
    backend: str,
    operation: str,
    object_id: str | int | None,
    outcome: Outcome,
    detail: str | None = None,
) -> None:
    log.info(
        "audit",
        audit_user=user,
        audit_channel=channel,
        surface=surface,
        backend=backend,
        operation=operation,
        object_id=None if object_id is None else str(object_id),
        outcome=outcome,
        detail=detail,
    )
