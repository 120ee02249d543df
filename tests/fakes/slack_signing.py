"""Build inbound Slack requests (signed HTTP bodies) and payloads shaped like Slack's.

Signing follows Slack's documented v0 scheme directly with :mod:`hmac` (not slack_sdk's
verifier, so tests that check the bot's verification stay independent of it)::

    X-Slack-Signature = "v0=" + hex(HMAC-SHA256(secret, f"v0:{timestamp}:" + raw_body))

Payload builders reproduce the keys of the reference fixtures (slash command, block_actions,
view_submission, view_closed, block_suggestion, message_action, shortcut, and the
event_callback envelope with app_home_opened / app_mention / message.im events).  Identifiers
default to the sandbox workspace: team ``T0001``, app ``A0APP``, bot user ``U0BOT``
(bot id ``B0BOT``), caller ``U0CALLER`` (``dana``) in channel ``C0OPS`` (``ops``).
Grid-only fields (``enterprise_id``/``enterprise_name``) appear only when an
``enterprise_id`` is given; otherwise ``enterprise`` is ``null`` as on a non-Grid workspace.

``trigger_id`` defaults to a made-up id that no FakeSlack knows; pass
``fake.issue_trigger_id()`` when the handler under test opens a modal.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from typing import Any
from urllib.parse import quote, urlencode

JSONDict = dict[str, Any]

__all__ = [
    "app_home_opened_event",
    "app_mention_event",
    "block_actions_payload",
    "block_actions_view_payload",
    "block_suggestion_payload",
    "event_body",
    "event_envelope",
    "interactive_body",
    "message_action_payload",
    "message_im_event",
    "org_wide_install",
    "plain_text_input_value",
    "shortcut_payload",
    "sign",
    "signed_headers",
    "slash_command_body",
    "slash_command_payload",
    "static_select_value",
    "url_verification_body",
    "view_closed_payload",
    "view_submission_payload",
]

TEAM_ID = "T0001"
TEAM_DOMAIN = "sandbox-workspace"
API_APP_ID = "A0APP"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
CALLER_ID = "U0CALLER"
CALLER_NAME = "dana"
CHANNEL_ID = "C0OPS"
CHANNEL_NAME = "ops"
VIEW_ID = "V0SANDBOX"
# The deprecated "verification token" Slack still puts in payloads; it is not a credential.
LEGACY_TOKEN = "legacy-verification-token"


# ---------------------------------------------------------------------------------------------
# Signing
# ---------------------------------------------------------------------------------------------
def sign(body: bytes, *, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` for a raw body."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = b"v0:" + str(ts).encode("ascii") + b":" + body
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def signed_headers(
    body: bytes,
    *,
    secret: str,
    content_type: str,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> dict[str, str]:
    """:func:`sign` plus ``Content-Type`` and, for Events API redeliveries, the retry headers."""
    headers = {"Content-Type": content_type, **sign(body, secret=secret, timestamp=timestamp)}
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    return headers


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
def _ts(ts: str | None = None) -> str:
    if ts is not None:
        return ts
    micro = int(time.time() * 1_000_000)
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"


def _trigger_id(trigger_id: str | None) -> str:
    if trigger_id is not None:
        return trigger_id
    return f"{int(time.time())}.{secrets.randbelow(10**10):010d}.{secrets.token_hex(16)}"


def _team(
    team_id: str, team_domain: str, enterprise_id: str | None, enterprise_name: str
) -> JSONDict:
    team: JSONDict = {"id": team_id, "domain": team_domain}
    if enterprise_id is not None:
        team["enterprise_id"] = enterprise_id
        team["enterprise_name"] = enterprise_name
    return team


def _enterprise(enterprise_id: str | None, enterprise_name: str) -> JSONDict | None:
    if enterprise_id is None:
        return None
    return {"id": enterprise_id, "name": enterprise_name}


def _plain(text: str) -> JSONDict:
    return {"type": "plain_text", "text": text, "emoji": True}


def _rich_text_blocks(text: str) -> list[JSONDict]:
    """A rich_text block for a typed message; ``<@U…>`` mentions become user elements."""
    elements: list[JSONDict] = []
    pos = 0
    for match in re.finditer(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>", text):
        if match.start() > pos:
            elements.append({"type": "text", "text": text[pos : match.start()]})
        elements.append({"type": "user", "user_id": match.group(1)})
        pos = match.end()
    if pos < len(text):
        elements.append({"type": "text", "text": text[pos:]})
    block_id = secrets.token_hex(2)
    return [
        {
            "type": "rich_text",
            "block_id": block_id,
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


def plain_text_input_value(value: str | None) -> JSONDict:
    """A ``state.values[block][action]`` entry for a plain_text_input."""
    return {"type": "plain_text_input", "value": value}


def static_select_value(value: str, text: str | None = None) -> JSONDict:
    """A ``state.values[block][action]`` entry for a static_select."""
    return {
        "type": "static_select",
        "selected_option": {"text": _plain(text or value), "value": value},
    }


def _modal_view(
    *,
    view_id: str,
    team_id: str,
    callback_id: str,
    private_metadata: str,
    blocks: list[Any],
    values: dict[str, dict[str, JSONDict]],
    title: str,
    external_id: str,
    api_app_id: str,
    bot_id: str,
    notify_on_close: bool = False,
) -> JSONDict:
    return {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": blocks,
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": values},
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": _plain(title),
        "clear_on_close": False,
        "notify_on_close": notify_on_close,
        "close": _plain("Cancel"),
        "submit": _plain("Submit"),
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": api_app_id,
        "external_id": external_id,
        "app_installed_team_id": team_id,
        "bot_id": bot_id,
    }


# ---------------------------------------------------------------------------------------------
# Slash commands (form-encoded; every value a string)
# ---------------------------------------------------------------------------------------------
def slash_command_payload(
    *,
    command: str,
    text: str,
    response_url: str,
    user_id: str = CALLER_ID,
    user_name: str = CALLER_NAME,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    trigger_id: str | None = None,
    enterprise_id: str | None = None,
    enterprise_name: str = "Example Org",
) -> dict[str, str]:
    """Decoded slash-command fields (what Socket Mode delivers as the envelope payload)."""
    fields: dict[str, str] = {
        "token": LEGACY_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
    }
    if enterprise_id is not None:
        fields["enterprise_id"] = enterprise_id
        fields["enterprise_name"] = enterprise_name
    fields["response_url"] = response_url
    fields["trigger_id"] = _trigger_id(trigger_id)
    return fields


def slash_command_body(
    *,
    command: str,
    text: str,
    response_url: str,
    user_id: str = CALLER_ID,
    user_name: str = CALLER_NAME,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    trigger_id: str | None = None,
    enterprise_id: str | None = None,
    enterprise_name: str = "Example Org",
) -> bytes:
    """Form body exactly as Slack sends it (``quote_plus`` encoding, like the fixture)."""
    fields = slash_command_payload(
        command=command,
        text=text,
        response_url=response_url,
        user_id=user_id,
        user_name=user_name,
        channel_id=channel_id,
        channel_name=channel_name,
        team_id=team_id,
        team_domain=team_domain,
        api_app_id=api_app_id,
        trigger_id=trigger_id,
        enterprise_id=enterprise_id,
        enterprise_name=enterprise_name,
    )
    return urlencode(fields).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Interactivity (``payload=<url-encoded JSON>``)
# ---------------------------------------------------------------------------------------------
def interactive_body(payload: JSONDict) -> bytes:
    """``payload=<url-encoded JSON>`` as Slack posts interactivity (and bolt's tests build it)."""
    return ("payload=" + quote(json.dumps(payload))).encode("utf-8")


def block_actions_payload(
    *,
    action_id: str,
    block_id: str,
    response_url: str,
    message_ts: str,
    value: str | None = None,
    action_type: str = "button",
    button_text: str = "Click",
    selected_option: JSONDict | None = None,
    action: JSONDict | None = None,
    message: JSONDict | None = None,
    message_text: str = "",
    message_blocks: list[Any] | None = None,
    is_ephemeral: bool = False,
    thread_ts: str | None = None,
    state_values: dict[str, dict[str, JSONDict]] | None = None,
    user_id: str = CALLER_ID,
    user_name: str = CALLER_NAME,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    bot_user_id: str = BOT_USER_ID,
    bot_id: str = BOT_ID,
    trigger_id: str | None = None,
    action_ts: str | None = None,
    enterprise_id: str | None = None,
    enterprise_name: str = "Example Org",
) -> JSONDict:
    """block_actions from a message (``container.type == "message"``, with ``response_url``).

    ``action`` overrides the generated action object; otherwise a button (or, with
    ``selected_option``, a select of ``action_type``) is described.  Ephemeral sources carry
    no ``message`` object, as on Slack.
    """
    if action is None:
        action = {"action_id": action_id, "block_id": block_id}
        if selected_option is not None:
            action["type"] = action_type if action_type != "button" else "static_select"
            action["selected_option"] = selected_option
        else:
            action["text"] = _plain(button_text)
            if value is not None:
                action["value"] = value
            action["type"] = action_type
        action["action_ts"] = _ts(action_ts)
    container: JSONDict = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": is_ephemeral,
    }
    if thread_ts is not None:
        container["thread_ts"] = thread_ts
    payload: JSONDict = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": LEGACY_TOKEN,
        "container": container,
        "trigger_id": _trigger_id(trigger_id),
        "team": _team(team_id, team_domain, enterprise_id, enterprise_name),
        "enterprise": _enterprise(enterprise_id, enterprise_name),
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
    }
    if not is_ephemeral:
        if message is None:
            message = {
                "bot_id": bot_id,
                "type": "message",
                "text": message_text,
                "user": bot_user_id,
                "ts": message_ts,
                "app_id": api_app_id,
                "blocks": message_blocks or [],
                "team": team_id,
            }
            if thread_ts is not None:
                message["thread_ts"] = thread_ts
        payload["message"] = message
    payload["state"] = {"values": state_values or {}}
    payload["response_url"] = response_url
    payload["actions"] = [action]
    return payload


