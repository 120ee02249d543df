"""The Slack app manifest, built from what the app registers (so the two cannot drift).

``manifest.yml`` at the top of the repo is this rendering with a placeholder URL; a test
keeps it identical. ``chatops-bot manifest --url URL`` / ``--socket`` print it ready to
paste into https://api.slack.com/apps -> Create New App -> From a manifest.
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.core.registry import Param, Step
from bot.slack.app import registered

__all__ = ["BOT_SCOPES", "PLACEHOLDER_URL", "UNFURL_DOMAIN", "build_manifest", "render_manifest"]

PLACEHOLDER_URL = "https://chatops.example.org/slack/events"

BOT_SCOPES = (
    "app_mentions:read",  # the app_mention event (@bot ticket show 4503)
    "chat:write",  # cards and write results in channels the bot is in
    "commands",  # the slash commands
    "im:history",  # the message.im event (commands in a DM with the bot)
    # conversations.history/replies: after a crash, find the bot's own in-doubt post by its
    # metadata so a notification is never posted twice (public and private channels).
    "channels:history",
    "groups:history",
    "im:write",  # conversations.open: the same check for status DMs to ticket openers
    # conversations.members: the App Home shows a person only the subscriptions of channels
    # they are in (public and private channels).
    "channels:read",
    "groups:read",
    "usergroups:read",  # usergroups.users.list: user groups listed in CHATOPS_WRITERS
    "users:read",  # users.info: the display name on the audit line of every write
    # users.info's profile.email: prefills the site contact of a new ticket (the create
    # form, and Create on a /ticket new preview); without it people type their email.
    "users:read.email",
    "links:read",  # the link_shared event: a Bruin ticket link was posted
    "links:write",  # chat.unfurl: its compact card under the message
)

UNFURL_DOMAIN = "app.bruin.com"
"""The Bruin portal's host (BRUIN_PORTAL_URL): links to it unfurl into a ticket card."""

_COMMANDS: dict[str, tuple[str, str]] = {
    "/ticket": (
        "Look up, list and work MetTel Bruin tickets",
        "show <id> | list [status=open] | new [<sn> <text…>] | outage <sn> <text…> | "
        "resolve|reopen|close <id> | help",
    ),
    "/note": ("Add or read notes on a Bruin ticket", "add <ticket-id> <text…> | list <ticket-id>"),
    "/inventory": ("Service numbers and circuits with status and site", "[search…]"),
    "/site": ("The customer's sites and addresses", "list [search…] | show <site-id>"),
    "/bric": (
        "Bric projects, clients, running timers and time off",
        "projects [client=…] [type=…] | clients | clocked [project=…] | timeoff list|add …",
    ),
}

_SHORTCUTS: dict[str, tuple[str, str, str]] = {
    # callback_id: (name ≤24, type, description ≤150)
    "create_ticket_from_message": (
        "Create ticket",
        "message",
        "Open a Bruin ticket from this message: its text and link become the description.",
    ),
    "add_message_as_note": (
        "Add message as note",
        "message",
        "Add this message (text and link, signed with your name) as a note on a Bruin ticket.",
    ),
    "new_ticket": ("New ticket", "global", "Open a MetTel Bruin ticket with a short form."),
}

_LONG = (
    "chatops-bot lets network and service teams work their MetTel Bruin tickets without "
    "leaving Slack: look tickets up, list them by status, site or service number, add notes, "
    "and browse inventory and sites. Every call runs under one Bruin service account, and "
    "every write is signed with the name and Slack id of the person who made it. Backend "
    "text is escaped so a note can never ping a channel."
)


def _params(params: tuple[Param, ...]) -> dict[str, Any]:
    return {
        "properties": {
            p.name: {"type": p.type, "title": p.title, "description": p.description} for p in params
        },
        "required": [p.name for p in params if p.required],
    }


def _functions(steps: tuple[Step, ...]) -> dict[str, Any]:
    """Workflow Builder custom steps (``handlers.workflow``) as the manifest's functions."""
    return {
        step.callback_id: {
            "title": step.title,
            "description": step.description,
            "input_parameters": _params(step.inputs),
            "output_parameters": _params(step.outputs),
        }
        for step in steps
    }


def build_manifest(
    *,
    url: str | None = PLACEHOLDER_URL,
    socket: bool = False,
    unfurl_domain: str = UNFURL_DOMAIN,
) -> dict[str, Any]:
    """The manifest as a dict; ``socket=True`` drops URLs and enables Socket Mode."""
    found = registered()
    commands = []
    for name in found.commands:
        description, hint = _COMMANDS[name]
        entry: dict[str, Any] = {
            "command": name,
            "description": description,
            "usage_hint": hint,
            "should_escape": False,
        }
        if not socket:
            entry["url"] = url
        commands.append(entry)
    interactivity: dict[str, Any] = {"is_enabled": True}
    events: dict[str, Any] = {"bot_events": list(found.events)}
    if not socket:
        interactivity["request_url"] = url
        # The create form's service-number picker is an external_select: Slack loads its
        # options (block_suggestion) from this URL, the one Request URL the bot serves.
        # Socket Mode delivers them over the socket and needs none.
        interactivity["message_menu_options_url"] = url
        events = {"request_url": url, **events}
    features: dict[str, Any] = {
        "app_home": {
            "home_tab_enabled": True,
            "messages_tab_enabled": True,
            "messages_tab_read_only_enabled": False,
        },
        "bot_user": {"display_name": "chatops-bot", "always_online": True},
        "slash_commands": commands,
        "unfurl_domains": [unfurl_domain],
    }
    if found.shortcuts:
        features["shortcuts"] = [
            {
                "name": _SHORTCUTS[callback][0],
                "type": _SHORTCUTS[callback][1],
                "callback_id": callback,
                "description": _SHORTCUTS[callback][2],
            }
            for callback in found.shortcuts
        ]
    manifest: dict[str, Any] = {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "chatops-bot",
            "description": "MetTel Bruin tickets, inventory and sites from Slack",
            "background_color": "#1d4f91",
            "long_description": _LONG,
        },
        "features": features,
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            # Workflow Builder custom steps need an org-ready app with a remote runtime.
            "org_deploy_enabled": bool(found.steps),
            "socket_mode_enabled": socket,
            "token_rotation_enabled": False,
        },
    }
    if found.steps:
        manifest["settings"]["function_runtime"] = "remote"
        manifest["functions"] = _functions(found.steps)
    return manifest


def render_manifest(*, url: str | None = PLACEHOLDER_URL, socket: bool = False) -> str:
    header = (
        "# Slack app manifest for chatops-bot (generated by `chatops-bot manifest`).\n"
        "# Paste at https://api.slack.com/apps -> Create New App -> From a manifest,\n"
        "# after `chatops-bot manifest --url https://<your host>/slack/events` (or --socket).\n"
    )
    body = yaml.safe_dump(
        build_manifest(url=url, socket=socket), sort_keys=False, allow_unicode=True, width=100
    )
    return header + body
