"""A faithful fake Slack for tests, console demos and benchmarks.

One aiohttp.web application serves three things:

* the Web API at ``/api/<method>`` (what ``SLACK_API_URL`` / ``AsyncWebClient(base_url=...)``
  should point at: :attr:`FakeSlack.api_url`);
* ``response_url`` receivers at ``/response/<key>`` (see :meth:`FakeSlack.response_url`);
* a Socket Mode WebSocket at ``/socket`` (URLs are handed out by ``apps.connections.open``).

Behaviour follows the platform rules the bot has to live with (reference: the project's Slack
platform notes): logical errors are HTTP 200 ``{"ok": false, "error": ...}``, rate limits are
HTTP 429 with ``Retry-After``; ``trigger_id`` is single-use and expires after 3 s; a
``response_url`` takes 5 posts within 30 min; modals with ``input`` blocks need ``submit``;
messages carry at most 50 blocks and ``text`` is truncated at 40,000 characters.

Channel model (documented decisions):

* ``C…``/``G…`` ids must be registered (constructor ``channels`` or :meth:`FakeSlack.add_channel`),
  otherwise ``channel_not_found``.  Posting where the bot is not a member answers
  ``not_in_channel`` for public channels (unless the ``chat:write.public`` scope is granted) and
  ``channel_not_found`` for private ones (Slack hides private channels from non-members).
* ``D…`` (DM) ids are known only once opened: ``conversations.open``, :meth:`FakeSlack.add_dm`,
  or ``add_channel("D…", member=True)``.  Unknown ``D…`` ids answer ``channel_not_found``.
* Posting with a user id (``U…``/``W…``) as ``channel`` lands in the app's DM with that user, as
  on Slack (the response carries the ``D…`` id); unknown users give ``channel_not_found``.
* Default channels (when ``channels`` is None): ``C0OPS`` (member) and ``C0GENERAL``
  (not a member).  Passing ``channels`` replaces the defaults.

Tokens: the bot token works for every method except ``apps.connections.open``, which needs the
app-level token; the wrong kind answers ``not_allowed_token_type``, an unknown token
``invalid_auth`` and no token at all ``not_authed`` (Slack's code for a missing token).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from aiohttp import WSMsgType, web

JSONDict = dict[str, Any]
Clock = Callable[[], float]

__all__ = [
    "DEFAULT_SCOPES",
    "FakeSlack",
    "ResponseUrlCall",
    "SlackCall",
    "SlackChannel",
    "StoredMessage",
    "socket_envelope",
]

# ---------------------------------------------------------------------------------------------
# Limits (Slack docs; see the platform notes §3, §9, §10)
# ---------------------------------------------------------------------------------------------
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT_CHARS = 40_000
TRIGGER_TTL_S = 3.0
RESPONSE_URL_TTL_S = 30 * 60.0
RESPONSE_URL_MAX_USES = 5
MAX_VIEW_STACK = 3
MAX_SOCKET_CONNECTIONS = 10

DEFAULT_SCOPES: tuple[str, ...] = (
    "app_mentions:read",
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "groups:history",
    "groups:read",
    "im:history",
    "im:read",
    "im:write",
    "links:read",
    "links:write",
    "mpim:write",
    "usergroups:read",
    "users:read",
    "users:read.email",
)

# Parameters Slack accepts as JSON-encoded strings in form bodies.
_JSON_PARAM_KEYS = frozenset({"blocks", "attachments", "view", "metadata", "unfurls"})

# Any one of these scopes allows the method (missing -> missing_scope).
_METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.unfurl": ("links:write",),
    "chat.delete": ("chat:write",),
    "users.info": ("users:read",),
    "usergroups.users.list": ("usergroups:read",),
    "conversations.info": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "conversations.members": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "conversations.open": ("im:write", "mpim:write"),
    "conversations.history": ("channels:history", "groups:history", "im:history"),
    "conversations.replies": ("channels:history", "groups:history", "im:history"),
}

_KNOWN_BLOCK_TYPES = frozenset(
    {
        "actions",
        "call",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)

_PLACEHOLDER_ICON = "https://example.com/placeholder-avatar.png"

# Channels registered when FakeSlack(channels=None): id -> bot is a member.
_DEFAULT_CHANNELS: dict[str, bool] = {"C0OPS": True, "C0GENERAL": False}


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------
@dataclass
class SlackCall:
    """One Web API request as received (every request is recorded, failed ones too)."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    http_method: str = "POST"
    status: int = 200
    error: str | None = None
    response: JSONDict = field(default_factory=dict)


@dataclass
class ResponseUrlCall:
    """One POST received at a response_url (accepted or refused)."""

    key: str
    body: JSONDict
    at: float
    status: int = 200
    error: str | None = None


@dataclass
class SlackChannel:
    id: str
    name: str
    member: bool
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    user: str | None = None
    created: int = 1_700_000_000
    people: set[str] | None = None
    """Who is in the channel (conversations.members); None: every user the fake knows."""


@dataclass
class StoredMessage:
    channel: str
    ts: str
    text: str
    user: str
    blocks: list[Any] | None = None
    attachments: list[Any] | None = None
    thread_ts: str | None = None
    bot_id: str | None = None
    edited_ts: str | None = None
    deleted: bool = False
    ephemeral_to: str | None = None
    via_response_url: str | None = None
    metadata: JSONDict | None = None


@dataclass
class _Trigger:
    created_at: float
    user_id: str
    view_id: str | None
    used: bool = False


@dataclass
class _ResponseUrl:
    key: str
    created_at: float
    channel: str | None
    message_ts: str | None
    user_id: str | None
    is_ephemeral: bool
    uses: int = 0
    expired: bool = False


@dataclass
class _Bucket:
    tokens: float
    updated: float


class _ApiError(Exception):
    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        extra: JSONDict | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> JSONDict:
        return {"ok": False, "error": self.error, **self.extra}


def _invalid_arguments(*messages: str) -> _ApiError:
    return _ApiError("invalid_arguments", extra={"response_metadata": {"messages": list(messages)}})


def _err(message: str, pointer: str) -> str:
    return f"[ERROR] {message} [json-pointer:{pointer}]"


# ---------------------------------------------------------------------------------------------
# Socket Mode envelope builder
# ---------------------------------------------------------------------------------------------
SocketEnvelopeType = Literal["slash_commands", "interactive", "events_api"]

_INTERACTIVE_WITH_RESPONSE = frozenset({"view_submission", "block_suggestion"})


def socket_envelope(
    type_: SocketEnvelopeType,
    payload: JSONDict,
    *,
    accepts_response_payload: bool | None = None,
    retry_attempt: int | None = None,
    retry_reason: str | None = None,
) -> JSONDict:
    """A Socket Mode frame with a fresh uuid4 ``envelope_id``.

    ``accepts_response_payload`` defaults to what Slack sends: true for slash commands,
    view_submission and block_suggestion; false for events and other interactivity.
    ``retry_attempt``/``retry_reason`` are included only for redeliveries.
    """
    if accepts_response_payload is None:
        if type_ == "slash_commands":
            accepts_response_payload = True
        elif type_ == "interactive":
            accepts_response_payload = payload.get("type") in _INTERACTIVE_WITH_RESPONSE
        else:
            accepts_response_payload = False
    envelope: JSONDict = {
        "envelope_id": str(uuid.uuid4()),
        "payload": payload,
        "type": type_,
        "accepts_response_payload": accepts_response_payload,
    }
    if retry_attempt is not None:
        envelope["retry_attempt"] = retry_attempt
        envelope["retry_reason"] = retry_reason or "timeout"
    return envelope