def block_actions_view_payload(
    *,
    action: JSONDict,
    view: JSONDict | None = None,
    view_id: str = VIEW_ID,
    callback_id: str = "",
    blocks: list[Any] | None = None,
    state_values: dict[str, dict[str, JSONDict]] | None = None,
    private_metadata: str = "",
    user_id: str = CALLER_ID,
    user_name: str = CALLER_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    bot_id: str = BOT_ID,
    trigger_id: str | None = None,
    enterprise_id: str | None = None,
    enterprise_name: str = "Example Org",
) -> JSONDict:
    """block_actions from inside a modal (``container.type == "view"``; no response_url).

    ``action`` needs ``action_id``, ``block_id`` and ``type``; ``action_ts`` is added.
    Pass ``view`` (e.g. ``fake.views[view_id]``) to embed a view the fake opened.
    """
    values = state_values or {}
    if view is None:
        view = _modal_view(
            view_id=view_id,
            team_id=team_id,
            callback_id=callback_id,
            private_metadata=private_metadata,
            blocks=blocks or [],
            values=values,
            title="Sandbox",
            external_id="",
            api_app_id=api_app_id,
            bot_id=bot_id,
        )
    else:
        view = copy.deepcopy(view)
        view["state"] = {"values": values}
        view.pop("submit_disabled", None)
    full_action = {**action}
    full_action.setdefault("action_ts", _ts())
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": LEGACY_TOKEN,
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": _trigger_id(trigger_id),
        "team": _team(team_id, team_domain, enterprise_id, enterprise_name),
        "enterprise": _enterprise(enterprise_id, enterprise_name),
        "is_enterprise_install": False,
        "view": view,
        "actions": [full_action],
    }


