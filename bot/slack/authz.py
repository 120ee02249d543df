"""Who may write: CHATOPS_WRITERS holds Slack user ids (U…/W…) and user-group ids (S…).

Group membership comes from ``usergroups.users.list`` and is cached for a short time, so
adding someone to the on-call group takes effect within ``ttl`` seconds. If Slack cannot
say, the answer is "no" (fail closed) and nothing is cached.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.caller import Caller

__all__ = ["REFUSAL", "WriterPolicy"]

log = structlog.get_logger(__name__)

REFUSAL = (
    "You are not allowed to make changes through this bot; ask a Slack admin to add you (or a "
    "user group you are in) to CHATOPS_WRITERS."
)


class WriterPolicy:
    def __init__(
        self,
        writers: Sequence[str],
        client: AsyncWebClient,
        *,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.users = frozenset(w for w in writers if not w.startswith("S"))
        self.groups = tuple(w for w in writers if w.startswith("S"))
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = asyncio.Lock()

    @property
    def open_to_all(self) -> bool:
        return not self.users and not self.groups

    async def allows(self, user_id: str) -> bool:
        if self.open_to_all or user_id in self.users:
            return True
        for group in self.groups:
            if user_id in await self._group(group):
                return True
        return False

    async def refusal(self, user_id: str) -> str | None:
        """None when ``user_id`` may write, else the sentence to show."""
        return None if await self.allows(user_id) else REFUSAL

    async def refusal_for(self, caller: Caller) -> str | None:
        """The write gate's authorizer (``bot.core.gate``)."""
        return await self.refusal(caller.user_id)

    async def _group(self, group: str) -> frozenset[str]:
        cached = self._members.get(group)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        async with self._lock:
            cached = self._members.get(group)
            if cached is not None and cached[0] > self._clock():
                return cached[1]
            try:
                resp = await self._client.usergroups_users_list(usergroup=group)
            except SlackApiError as exc:
                log.warning("usergroup_lookup_failed", group=group, error=exc.response.get("error"))
                return frozenset()
            members = frozenset(str(u) for u in resp.get("users") or [])
            self._members[group] = (self._clock() + self._ttl, members)
            return members