# ---------------------------------------------------------------------------------------------
# Block Kit validation (cheap, structural; see platform notes §9)
# ---------------------------------------------------------------------------------------------
def _text_of(obj: Any) -> str | None:
    if isinstance(obj, dict):
        value = obj.get("text")
        return value if isinstance(value, str) else None
    return None


def _check_len(errors: list[str], value: Any, limit: int, pointer: str) -> None:
    if isinstance(value, str) and len(value) > limit:
        errors.append(_err(f"must be less than {limit + 1} characters", pointer))


def _validate_element(errors: list[str], el: Any, ptr: str) -> None:
    if not isinstance(el, dict) or not isinstance(el.get("type"), str):
        errors.append(_err("must provide an object with a type", ptr))
        return
    _check_len(errors, el.get("action_id"), 255, f"{ptr}/action_id")
    etype = el["type"]
    if etype == "button":
        _check_len(errors, _text_of(el.get("text")), 75, f"{ptr}/text/text")
        _check_len(errors, el.get("value"), 2000, f"{ptr}/value")
        _check_len(errors, el.get("url"), 3000, f"{ptr}/url")
    options = el.get("options")
    if isinstance(options, list):
        if etype == "overflow" and not 2 <= len(options) <= 5:
            errors.append(_err("must provide between 2 and 5 items", f"{ptr}/options"))
        elif len(options) > 100:
            errors.append(_err("no more than 100 items allowed", f"{ptr}/options"))
        for j, opt in enumerate(options):
            if isinstance(opt, dict):
                _check_len(errors, _text_of(opt.get("text")), 75, f"{ptr}/options/{j}/text/text")
                _check_len(errors, opt.get("value"), 150, f"{ptr}/options/{j}/value")
    _check_len(errors, _text_of(el.get("placeholder")), 150, f"{ptr}/placeholder/text")
    max_length = el.get("max_length")
    if isinstance(max_length, int) and max_length > 3000:
        errors.append(_err("must be less than or equal to 3000", f"{ptr}/max_length"))


def validate_blocks(blocks: list[Any], *, max_blocks: int, base: str = "/blocks") -> list[str]:
    """Structural Block Kit checks; returns Slack-style ``[ERROR] … [json-pointer:…]`` strings."""
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(_err(f"no more than {max_blocks} items allowed", base))
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        ptr = f"{base}/{i}"
        if not isinstance(block, dict):
            errors.append(_err("must provide an object", ptr))
            continue
        btype = block.get("type")
        if btype not in _KNOWN_BLOCK_TYPES:
            errors.append(_err(f"invalid block type {btype!r}", f"{ptr}/type"))
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            _check_len(errors, block_id, 255, f"{ptr}/block_id")
            if block_id in seen_ids:
                errors.append(_err("duplicate block_id", f"{ptr}/block_id"))
            seen_ids.add(block_id)
        if btype == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and not fields:
                errors.append(_err("must provide either text or fields", ptr))
            _check_len(errors, _text_of(text), 3000, f"{ptr}/text/text")
            if isinstance(fields, list):
                if len(fields) > 10:
                    errors.append(_err("no more than 10 items allowed", f"{ptr}/fields"))
                for j, f in enumerate(fields):
                    _check_len(errors, _text_of(f), 2000, f"{ptr}/fields/{j}/text")
            if "accessory" in block:
                _validate_element(errors, block["accessory"], f"{ptr}/accessory")
        elif btype == "header":
            header_text = block.get("text")
            if not isinstance(header_text, dict) or header_text.get("type") != "plain_text":
                errors.append(_err("must be a plain_text object", f"{ptr}/text"))
            _check_len(errors, _text_of(header_text), 150, f"{ptr}/text/text")
        elif btype in ("actions", "context"):
            limit = 25 if btype == "actions" else 10
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                errors.append(_err("must provide at least 1 item", f"{ptr}/elements"))
            elif len(elements) > limit:
                errors.append(_err(f"no more than {limit} items allowed", f"{ptr}/elements"))
            elif btype == "actions":
                for j, el in enumerate(elements):
                    _validate_element(errors, el, f"{ptr}/elements/{j}")
        elif btype == "input":
            label = block.get("label")
            if not isinstance(label, dict):
                errors.append(_err("missing required field: label", f"{ptr}/label"))
            _check_len(errors, _text_of(label), 2000, f"{ptr}/label/text")
            _check_len(errors, _text_of(block.get("hint")), 2000, f"{ptr}/hint/text")
            if "element" not in block:
                errors.append(_err("missing required field: element", f"{ptr}/element"))
            else:
                _validate_element(errors, block["element"], f"{ptr}/element")
        elif btype == "markdown":
            _check_len(errors, block.get("text"), 12_000, f"{ptr}/text")
    return errors


def _has_input_block(blocks: Iterable[Any]) -> bool:
    return any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _normalize_plain_text(obj: Any) -> Any:
    if isinstance(obj, dict) and obj.get("type") == "plain_text" and "emoji" not in obj:
        return {**obj, "emoji": True}
    return obj