def view_submission_payload(
    *,
    callback_id: str = "",
    values: dict[str, dict[str, JSONDict]] | None = None,
    private_metadata: str = "",
    view: JSONDict | None = None,
    blocks: list[Any] | None = None,
    view_id: str = VIEW_ID,
    title: str = "Sandbox",
    external_id: str = "",
    response_urls: list[JSONDict] | None = None,
    user_id: str = CALLER_ID,
    user_name: str = CALLER_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    bot_id: str = BOT_ID,
    trigger_id: str | None = None,
    enterprise_id: str | None = None,
    enterprise_name: str = "Example Org",
) -> JSONDict:
    """view_submission; ``values`` is ``state.values[block_id][action_id]``.

    With ``view`` (e.g. ``fake.views[view_id]`` from a modal the fake opened) that view is
    embedded with ``values`` as its state; ``callback_id``/``private_metadata`` then come from
    it unless given explicitly.
    """
    state = values or {}
    if view is None:
        view_obj = _modal_view(
            view_id=view_id,
            team_id=team_id,
            callback_id=callback_id,
            private_metadata=private_metadata,
            blocks=blocks or [],
            values=state,
            title=title,
            external_id=external_id,
            api_app_id=api_app_id,
            bot_id=bot_id,
        )
    else:
        view_obj = copy.deepcopy(view)
        view_obj["state"] = {"values": state}
        view_obj.pop("submit_disabled", None)
        if callback_id:
            view_obj["callback_id"] = callback_id
        if private_metadata:
            view_obj["private_metadata"] = private_metadata
    return {
        "type": "view_submission",
        "team": _team(team_id, team_domain, enterprise_id, enterprise_name),
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": LEGACY_TOKEN,
        "trigger_id": _trigger_id(trigger_id),
        "view": view_obj,
        "response_urls": response_urls or [],
        "is_enterprise_install": False,
        "enterprise": _enterprise(enterprise_id, enterprise_name),
    }


