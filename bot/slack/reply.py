"""The reply policy: where a message goes in Slack, and where it goes when that fails.

Every message the Slack adapter sends passes one of these methods, named by intent:

=============  =====================================================================
``private``    only the person: the response_url (ephemeral), else chat.postEphemeral,
               else a DM with the bot
``public``     the channel (in the thread when there is one): chat.postMessage, else the
               response_url (in_channel) where the bot is not a member, else a DM
``answer``     a command's answer: ``public`` when the message is public, else ``private``
``replace``    the message that held the button: chat.update, else the response_url's
               replace_original (ephemeral messages cannot be chat.update-d)
``delete``     the message that held the button, through the response_url
``unfurl``     link previews under someone's message (chat.unfurl)
=============  =====================================================================

Only response URLs under SLACK_RESPONSE_URL_PREFIX (Slack's hooks by default) are used, so
a URL from a crafted payload is never posted to. Button values are sealed on the way out
(``bot.slack.seal``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.metrics import Metrics
from bot.render.blocks import Message
from bot.slack.seal import Sealer
from bot.store import Store

__all__ = ["NOT_IN_CHANNEL", "Replies", "Source", "Where"]

log = structlog.get_logger(__name__)

NOT_IN_CHANNEL = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
Where = Literal["channel", "response_url", "dm", ""]


@dataclass(frozen=True)
class Source:
    """Where a request came from, as far as the signed request says."""

    user_id: str
    channel_id: str = ""
    message_ts: str = ""
    thread_ts: str = ""
    ephemeral: bool = False
    response_url: str = ""
    trigger_id: str = ""

    @classmethod
    def of_command(cls, command: Mapping[str, Any]) -> Source:
        return cls(
            user_id=str(command.get("user_id") or ""),
            channel_id=str(command.get("channel_id") or ""),
            response_url=str(command.get("response_url") or ""),
            trigger_id=str(command.get("trigger_id") or ""),
        )

    @classmethod
    def of_action(cls, body: Mapping[str, Any]) -> Source:
        container = body.get("container") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
        return cls(
            user_id=str((body.get("user") or {}).get("id", "")),
            channel_id=str(channel),
            message_ts=str(container.get("message_ts") or ""),
            thread_ts=str(container.get("thread_ts") or ""),
            ephemeral=bool(container.get("is_ephemeral")),
            response_url=str(body.get("response_url") or ""),
            trigger_id=str(body.get("trigger_id") or ""),
        )

    @classmethod
    def of_shortcut(cls, body: Mapping[str, Any]) -> Source:
        return cls(
            user_id=str((body.get("user") or {}).get("id", "")),
            channel_id=str((body.get("channel") or {}).get("id") or ""),
            message_ts=str(body.get("message_ts") or ""),
            response_url=str(body.get("response_url") or ""),
            trigger_id=str(body.get("trigger_id") or ""),
        )

    def meta(self) -> dict[str, Any]:
        """What a modal must remember of where it was opened (sealed with the view)."""
        return {
            "ch": self.channel_id,
            "ts": self.message_ts,
            "eph": 1 if self.ephemeral else None,
            "ru": self.response_url,
            "u": self.user_id,
        }

    @classmethod
    def of_meta(cls, meta: Mapping[str, Any], user_id: str) -> Source:
        return cls(
            user_id=user_id,
            channel_id=str(meta.get("ch") or ""),
            message_ts=str(meta.get("ts") or ""),
            ephemeral=bool(meta.get("eph")),
            response_url=str(meta.get("ru") or ""),
        )

    def without_message(self) -> Source:
        return replace(self, message_ts="", thread_ts="")


class Replies:
    """See the module docstring. One per process."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        store: Store,
        metrics: Metrics,
        sealer: Sealer,
        response_url_prefix: str,
    ) -> None:
        self.client = client
        self._store = store
        self._metrics = metrics
        self._sealer = sealer
        self._prefix = response_url_prefix
        self.revoked = False
        """Set when Slack took the bot's access away: nothing is sent any more."""

    # -- the policy --------------------------------------------------------------------------

    async def private(self, source: Source, message: Message, *, replace: bool = False) -> bool:
        payload = message.to_dict()
        body = {**payload, "response_type": "ephemeral", "replace_original": replace}
        if source.response_url and await self.hook(source.response_url, body):
            return True
        if source.channel_id:
            try:
                await self.client.chat_postEphemeral(
                    channel=source.channel_id,
                    user=source.user_id,
                    thread_ts=source.thread_ts or None,
                    **payload,
                )
                return True
            except SlackApiError as exc:
                self.failed("chat.postEphemeral", exc)
        return await self.post(source.user_id, message) is not None

    async def public(self, source: Source, message: Message) -> Where:
        if source.channel_id and await self.post(
            source.channel_id, message, thread_ts=source.thread_ts or None
        ):
            return "channel"
        body = {**message.to_dict(), "response_type": "in_channel", "replace_original": False}
        if source.response_url and await self.hook(source.response_url, body):
            return "response_url"
        if await self.post(source.user_id, message) is not None:
            return "dm"
        return ""

    async def answer(self, source: Source, message: Message, *, working: bool = False) -> None:
        """A command's answer; ``working`` replaces (or removes) the "Working on it…" note."""
        if message.public and await self.public(source.without_message(), message) == "channel":
            if working:
                await self.delete(source)
            return
        if message.public:
            return
        await self.private(source, message, replace=working)

    async def working(self, source: Source) -> None:
        """ "Working on it…", only for the person, while a slow command runs."""
        if source.response_url:
            await self.hook(
                source.response_url,
                {"text": "Working on it…", "response_type": "ephemeral", "replace_original": False},
            )

    async def replace(self, source: Source, message: Message) -> bool:
        payload = message.to_dict()
        if source.channel_id and source.message_ts and not source.ephemeral:
            try:
                await self.client.chat_update(
                    channel=source.channel_id, ts=source.message_ts, **payload
                )
                return True
            except SlackApiError as exc:
                self.failed("chat.update", exc)
        if source.response_url:
            return await self.hook(source.response_url, {**payload, "replace_original": True})
        return False

    async def delete(self, source: Source) -> bool:
        return bool(source.response_url) and await self.hook(
            source.response_url, {"delete_original": True}
        )

    async def unfurl(self, channel: str, ts: str, previews: Mapping[str, Message]) -> bool:
        """Link previews under a message (chat.unfurl); False when Slack refused them."""
        if self.revoked or not previews:
            return False
        unfurls = {url: {"blocks": m.to_dict()["blocks"]} for url, m in previews.items()}
        try:
            await self.client.chat_unfurl(channel=channel, ts=ts, unfurls=unfurls)
        except SlackApiError as exc:
            self.failed("chat.unfurl", exc)
            return False
        return True

    # -- the two ways out ----------------------------------------------------------------------

    async def post(
        self, channel: str, message: Message, *, thread_ts: str | None = None
    ) -> dict[str, Any] | None:
        """chat.postMessage; None where the bot cannot post (the caller falls back)."""
        if self.revoked:
            return None
        try:
            resp = await self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, **message.to_dict()
            )
        except SlackApiError as exc:
            self.failed("chat.postMessage", exc)
            return None
        data = dict(resp.data) if isinstance(resp.data, dict) else None
        if data and message.card_of is not None and thread_ts is None and data.get("ts"):
            # A ticket's card in a channel: its later updates thread under it.
            await self._store.remember_card(
                str(data.get("channel") or channel), message.card_of, str(data["ts"])
            )
        return data

    def allowed_hook(self, url: str) -> bool:
        return url.startswith(self._prefix)

    async def hook(self, url: str, body: dict[str, Any]) -> bool:
        """POST to a response_url; False when it is not Slack's, or Slack refused it (used
        up after 5 uses, expired after 30 minutes). A response_url needs no token, so a
        command is still answered after the bot's token was revoked."""
        if not self.allowed_hook(url):
            log.warning("response_url_refused_not_slack", prefix=self._prefix)
            return False
        try:
            client = AsyncWebhookClient(url, session=self.client.session, timeout=10)
            resp = await client.send_dict(self._sealer.seal_message(body))
        except Exception as exc:  # a dead response_url must not break the flow
            log.warning("response_url_failed", error=repr(exc))
            return False
        if resp.status_code != 200:
            log.warning("response_url_refused", status=resp.status_code, body=resp.body[:100])
        return resp.status_code == 200

    async def report_failure(self, response_url: str, sentence: str) -> bool:
        """A listener failed after its ack: one sentence, only for the person."""
        body = {"text": sentence, "response_type": "ephemeral", "replace_original": False}
        return await self.hook(response_url, body)

    def failed(self, method: str, exc: SlackApiError) -> str:
        error = str(exc.response.get("error", "unknown"))
        self._metrics.slack_errors.labels(method, error).inc()
        log.warning("slack_call_failed", method=method, error=error)
        return error