# ---------------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------------
class FakeSlack:
    """Fake Slack Web API + response_url receiver + Socket Mode server (one aiohttp app)."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-fake",
        app_token: str = "xapp-fake",
        team_id: str = "T0001",
        bot_user_id: str = "U0BOT",
        channels: dict[str, bool] | None = None,
        post_rate_per_channel: float | None = None,
        post_burst: int = 3,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        bot_id: str = "B0BOT",
        app_id: str = "A0APP",
        bot_name: str = "chatops-bot",
        team_name: str = "Sandbox Workspace",
        team_domain: str = "sandbox-workspace",
        trigger_ttl: float = TRIGGER_TTL_S,
        response_url_ttl: float = RESPONSE_URL_TTL_S,
        response_url_max_uses: int = RESPONSE_URL_MAX_USES,
        msg_blocks_max_chars: int | None = None,
        max_socket_connections: int = MAX_SOCKET_CONNECTIONS,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.function_token = "xwfp-fake"
        """The token a ``function_executed`` event carries (``bot_access_token``)."""
        self.function_results: dict[str, JSONDict] = {}
        """functions.completeSuccess / completeError by function_execution_id."""
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.bot_name = bot_name
        self.team_name = team_name
        self.team_domain = team_domain
        self.scopes: list[str] = list(scopes)
        self.post_rate_per_channel = post_rate_per_channel
        self.post_burst = post_burst
        self.trigger_ttl = trigger_ttl
        self.response_url_ttl = response_url_ttl
        self.response_url_max_uses = response_url_max_uses
        self.msg_blocks_max_chars = msg_blocks_max_chars
        self.max_socket_connections = max_socket_connections
        self._clock = clock
        self._wall = wall_clock

        self.url: str = ""
        self.calls: list[SlackCall] = []
        self.responses: list[ResponseUrlCall] = []
        self.channels: dict[str, SlackChannel] = {}
        self.messages: dict[tuple[str, str], StoredMessage] = {}
        self.ephemerals: list[StoredMessage] = []
        self.views: dict[str, JSONDict] = {}
        self.home_views: dict[str, str] = {}
        self.users: dict[str, JSONDict] = {}
        self.usergroups: dict[str, list[str]] = {"S0ONCALL": ["U0CALLER"]}

        self._fail: dict[str, list[str]] = {}
        self._ratelimit: dict[str, list[int]] = {}
        self._ratelimit_until: dict[str, tuple[float, int]] = {}
        self.revoked_tokens: set[str] = set()
        self._buckets: dict[str, _Bucket] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._stacks: dict[str, list[str]] = {}
        self._user_stack: dict[str, str] = {}
        self._external_ids: dict[str, str] = {}
        self._last_ts_micro = 0
        self._id_counter = 0

        # Socket Mode state
        self.socket_acks: list[JSONDict] = []
        self.socket_sent: list[JSONDict] = []
        self.socket_messages: list[JSONDict] = []
        self.socket_protocol_errors: list[str] = []
        self.socket_ack_latency: dict[str, float] = {}
        self.socket_connects = 0
        self._socket_tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._sent_at: dict[str, float] = {}
        self._accepts_payload: dict[str, bool] = {}
        self._rr = 0
        self._cond: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None

        for cid, member in (channels if channels is not None else _DEFAULT_CHANNELS).items():
            self.add_channel(cid, member=member)
        self.add_user(
            "U0CALLER",
            name="dana",
            real_name="Dana Ops",
            display_name="dana",
            email="dana@example.com",
        )
        self.add_user(bot_user_id, name=bot_name, real_name=bot_name, is_bot=True)

        self._methods: dict[str, tuple[str, Callable[[JSONDict], JSONDict]]] = {
            "api.test": ("any", self._api_test),
            "auth.test": ("bot", self._auth_test),
            "functions.completeSuccess": ("function", self._functions_complete_success),
            "functions.completeError": ("function", self._functions_complete_error),
            "chat.postMessage": ("bot", self._chat_post_message),
            "chat.update": ("bot", self._chat_update),
            "chat.unfurl": ("bot", self._chat_unfurl),
            "chat.postEphemeral": ("bot", self._chat_post_ephemeral),
            "chat.getPermalink": ("bot", self._chat_get_permalink),
            "chat.delete": ("bot", self._chat_delete),
            "views.open": ("bot", self._views_open),
            "views.update": ("bot", self._views_update),
            "views.push": ("bot", self._views_push),
            "views.publish": ("bot", self._views_publish),
            "users.info": ("bot", self._users_info),
            "usergroups.users.list": ("bot", self._usergroups_users_list),
            "conversations.info": ("bot", self._conversations_info),
            "conversations.members": ("bot", self._conversations_members),
            "conversations.open": ("bot", self._conversations_open),
            "conversations.history": ("bot", self._conversations_history),
            "conversations.replies": ("bot", self._conversations_replies),
            "apps.connections.open": ("app", self._apps_connections_open),
        }

    # -- configuration helpers ------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        """Base URL for ``AsyncWebClient(base_url=...)`` / ``SLACK_API_URL`` (ends with ``/``)."""
        if not self.url:
            raise RuntimeError("FakeSlack is not running: call start() first (or set .url)")
        return self.url + "api/"

    def add_channel(
        self,
        channel_id: str,
        *,
        member: bool,
        name: str | None = None,
        is_private: bool | None = None,
    ) -> SlackChannel:
        """Register a channel and the bot's membership in it (``D…`` ids are DMs)."""
        is_im = channel_id.startswith("D")
        if name is None:
            name = re.sub(r"^[CGD]0?", "", channel_id).lower() or channel_id.lower()
        channel = SlackChannel(
            id=channel_id,
            name=name,
            member=True if is_im else member,
            is_private=(channel_id.startswith("G") if is_private is None else is_private),
            is_im=is_im,
        )
        self.channels[channel_id] = channel
        return channel

    def add_dm(self, user_id: str) -> str:
        """Open (or return) the app's DM with a user, as conversations.open would."""
        channel_id = "D" + user_id[1:]
        channel = self.channels.get(channel_id)
        if channel is None:
            channel = SlackChannel(
                id=channel_id, name=user_id, member=True, is_private=True, is_im=True, user=user_id
            )
            self.channels[channel_id] = channel
        return channel_id

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        display_name: str = "",
        email: str | None = None,
        tz: str = "America/New_York",
        tz_label: str = "Eastern Standard Time",
        tz_offset: int = -18_000,
        is_bot: bool = False,
        is_admin: bool = False,
        is_restricted: bool = False,
        deleted: bool = False,
    ) -> JSONDict:
        """Add a users.info record (shape of the users.info fixture)."""
        real = real_name if real_name is not None else name
        first, _, last = real.partition(" ")
        profile: JSONDict = {
            "title": "",
            "phone": "",
            "skype": "",
            "real_name": real,
            "real_name_normalized": real,
            "display_name": display_name,
            "display_name_normalized": display_name,
            "status_text": "",
            "status_emoji": "",
            "status_emoji_display_info": [],
            "status_expiration": 0,
            "avatar_hash": "g0000000000a",
            "first_name": first,
            "last_name": last,
            "image_24": _PLACEHOLDER_ICON,
            "image_32": _PLACEHOLDER_ICON,
            "image_48": _PLACEHOLDER_ICON,
            "image_72": _PLACEHOLDER_ICON,
            "image_192": _PLACEHOLDER_ICON,
            "image_512": _PLACEHOLDER_ICON,
            "status_text_canonical": "",
            "team": self.team_id,
        }
        if email is not None:
            profile["email"] = email
        if is_bot:
            profile["bot_id"] = self.bot_id
            profile["api_app_id"] = self.app_id
        user: JSONDict = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real,
            "tz": tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": is_restricted,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "is_email_confirmed": email is not None,
            "who_can_share_contact_card": "EVERYONE",
        }
        self.users[user_id] = user
        return user

    def add_message(
        self,
        channel: str,
        *,
        text: str,
        user: str = "U0CALLER",
        ts: str | None = None,
        thread_ts: str | None = None,
        blocks: list[Any] | None = None,
    ) -> str:
        """Seed a message written by a human (e.g. the target of a message shortcut)."""
        ts = ts or self._next_ts()
        self.messages[(channel, ts)] = StoredMessage(
            channel=channel, ts=ts, text=text, user=user, blocks=blocks, thread_ts=thread_ts
        )
        return ts

    def messages_in(self, channel: str) -> list[StoredMessage]:
        """Live (not deleted) messages of a channel, oldest first."""
        found = [m for (c, _), m in self.messages.items() if c == channel and not m.deleted]
        return sorted(found, key=lambda m: m.ts)

    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    def fail_next(self, method: str, error: str, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer HTTP 200 ``{"ok": false, "error": …}``."""
        self._fail.setdefault(method, []).extend([error] * times)

    def rate_limit_next(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer 429 + ``Retry-After``."""
        self._ratelimit.setdefault(method, []).extend([max(1, int(retry_after))] * times)

    def rate_limit_for(self, method: str, seconds: float, *, retry_after: int = 1) -> None:
        """Every call of ``method`` for the next ``seconds`` answers 429 + ``Retry-After``
        (Slack's answer to an app over a method's limit for a while)."""
        self._ratelimit_until[method] = (self._clock() + seconds, max(1, int(retry_after)))

    def revoke_tokens(self) -> None:
        """The workspace revoked the app's tokens: from now on every call made with one
        answers ``token_revoked`` (what Slack answers after ``tokens_revoked``)."""
        self.revoked_tokens.update((self.bot_token, self.app_token))

    def issue_trigger_id(self, *, user_id: str = "U0CALLER", view_id: str | None = None) -> str:
        """A trigger_id valid for ``trigger_ttl`` seconds (3 s), usable once.

        ``view_id`` marks a trigger coming from an interaction inside that modal (views.push
        then stacks on that modal); otherwise views.push uses the user's latest modal stack.
        """
        trigger_id = f"{int(self._wall())}.{secrets.randbelow(10**10):010d}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = _Trigger(
            created_at=self._clock(), user_id=user_id, view_id=view_id
        )
        return trigger_id

    def response_url(
        self,
        key: str | None = None,
        *,
        channel: str | None = None,
        message_ts: str | None = None,
        user_id: str | None = None,
        is_ephemeral: bool = False,
    ) -> str:
        """A response_url served here: 5 POSTs within 30 min, then 404 used_url / expired_url.

        Calling again with an existing ``key`` returns the same URL with its remaining budget.
        ``channel``/``message_ts`` link it to a source message so ``replace_original`` /
        ``delete_original`` act on it; ``user_id`` receives ephemeral replies.
        """
        if not self.url:
            raise RuntimeError("FakeSlack is not running: call start() first (or set .url)")
        key = key or secrets.token_hex(8)
        if key not in self._response_urls:
            self._response_urls[key] = _ResponseUrl(
                key=key,
                created_at=self._clock(),
                channel=channel,
                message_ts=message_ts,
                user_id=user_id,
                is_ephemeral=is_ephemeral,
            )
        return f"{self.url}response/{key}"

    def expire_response_url(self, key: str) -> None:
        self._response_urls[key].expired = True

    def clear(self) -> None:
        """Forget recorded calls, response_url posts and socket traffic (state stays)."""
        self.calls.clear()
        self.responses.clear()
        self.socket_acks.clear()
        self.socket_sent.clear()
        self.socket_messages.clear()
        self.socket_protocol_errors.clear()

    # -- lifecycle ------------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{key}", self._handle_response_url)
        app.router.add_get("/socket", self._handle_socket)
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if self._runner is not None:
            return
        self._cond = None  # re-bind the Socket Mode condition to the loop that serves
        runner = web.AppRunner(self.make_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_port = port
        for address in runner.addresses:
            if isinstance(address, tuple) and len(address) >= 2:
                bound_port = int(address[1])
                break
        self.url = f"http://{host}:{bound_port}/"

    async def stop(self) -> None:
        """Close Socket Mode connections and the server (close SocketModeClients first, or
        they will try to reconnect to a server that is gone)."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        await self._close_sockets()
        await runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _on_shutdown(self, app: web.Application) -> None:
        await self._close_sockets()

    async def _close_sockets(self) -> None:
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close()

    # -- ids and clocks -------------------------------------------------------------------------
    def _next_ts(self) -> str:
        micro = max(self._last_ts_micro + 1, int(self._wall() * 1_000_000))
        self._last_ts_micro = micro
        return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        self._id_counter += 1
        return f"{prefix}0{self._id_counter:08X}"

    def _new_hash(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        suffix = "".join(secrets.choice(alphabet) for _ in range(8))
        return f"{int(self._wall())}.{suffix}"

    # -- Web API plumbing -----------------------------------------------------------------------
    async def _read_params(self, request: web.Request) -> tuple[JSONDict, str | None, str | None]:
        """Merge query + body params; returns (params, token, body_error)."""
        params: JSONDict = {}
        for k, v in request.query.items():
            params.setdefault(k, v)
        body_error: str | None = None
        form_token: str | None = params.pop("token", None)
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                raw = await request.read()
                try:
                    decoded = json.loads(raw) if raw else {}
                except ValueError:
                    decoded = None
                if isinstance(decoded, dict):
                    params.update(decoded)  # a token inside a JSON body is not read by Slack
                else:
                    body_error = "invalid_json"
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for k in form:
                    value = form.get(k)
                    if isinstance(value, str):
                        if k == "token":
                            form_token = value
                        else:
                            params[k] = value
            else:
                await request.read()
        for k in _JSON_PARAM_KEYS:
            value = params.get(k)
            if isinstance(value, str) and value[:1] in ("[", "{"):
                with contextlib.suppress(ValueError):
                    params[k] = json.loads(value)
        token: str | None = None
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip() or None
        if token is None:
            token = form_token
        return params, token, body_error

    def _json(
        self, body: JSONDict, *, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        return web.json_response(body, status=status, headers=headers)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params, token, body_error = await self._read_params(request)
        call = SlackCall(
            method=method, params=params, token=token, at=self._clock(), http_method=request.method
        )
        self.calls.append(call)
        headers: dict[str, str] = {}
        if token == self.bot_token:
            headers["x-oauth-scopes"] = ",".join(self.scopes)
        try:
            if body_error is not None:
                raise _ApiError(body_error)
            body = self._dispatch(method, params, token)
        except _ApiError as exc:
            call.status, call.error = exc.status, exc.error
            call.response = exc.body()
            return self._json(call.response, status=exc.status, headers={**headers, **exc.headers})
        call.response = body
        return self._json(body, headers=headers)

    def _dispatch(self, method: str, params: JSONDict, token: str | None) -> JSONDict:
        entry = self._methods.get(method)
        if entry is None:
            raise _ApiError("unknown_method", extra={"req_method": method})
        kind, handler = entry
        if kind != "any":
            if token is None:
                raise _ApiError("not_authed")
            if token in self.revoked_tokens:
                raise _ApiError("token_revoked")
            if token not in (self.bot_token, self.app_token, self.function_token):
                raise _ApiError("invalid_auth")
            if (kind == "app") != (token == self.app_token):
                raise _ApiError("not_allowed_token_type")
            if (kind == "function") != (token == self.function_token):
                raise _ApiError("not_allowed_token_type")
        if kind == "bot":
            needed = _METHOD_SCOPES.get(method)
            if needed and not any(s in self.scopes for s in needed):
                raise _ApiError(
                    "missing_scope",
                    extra={"needed": needed[0], "provided": ",".join(self.scopes)},
                )
        window = self._ratelimit_until.get(method)
        if window is not None and self._clock() < window[0]:
            raise _ApiError("ratelimited", status=429, headers={"Retry-After": str(window[1])})
        pending_429 = self._ratelimit.get(method)
        if pending_429:
            retry_after = pending_429.pop(0)
            raise _ApiError("ratelimited", status=429, headers={"Retry-After": str(retry_after)})
        pending_fail = self._fail.get(method)
        if pending_fail:
            raise _ApiError(pending_fail.pop(0))
        return handler(params)

    # -- channel / message helpers --------------------------------------------------------------
    def _find_channel(self, raw: Any) -> SlackChannel | None:
        if not isinstance(raw, str) or not raw:
            return None
        if raw.startswith("#"):
            name = raw[1:]
            return next((c for c in self.channels.values() if c.name == name), None)
        if raw[0] in "UW":
            if raw not in self.users:
                return None
            return self.channels[self.add_dm(raw)]
        found = self.channels.get(raw)
        if found is None:
            found = next((c for c in self.channels.values() if c.name == raw and not c.is_im), None)
        return found

    def _resolve_for_post(self, raw: Any) -> SlackChannel:
        channel = self._find_channel(raw)
        if channel is None:
            raise _ApiError("channel_not_found")
        if not channel.member:
            if channel.is_private or channel.is_im or channel.is_mpim:
                raise _ApiError("channel_not_found")
            if "chat:write.public" not in self.scopes:
                raise _ApiError("not_in_channel")
        return channel

    def _check_rate(self, channel_id: str) -> None:
        rate = self.post_rate_per_channel
        if rate is None or rate <= 0:
            return
        now = self._clock()
        burst = float(max(1, self.post_burst))
        bucket = self._buckets.get(channel_id)
        if bucket is None:
            bucket = self._buckets[channel_id] = _Bucket(tokens=burst, updated=now)
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return
        retry_after = max(1, math.ceil((1.0 - bucket.tokens) / rate))
        raise _ApiError("ratelimited", status=429, headers={"Retry-After": str(retry_after)})

    def _message_content(
        self, params: JSONDict, *, require: bool = True
    ) -> tuple[str, list[Any] | None, list[Any] | None]:
        """Validate text/blocks/attachments of a message post; returns normalized values."""
        text = params.get("text")
        text = "" if text is None else str(text)
        blocks = params.get("blocks")
        attachments = params.get("attachments")
        if blocks is not None and not isinstance(blocks, list):
            raise _ApiError("invalid_blocks_format")
        if attachments is not None and not isinstance(attachments, list):
            raise _ApiError("invalid_attachments")
        if blocks:
            errors = validate_blocks(blocks, max_blocks=MAX_MESSAGE_BLOCKS)
            if errors:
                raise _ApiError(
                    "invalid_blocks",
                    extra={"errors": errors, "response_metadata": {"messages": errors}},
                )
            if self.msg_blocks_max_chars is not None:
                size = len(json.dumps(blocks, separators=(",", ":")))
                if size > self.msg_blocks_max_chars:
                    raise _ApiError("msg_blocks_too_long")
        if require and not text and not blocks and not attachments:
            raise _ApiError("no_text")
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
        return text, (blocks or None), (attachments or None)

    def _bot_profile(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "deleted": False,
            "name": self.bot_name,
            "updated": 1_700_000_000,
            "app_id": self.app_id,
            "icons": {
                "image_36": _PLACEHOLDER_ICON,
                "image_48": _PLACEHOLDER_ICON,
                "image_72": _PLACEHOLDER_ICON,
            },
            "team_id": self.team_id,
        }

    def _message_json(
        self, msg: StoredMessage, *, with_ts: bool = True, with_metadata: bool = False
    ) -> JSONDict:
        out: JSONDict = {}
        if msg.bot_id:
            out["bot_id"] = msg.bot_id
        out["type"] = "message"
        out["text"] = msg.text
        out["user"] = msg.user
        if with_ts:
            out["ts"] = msg.ts
        if msg.bot_id:
            out["app_id"] = self.app_id
        if msg.blocks is not None:
            out["blocks"] = msg.blocks
        if msg.attachments is not None:
            out["attachments"] = msg.attachments
        if msg.thread_ts:
            out["thread_ts"] = msg.thread_ts
        out["team"] = self.team_id
        if msg.bot_id:
            out["bot_profile"] = self._bot_profile()
        if msg.edited_ts:
            out["edited"] = {"user": self.bot_id, "ts": msg.edited_ts}
        if with_metadata and msg.metadata is not None:
            out["metadata"] = msg.metadata
        return out

    def _lookup_message(self, params: JSONDict, ts_key: str) -> tuple[SlackChannel, StoredMessage]:
        channel = self._find_channel(params.get("channel"))
        if channel is None or (channel.is_private and not channel.member):
            raise _ApiError("channel_not_found")
        ts = params.get(ts_key)
        msg = self.messages.get((channel.id, str(ts)))
        if msg is None or msg.deleted:
            raise _ApiError("message_not_found")
        return channel, msg

    # -- Web API methods ------------------------------------------------------------------------
    def _api_test(self, params: JSONDict) -> JSONDict:
        out: JSONDict = {"ok": True}
        if params:
            out["args"] = params
        return out

    def _auth_test(self, params: JSONDict) -> JSONDict:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: JSONDict) -> JSONDict:
        channel = self._resolve_for_post(params.get("channel"))
        self._check_rate(channel.id)
        text, blocks, attachments = self._message_content(params)
        thread_ts = params.get("thread_ts")
        msg = StoredMessage(
            channel=channel.id,
            ts=self._next_ts(),
            text=text,
            user=self.bot_user_id,
            blocks=blocks,
            attachments=attachments,
            thread_ts=str(thread_ts) if thread_ts else None,
            bot_id=self.bot_id,
            metadata=params["metadata"] if isinstance(params.get("metadata"), dict) else None,
        )
        self.messages[(channel.id, msg.ts)] = msg
        return {"ok": True, "channel": channel.id, "ts": msg.ts, "message": self._message_json(msg)}

    def _chat_update(self, params: JSONDict) -> JSONDict:
        channel, msg = self._lookup_message(params, "ts")
        if msg.bot_id != self.bot_id:
            raise _ApiError("cant_update_message")
        text, blocks, attachments = self._message_content(params)
        msg.text = text
        if "blocks" in params:
            msg.blocks = blocks
        if "attachments" in params:
            msg.attachments = attachments
        msg.edited_ts = self._next_ts()
        return {
            "ok": True,
            "channel": channel.id,
            "ts": msg.ts,
            "text": msg.text,
            "message": self._message_json(msg, with_ts=False),
        }

    def _function_result(self, params: JSONDict, result: JSONDict) -> JSONDict:
        execution = params.get("function_execution_id")
        if not isinstance(execution, str) or not execution:
            raise _invalid_arguments(_err("missing required field: function_execution_id", "/"))
        if execution in self.function_results:
            raise _ApiError("function_execution_already_completed")
        self.function_results[execution] = result
        return {"ok": True}

    def _functions_complete_success(self, params: JSONDict) -> JSONDict:
        outputs = params.get("outputs")
        if isinstance(outputs, str):
            outputs = json.loads(outputs)
        return self._function_result(params, {"ok": True, "outputs": outputs or {}})

    def _functions_complete_error(self, params: JSONDict) -> JSONDict:
        return self._function_result(params, {"ok": False, "error": str(params.get("error"))})

    def _chat_unfurl(self, params: JSONDict) -> JSONDict:
        """Previews under a message: Slack wants channel + ts (or unfurl_id + source) and an
        ``unfurls`` map of URL -> attachment-like object."""
        unfurls = params.get("unfurls")
        if isinstance(unfurls, str):
            unfurls = json.loads(unfurls)
        if not isinstance(unfurls, dict) or not unfurls:
            raise _invalid_arguments(_err("missing required field: unfurls", "/unfurls"))
        self._lookup_message(params, "ts")
        return {"ok": True}

    def _chat_post_ephemeral(self, params: JSONDict) -> JSONDict:
        user = params.get("user")
        if not user:
            raise _invalid_arguments(_err("missing required field: user", "/user"))
        channel = self._resolve_for_post(params.get("channel"))
        if user not in self.users:
            raise _ApiError("user_not_found")
        if channel.is_im and channel.user not in (None, user):
            raise _ApiError("user_not_in_channel")
        text, blocks, attachments = self._message_content(params)
        thread_ts = params.get("thread_ts")
        msg = StoredMessage(
            channel=channel.id,
            ts=self._next_ts(),
            text=text,
            user=self.bot_user_id,
            blocks=blocks,
            attachments=attachments,
            thread_ts=str(thread_ts) if thread_ts else None,
            bot_id=self.bot_id,
            ephemeral_to=str(user),
        )
        self.ephemerals.append(msg)
        return {"ok": True, "message_ts": msg.ts}

    def _chat_get_permalink(self, params: JSONDict) -> JSONDict:
        channel, msg = self._lookup_message(params, "message_ts")
        link = f"https://{self.team_domain}.slack.com/archives/{channel.id}/p" + msg.ts.replace(
            ".", ""
        )
        if msg.thread_ts and msg.thread_ts != msg.ts:
            link += f"?thread_ts={msg.thread_ts}&cid={channel.id}"
        return {"ok": True, "permalink": link, "channel": channel.id}

    def _chat_delete(self, params: JSONDict) -> JSONDict:
        channel, msg = self._lookup_message(params, "ts")
        if msg.bot_id != self.bot_id:
            raise _ApiError("cant_delete_message")
        msg.deleted = True
        return {"ok": True, "channel": channel.id, "ts": msg.ts}

    # views ------------------------------------------------------------------------------------
    def _take_trigger(self, params: JSONDict) -> _Trigger:
        trigger_id = params.get("trigger_id")
        if not trigger_id:
            raise _invalid_arguments("[ERROR] missing required field: trigger_id")
        trigger = self._triggers.get(str(trigger_id))
        if trigger is None:
            raise _ApiError("invalid_trigger_id")
        if trigger.used:
            raise _ApiError("exchanged_trigger_id")
        if self._clock() - trigger.created_at > self.trigger_ttl:
            raise _ApiError("expired_trigger_id")
        trigger.used = True
        return trigger

    def _view_param(self, params: JSONDict) -> JSONDict:
        view = params.get("view")
        if view is None:
            raise _invalid_arguments("[ERROR] missing required field: view")
        if not isinstance(view, dict):
            raise _invalid_arguments("[ERROR] failed to parse `view` as JSON")
        return view

    def _validate_view(self, view: JSONDict, *, kinds: tuple[str, ...]) -> None:
        errors: list[str] = []
        vtype = view.get("type")
        if vtype not in kinds:
            errors.append(_err(f"must be one of {', '.join(kinds)}", "/view/type"))
        blocks = view.get("blocks")
        if not isinstance(blocks, list):
            errors.append(_err("missing required field: blocks", "/view/blocks"))
            blocks = []
        errors.extend(validate_blocks(blocks, max_blocks=MAX_VIEW_BLOCKS, base="/view/blocks"))
        if vtype == "modal":
            title = view.get("title")
            if not isinstance(title, dict):
                errors.append(_err("missing required field: title", "/view/title"))
            for key in ("title", "submit", "close"):
                _check_len(errors, _text_of(view.get(key)), 24, f"/view/{key}/text")
            if _has_input_block(blocks) and not view.get("submit"):
                errors.append(_err("must define `submit` to use input block", "/view/submit"))
        _check_len(errors, view.get("private_metadata"), 3000, "/view/private_metadata")
        _check_len(errors, view.get("callback_id"), 255, "/view/callback_id")
        _check_len(errors, view.get("external_id"), 255, "/view/external_id")
        if errors:
            raise _invalid_arguments(*errors)

    def _build_view(
        self,
        view: JSONDict,
        *,
        view_id: str,
        root_view_id: str,
        previous_view_id: str | None,
    ) -> JSONDict:
        vtype = view.get("type", "modal")
        title = view.get("title") or {"type": "plain_text", "text": self.bot_name}
        out: JSONDict = {
            "id": view_id,
            "team_id": self.team_id,
            "type": vtype,
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": self._new_hash(),
            "title": _normalize_plain_text(title),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": _normalize_plain_text(view.get("close")),
            "submit": _normalize_plain_text(view.get("submit")),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if vtype == "modal":
            out["submit_disabled"] = bool(view.get("submit_disabled", False))
        return out

    def _claim_external_id(self, view: JSONDict, view_id: str) -> None:
        external_id = view.get("external_id")
        if external_id:
            owner = self._external_ids.get(str(external_id))
            if owner is not None and owner != view_id:
                raise _ApiError("duplicate_external_id")

    def _store_view(self, out: JSONDict) -> None:
        self.views[out["id"]] = out
        if out.get("external_id"):
            self._external_ids[str(out["external_id"])] = out["id"]

    def _views_open(self, params: JSONDict) -> JSONDict:
        view = self._view_param(params)
        self._validate_view(view, kinds=("modal",))
        trigger = self._take_trigger(params)
        view_id = self._new_id("V")
        self._claim_external_id(view, view_id)
        out = self._build_view(view, view_id=view_id, root_view_id=view_id, previous_view_id=None)
        self._store_view(out)
        self._stacks[view_id] = [view_id]
        self._user_stack[trigger.user_id] = view_id
        return {"ok": True, "view": out}

    def _views_push(self, params: JSONDict) -> JSONDict:
        view = self._view_param(params)
        self._validate_view(view, kinds=("modal",))
        trigger = self._take_trigger(params)
        root: str | None = None
        if trigger.view_id is not None and trigger.view_id in self.views:
            root = self.views[trigger.view_id]["root_view_id"]
        else:
            root = self._user_stack.get(trigger.user_id)
        stack = self._stacks.get(root) if root is not None else None
        if root is None or not stack:
            raise _ApiError("not_found")
        if len(stack) >= MAX_VIEW_STACK:
            raise _ApiError("push_limit_reached")
        view_id = self._new_id("V")
        self._claim_external_id(view, view_id)
        out = self._build_view(view, view_id=view_id, root_view_id=root, previous_view_id=stack[-1])
        self._store_view(out)
        stack.append(view_id)
        return {"ok": True, "view": out}

    def _views_update(self, params: JSONDict) -> JSONDict:
        view = self._view_param(params)
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        if not view_id and not external_id:
            raise _invalid_arguments("[ERROR] missing required field: view_id or external_id")
        if not view_id:
            view_id = self._external_ids.get(str(external_id))
        current = self.views.get(str(view_id)) if view_id else None
        if current is None:
            raise _ApiError("not_found")
        self._validate_view(view, kinds=(current["type"],))
        expected_hash = params.get("hash")
        if expected_hash and expected_hash != current["hash"]:
            raise _ApiError("hash_conflict")
        self._claim_external_id(view, current["id"])
        out = self._build_view(
            view,
            view_id=current["id"],
            root_view_id=current["root_view_id"],
            previous_view_id=current["previous_view_id"],
        )
        if not view.get("external_id") and current.get("external_id"):
            out["external_id"] = current["external_id"]
        self._store_view(out)
        return {"ok": True, "view": out}

    def _views_publish(self, params: JSONDict) -> JSONDict:
        user_id = params.get("user_id")
        if not user_id:
            raise _invalid_arguments("[ERROR] missing required field: user_id")
        view = self._view_param(params)
        self._validate_view(view, kinds=("home",))
        if user_id not in self.users:
            raise _ApiError("user_not_found")
        existing_id = self.home_views.get(str(user_id))
        if existing_id is not None:
            expected_hash = params.get("hash")
            if expected_hash and expected_hash != self.views[existing_id]["hash"]:
                raise _ApiError("hash_conflict")
        view_id = existing_id or self._new_id("V")
        self._claim_external_id(view, view_id)
        out = self._build_view(view, view_id=view_id, root_view_id=view_id, previous_view_id=None)
        self._store_view(out)
        self.home_views[str(user_id)] = view_id
        return {"ok": True, "view": out}

    # users / conversations ---------------------------------------------------------------------
    def _users_info(self, params: JSONDict) -> JSONDict:
        user_id = params.get("user")
        if not user_id:
            raise _invalid_arguments("[ERROR] missing required field: user")
        user = self.users.get(str(user_id))
        if user is None:
            raise _ApiError("user_not_found")
        out = json.loads(json.dumps(user))
        if "users:read.email" not in self.scopes:
            out["profile"].pop("email", None)
        return {"ok": True, "user": out}

    def _usergroups_users_list(self, params: JSONDict) -> JSONDict:
        group = params.get("usergroup")
        if not group:
            raise _invalid_arguments("[ERROR] missing required field: usergroup")
        members = self.usergroups.get(str(group))
        if members is None:
            raise _ApiError("no_such_subteam")
        return {"ok": True, "users": list(members)}

    def _channel_json(self, channel: SlackChannel) -> JSONDict:
        if channel.is_im:
            return {
                "id": channel.id,
                "created": channel.created,
                "is_archived": False,
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": self.team_id,
                "updated": channel.created * 1000,
                "user": channel.user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not channel.is_private and not channel.is_mpim,
            "is_group": channel.is_private and not channel.is_mpim,
            "is_im": False,
            "is_mpim": channel.is_mpim,
            "is_private": channel.is_private,
            "created": channel.created,
            "is_archived": False,
            "is_general": channel.name == "general",
            "unlinked": 0,
            "name_normalized": channel.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": self.team_id,
            "updated": channel.created * 1000,
            "creator": "U0CALLER",
            "is_ext_shared": False,
            "shared_team_ids": [self.team_id],
            "pending_connected_team_ids": [],
            "is_member": channel.member,
            "last_read": "0000000000.000000",
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
        }

    def _conversations_info(self, params: JSONDict) -> JSONDict:
        raw = params.get("channel")
        channel = self.channels.get(raw) if isinstance(raw, str) else None
        if channel is None or (channel.is_private and not channel.member):
            raise _ApiError("channel_not_found")
        return {"ok": True, "channel": self._channel_json(channel)}

    def _conversations_members(self, params: JSONDict) -> JSONDict:
        channel = self._readable(params)
        people = channel.people if channel.people is not None else set(self.users)
        return {"ok": True, "members": sorted(people), "response_metadata": {"next_cursor": ""}}

    def _readable(self, params: JSONDict) -> SlackChannel:
        raw = params.get("channel")
        channel = self.channels.get(raw) if isinstance(raw, str) else None
        if channel is None:
            raise _ApiError("channel_not_found")
        if not channel.member:
            raise _ApiError("not_in_channel")
        return channel

    def _history_page(self, found: list[StoredMessage], params: JSONDict) -> JSONDict:
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or 9e12)
        limit = int(params.get("limit") or 100)
        meta = _truthy(params.get("include_all_metadata"))
        rows = [m for m in found if not m.deleted and oldest <= float(m.ts) <= latest]
        return {
            "ok": True,
            "messages": [self._message_json(m, with_metadata=meta) for m in rows[:limit]],
            "has_more": len(rows) > limit,
        }

    def _conversations_history(self, params: JSONDict) -> JSONDict:
        """Top-level messages of a channel, newest first (metadata with include_all_metadata)."""
        channel = self._readable(params)
        found = [
            m
            for (cid, _), m in self.messages.items()
            if cid == channel.id and (m.thread_ts is None or m.thread_ts == m.ts)
        ]
        found.sort(key=lambda m: float(m.ts), reverse=True)
        return self._history_page(found, params)

    def _conversations_replies(self, params: JSONDict) -> JSONDict:
        """A thread: its root then the replies, oldest first."""
        channel = self._readable(params)
        root = str(params.get("ts") or "")
        if (channel.id, root) not in self.messages:
            raise _ApiError("thread_not_found")
        found = [
            m
            for (cid, ts), m in self.messages.items()
            if cid == channel.id and (ts == root or m.thread_ts == root)
        ]
        found.sort(key=lambda m: float(m.ts))
        return self._history_page(found, params)

    def _conversations_open(self, params: JSONDict) -> JSONDict:
        raw_channel = params.get("channel")
        raw_users = params.get("users")
        if raw_channel:
            existing = self.channels.get(str(raw_channel))
            if existing is None or not (existing.is_im or existing.is_mpim):
                raise _ApiError("channel_not_found")
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": existing.id}}
        if isinstance(raw_users, list):
            users = [str(u) for u in raw_users]
        elif isinstance(raw_users, str):
            users = [u.strip() for u in raw_users.split(",") if u.strip()]
        else:
            users = []
        if not users:
            raise _ApiError("users_list_not_supplied")
        for user_id in users:
            if user_id not in self.users:
                raise _ApiError("user_not_found")
        if len(users) == 1:
            channel_id = "D" + users[0][1:]
            already = channel_id in self.channels
            self.add_dm(users[0])
        else:
            name = "mpdm-" + "--".join(sorted(users))
            found = next((c for c in self.channels.values() if c.name == name), None)
            already = found is not None
            if found is None:
                found = SlackChannel(
                    id=self._new_id("G"), name=name, member=True, is_private=True, is_mpim=True
                )
                self.channels[found.id] = found
            channel_id = found.id
        channel = self.channels[channel_id]
        out: JSONDict = {"ok": True}
        if already:
            out["no_op"] = True
            out["already_open"] = True
        if _truthy(params.get("return_im")):
            out["channel"] = self._channel_json(channel)
        else:
            out["channel"] = {"id": channel_id}
        return out

    def _apps_connections_open(self, params: JSONDict) -> JSONDict:
        ticket = secrets.token_hex(12)
        self._socket_tickets.add(ticket)
        if not self.url:
            raise _ApiError("internal_error")
        ws_base = "ws" + self.url[len("http") :]
        return {"ok": True, "url": f"{ws_base}socket?ticket={ticket}"}

    # -- response_url ---------------------------------------------------------------------------
    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        body: JSONDict = {}
        parse_error = False
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            raw_payload = form.get("payload")
            raw_text = raw_payload if isinstance(raw_payload, str) else ""
        else:
            raw_text = (await request.read()).decode("utf-8", errors="replace")
        try:
            decoded = json.loads(raw_text)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            body = decoded
        else:
            parse_error = True
        record = ResponseUrlCall(key=key, body=body, at=self._clock())
        self.responses.append(record)

        def refuse(status: int, error: str) -> web.Response:
            record.status, record.error = status, error
            return web.Response(status=status, text=error, content_type="text/plain")

        entry = self._response_urls.get(key)
        if entry is None:
            return refuse(404, "no_service")
        if entry.expired or self._clock() - entry.created_at > self.response_url_ttl:
            return refuse(404, "expired_url")
        if entry.uses >= self.response_url_max_uses:
            return refuse(404, "used_url")
        if parse_error:
            return refuse(400, "invalid_payload")
        delete = _truthy(body.get("delete_original"))
        try:
            text, blocks, attachments = self._message_content(body, require=not delete)
        except _ApiError as exc:
            return refuse(400, exc.error)
        entry.uses += 1
        self._apply_response(entry, body, text, blocks, attachments)
        return web.Response(status=200, text="ok", content_type="text/plain")

    def _apply_response(
        self,
        entry: _ResponseUrl,
        body: JSONDict,
        text: str,
        blocks: list[Any] | None,
        attachments: list[Any] | None,
    ) -> None:
        target: StoredMessage | None = None
        if entry.channel and entry.message_ts:
            if entry.is_ephemeral:
                target = next(
                    (
                        m
                        for m in self.ephemerals
                        if m.channel == entry.channel and m.ts == entry.message_ts
                    ),
                    None,
                )
            else:
                target = self.messages.get((entry.channel, entry.message_ts))
        if _truthy(body.get("delete_original")):
            if target is not None:
                target.deleted = True
            return
        if _truthy(body.get("replace_original")):
            if target is not None:
                target.text = text
                target.blocks = blocks
                target.attachments = attachments
                target.edited_ts = self._next_ts()
            return
        if entry.channel is None:
            return
        thread_ts = body.get("thread_ts")
        msg = StoredMessage(
            channel=entry.channel,
            ts=self._next_ts(),
            text=text,
            user=self.bot_user_id,
            blocks=blocks,
            attachments=attachments,
            thread_ts=str(thread_ts) if thread_ts else None,
            bot_id=self.bot_id,
            via_response_url=entry.key,
        )
        if body.get("response_type") == "in_channel":
            self.messages[(msg.channel, msg.ts)] = msg
        else:
            msg.ephemeral_to = entry.user_id
            self.ephemerals.append(msg)

    # -- Socket Mode ----------------------------------------------------------------------------
    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    async def _notify(self) -> None:
        cond = self._condition()
        async with cond:
            cond.notify_all()

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float) -> None:
        cond = self._condition()
        async with asyncio.timeout(timeout), cond:
            await cond.wait_for(predicate)

    def _live_sockets(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self._sockets if not ws.closed]

    @property
    def socket_connections(self) -> int:
        """Number of currently open Socket Mode connections."""
        return len(self._live_sockets())

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._socket_tickets:
            # Slack's URLs are single-use: a reused or made-up one is refused.
            return web.Response(status=401, text="invalid_ticket", content_type="text/plain")
        self._socket_tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        if len(self._live_sockets()) >= self.max_socket_connections:
            await ws.send_json(
                {"type": "disconnect", "reason": "too_many_websockets", "debug_info": {}}
            )
            await ws.close()
            return ws
        self._sockets.append(ws)
        self.socket_connects += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._live_sockets()),
                "debug_info": {
                    "host": "applink-fake",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )
        await self._notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_socket_text(str(msg.data))
                    await self._notify()
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
            await self._notify()
        return ws

    def _on_socket_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            self.socket_protocol_errors.append(f"non-JSON frame: {data[:200]!r}")
            return
        if not isinstance(message, dict):
            self.socket_protocol_errors.append(f"non-object frame: {data[:200]!r}")
            return
        envelope_id = message.get("envelope_id")
        if not envelope_id:
            self.socket_messages.append(message)
            return
        self.socket_acks.append(message)
        envelope_id = str(envelope_id)
        sent_at = self._sent_at.get(envelope_id)
        if sent_at is None:
            self.socket_protocol_errors.append(f"ack for unknown envelope {envelope_id}")
            return
        self.socket_ack_latency.setdefault(envelope_id, self._clock() - sent_at)
        if "payload" in message and not self._accepts_payload.get(envelope_id, False):
            self.socket_protocol_errors.append(
                f"ack for {envelope_id} carries a payload but accepts_response_payload is false"
            )

    async def wait_for_connection(self, count: int = 1, *, timeout: float = 5.0) -> None:
        """Wait until ``count`` connections were accepted in total and one is open."""
        await self._wait_until(
            lambda: self.socket_connects >= count and bool(self._live_sockets()), timeout
        )

    async def socket_send(self, envelope: JSONDict, *, timeout: float = 5.0) -> str:
        """Deliver an envelope to one open connection (round-robin); returns its envelope_id."""
        await self._wait_until(lambda: bool(self._live_sockets()), timeout)
        live = self._live_sockets()
        ws = live[self._rr % len(live)]
        self._rr += 1
        envelope_id = str(envelope["envelope_id"])
        self._sent_at[envelope_id] = self._clock()
        self._accepts_payload[envelope_id] = bool(envelope.get("accepts_response_payload"))
        self.socket_sent.append(envelope)
        await ws.send_json(envelope)
        return envelope_id

    async def wait_for_ack(self, envelope_id: str, *, timeout: float = 5.0) -> JSONDict:
        """The first ack received for ``envelope_id`` (raises TimeoutError)."""

        def find() -> JSONDict | None:
            return next((a for a in self.socket_acks if a.get("envelope_id") == envelope_id), None)

        await self._wait_until(lambda: find() is not None, timeout)
        ack = find()
        assert ack is not None
        return ack

    async def socket_disconnect(
        self, reason: str = "refresh_requested", *, grace: float = 1.0
    ) -> None:
        """Send ``{"type": "disconnect"}`` to every open connection, then close them.

        The client is expected to fetch a new URL via apps.connections.open; connections it
        has not closed itself within ``grace`` seconds are closed by the server.
        """
        targets = self._live_sockets()
        for ws in targets:
            with contextlib.suppress(Exception):
                await ws.send_json(
                    {
                        "type": "disconnect",
                        "reason": reason,
                        "debug_info": {"host": "applink-fake"},
                    }
                )
        with contextlib.suppress(TimeoutError):
            await self._wait_until(lambda: all(ws.closed for ws in targets), grace)
        for ws in targets:
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await ws.close()