def view_closed_payload(
    *,
    view: JSONDict | None = None,
    callback_id: str = "",
    private_metadata: str = "",
    view_id: str = VIEW_ID,
    is_cleared: bool = False,
    user_id: str = CALLER_ID,
    user_name: str = CALLER_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    bot_id: str = BOT_ID,
    enterprise_id: str | None = None,
    enterprise_name: str = "Example Org",
) -> JSONDict:
    """view_closed (Slack sends it only for views opened with ``notify_on_close: true``)."""
    if view is None:
        view_obj = _modal_view(
            view_id=view_id,
            team_id=team_id,
            callback_id=callback_id,
            private_metadata=private_metadata,
            blocks=[],
            values={},
            title="Sandbox",
            external_id="",
            api_app_id=api_app_id,
            bot_id=bot_id,
            notify_on_close=True,
        )
    else:
        view_obj = copy.deepcopy(view)
        view_obj.pop("submit_disabled", None)
    return {
        "type": "view_closed",
        "team": _team(team_id, team_domain, enterprise_id, enterprise_name),
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": LEGACY_TOKEN,
        "view": view_obj,
        "is_cleared": is_cleared,
        "is_enterprise_install": False,
        "enterprise": _enterprise(enterprise_id, enterprise_name),
    }


def block_suggestion_payload(
    *,
    action_id: str,
    block_id: str,
    value: str,
    view: JSONDict | None = None,
    view_id: str = VIEW_ID,
    callback_id: str = "",
    user_id: str = CALLER_ID,
    user_name: str = CALLER_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    bot_id: str = BOT_ID,
    enterprise_id: str | None = None,
    enterprise_name: str = "Example Org",
) -> JSONDict:
    """block_suggestion (external_select options load); ``action_id``/``block_id`` top level."""
    if view is None:
        view_obj = _modal_view(
            view_id=view_id,
            team_id=team_id,
            callback_id=callback_id,
            private_metadata="",
            blocks=[
                {
                    "type": "input",
                    "block_id": block_id,
                    "label": {"type": "plain_text", "text": "Search"},
                    "optional": False,
                    "element": {
                        "type": "external_select",
                        "action_id": action_id,
                        "placeholder": {"type": "plain_text", "text": "Select an item"},
                    },
                }
            ],
            values={},
            title="Sandbox",
            external_id="",
            api_app_id=api_app_id,
            bot_id=bot_id,
        )
    else:
        view_obj = copy.deepcopy(view)
        view_obj.pop("submit_disabled", None)
    return {
        "type": "block_suggestion",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "container": {"type": "view", "view_id": view_obj["id"]},
        "api_app_id": api_app_id,
        "token": LEGACY_TOKEN,
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": _team(team_id, team_domain, enterprise_id, enterprise_name),
        "enterprise": _enterprise(enterprise_id, enterprise_name),
        "is_enterprise_install": False,
        "view": view_obj,
    }


