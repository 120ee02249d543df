"""Who is who in Slack: display names for the audit line and the contact details a new
ticket is prefilled with, cached with a short expiry."""

from __future__ import annotations

import time
from collections import OrderedDict

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.caller import Profile

__all__ = ["SlackDirectory"]

log = structlog.get_logger(__name__)


class SlackDirectory:
    def __init__(self, client: AsyncWebClient, *, ttl: float = 600.0, size: int = 2048) -> None:
        self._client = client
        self._ttl = ttl
        self._size = size
        self._people: OrderedDict[str, tuple[float, str, Profile]] = OrderedDict()
        self._members: dict[str, tuple[float, frozenset[str]]] = {}

    async def display_name(self, user_id: str) -> str:
        """The person's display name (else real name, else the id) from users.info."""
        return (await self.person(user_id))[0]

    def cached(self, user_id: str) -> tuple[str, Profile] | None:
        """What is known without a call (to prefill a modal inside the trigger window)."""
        found = self._people.get(user_id)
        if found is None or found[0] <= time.monotonic():
            return None
        return found[1], found[2]

    async def person(self, user_id: str) -> tuple[str, Profile]:
        """(display name, profile) from users.info; the email needs ``users:read.email``."""
        cached = self.cached(user_id)
        if cached is not None:
            return cached
        try:
            resp = await self._client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users_info_failed", user=user_id, error=exc.response.get("error"))
            return user_id, Profile()  # not cached: try again next time
        user = resp.get("user") or {}
        profile = user.get("profile") or {}
        real = profile.get("real_name") or user.get("real_name") or None
        name = str(profile.get("display_name") or real or user.get("name") or user_id)
        found = Profile(
            real_name=str(real) if real else None,
            email=str(profile["email"]) if profile.get("email") else None,
            phone=str(profile["phone"]) if profile.get("phone") else None,
        )
        self._people[user_id] = (time.monotonic() + self._ttl, name, found)
        self._people.move_to_end(user_id)
        while len(self._people) > self._size:
            self._people.popitem(last=False)
        return name, found

    async def is_member(self, user_id: str, channel_id: str) -> bool:
        """True when ``user_id`` is in ``channel_id`` (conversations.members, cached). When
        Slack cannot say, the answer is no: nothing of a channel is shown to an outsider."""
        found = self._members.get(channel_id)
        if found is None or found[0] <= time.monotonic():
            members: set[str] = set()
            cursor = None
            try:
                while True:
                    resp = await self._client.conversations_members(
                        channel=channel_id, cursor=cursor, limit=1000
                    )
                    members.update(str(m) for m in resp.get("members") or [])
                    cursor = (resp.get("response_metadata") or {}).get("next_cursor")
                    if not cursor:
                        break
            except SlackApiError as exc:
                log.warning(
                    "members_lookup_failed", channel=channel_id, error=exc.response.get("error")
                )
                return False
            found = (time.monotonic() + self._ttl / 10, frozenset(members))
            self._members[channel_id] = found
        return user_id in found[1]
