"""Who is who in Slack: display names for the audit line, cached with a short expiry."""

from __future__ import annotations

import time
from collections import OrderedDict

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["SlackDirectory"]

log = structlog.get_logger(__name__)


class SlackDirectory:
    def __init__(self, client: AsyncWebClient, *, ttl: float = 600.0, size: int = 2048) -> None:
        self._client = client
        self._ttl = ttl
        self._size = size
        self._names: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def display_name(self, user_id: str) -> str:
        """The person's display name (else real name, else the id) from users.info."""
        now = time.monotonic()
        cached = self._names.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        name = user_id
        try:
            resp = await self._client.users_info(user=user_id)
            user = resp.get("user") or {}
            profile = user.get("profile") or {}
            name = (
                profile.get("display_name")
                or profile.get("real_name")
                or user.get("real_name")
                or user.get("name")
                or user_id
            )
        except SlackApiError as exc:
            log.warning("users_info_failed", user=user_id, error=exc.response.get("error"))
            return name  # not cached: try again next time
        self._names[user_id] = (now + self._ttl, str(name))
        self._names.move_to_end(user_id)
        while len(self._names) > self._size:
            self._names.popitem(last=False)
        return str(name)