def message_action_payload(
    *,
    callback_id: str,
    message_ts: str,
    message_text: str,
    response_url: str,
    message_user: str = CALLER_ID,
    thread_ts: str | None = None,
    user_id: str = CALLER_ID,
    user_name: str = CALLER_NAME,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    trigger_id: str | None = None,
    action_ts: str | None = None,
    enterprise_id: str | None = None,
    enterprise_name: str = "Example Org",
) -> JSONDict:
    """message_action (message shortcut) on a message typed by ``message_user``."""
    message: JSONDict = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "message",
        "text": message_text,
        "user": message_user,
        "ts": message_ts,
        "team": team_id,
        "blocks": _rich_text_blocks(message_text),
    }
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
    return {
        "type": "message_action",
        "token": LEGACY_TOKEN,
        "action_ts": _ts(action_ts),
        "team": _team(team_id, team_domain, enterprise_id, enterprise_name),
        "user": {"id": user_id, "name": user_name},
        "channel": {"id": channel_id, "name": channel_name},
        "is_enterprise_install": False,
        "enterprise": _enterprise(enterprise_id, enterprise_name),
        "callback_id": callback_id,
        "trigger_id": _trigger_id(trigger_id),
        "message_ts": message_ts,
        "message": message,
        "response_url": response_url,
    }


def shortcut_payload(
    *,
    callback_id: str,
    user_id: str = CALLER_ID,
    user_name: str = CALLER_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    trigger_id: str | None = None,
    action_ts: str | None = None,
    enterprise_id: str | None = None,
    enterprise_name: str = "Example Org",
) -> JSONDict:
    """Global shortcut: no channel, no response_url."""
    return {
        "type": "shortcut",
        "token": LEGACY_TOKEN,
        "action_ts": _ts(action_ts),
        "team": _team(team_id, team_domain, enterprise_id, enterprise_name),
        "user": {"id": user_id, "username": user_name, "team_id": team_id},
        "is_enterprise_install": False,
        "enterprise": _enterprise(enterprise_id, enterprise_name),
        "callback_id": callback_id,
        "trigger_id": _trigger_id(trigger_id),
    }


def org_wide_install(
    payload: JSONDict,
    *,
    enterprise_id: str = "E0000001",
    enterprise_name: str = "Example Org",
    user_team_id: str | None = None,
) -> JSONDict:
    """``payload`` as an Enterprise Grid **org-wide** install delivers it: ``team`` is
    ``null`` (bolt's ``extract_team_id`` notes this and falls back to ``user.team_id`` /
    ``view.team_id``), ``enterprise`` names the org and ``is_enterprise_install`` is true.
    ``user_team_id`` puts the user in another workspace of the org than the view's."""
    out = copy.deepcopy(payload)
    out["team"] = None
    out["enterprise"] = {"id": enterprise_id, "name": enterprise_name}
    out["is_enterprise_install"] = True
    if user_team_id is not None and isinstance(out.get("user"), dict):
        out["user"]["team_id"] = user_team_id
    return out


# ---------------------------------------------------------------------------------------------
# Events API
# ---------------------------------------------------------------------------------------------
def app_mention_event(
    *,
    text: str,
    user_id: str = CALLER_ID,
    channel_id: str = CHANNEL_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    team_id: str = TEAM_ID,
) -> JSONDict:
    """Inner ``app_mention`` event; ``text`` should contain ``<@U0BOT>``."""
    event_ts = _ts(ts)
    event: JSONDict = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "app_mention",
        "text": text,
        "user": user_id,
        "ts": event_ts,
        "blocks": _rich_text_blocks(text),
        "team": team_id,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    event["channel"] = channel_id
    event["event_ts"] = event_ts
    return event


def message_im_event(
    *,
    text: str,
    user_id: str = CALLER_ID,
    channel_id: str = "D0CALLER",
    ts: str | None = None,
    team_id: str = TEAM_ID,
) -> JSONDict:
    """Inner ``message`` event in a DM with the app (``channel_type: "im"``)."""
    event_ts = _ts(ts)
    return {
        "client_msg_id": str(uuid.uuid4()),
        "type": "message",
        "text": text,
        "user": user_id,
        "ts": event_ts,
        "team": team_id,
        "blocks": _rich_text_blocks(text),
        "channel": channel_id,
        "event_ts": event_ts,
        "channel_type": "im",
    }


def app_home_opened_event(
    *,
    user_id: str = CALLER_ID,
    channel_id: str = "D0CALLER",
    tab: str = "home",
    view: JSONDict | None = None,
    event_ts: str | None = None,
) -> JSONDict:
    """Inner ``app_home_opened`` event; ``view`` only once a Home view was published."""
    event: JSONDict = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel_id,
        "tab": tab,
    }
    if view is not None:
        event["view"] = copy.deepcopy(view)
    event["event_ts"] = _ts(event_ts)
    return event


def event_envelope(
    event: JSONDict,
    *,
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
    bot_user_id: str = BOT_USER_ID,
    event_time: int | None = None,
    enterprise_id: str | None = None,
) -> JSONDict:
    """The ``event_callback`` envelope (HTTP body, or the Socket Mode ``events_api`` payload)."""
    envelope: JSONDict = {"token": LEGACY_TOKEN, "team_id": team_id}
    if enterprise_id is not None:
        envelope["enterprise_id"] = enterprise_id
    envelope.update(
        {
            "api_app_id": api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or ("Ev" + secrets.token_hex(5).upper()),
            "event_time": int(time.time()) if event_time is None else event_time,
            "authorizations": [
                {
                    "enterprise_id": enterprise_id,
                    "team_id": team_id,
                    "user_id": bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + secrets.token_hex(12),
        }
    )
    return envelope


def event_body(
    event: JSONDict,
    *,
    event_id: str,
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
    bot_user_id: str = BOT_USER_ID,
    event_time: int | None = None,
    enterprise_id: str | None = None,
) -> bytes:
    """JSON body of an ``event_callback`` carrying ``event``."""
    envelope = event_envelope(
        event,
        event_id=event_id,
        team_id=team_id,
        api_app_id=api_app_id,
        bot_user_id=bot_user_id,
        event_time=event_time,
        enterprise_id=enterprise_id,
    )
    return json.dumps(envelope).encode("utf-8")


def url_verification_body(challenge: str) -> bytes:
    """The Events API URL handshake body."""
    payload = {"token": LEGACY_TOKEN, "challenge": challenge, "type": "url_verification"}
    return json.dumps(payload).encode("utf-8")
