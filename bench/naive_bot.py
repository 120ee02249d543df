"""BASELINE ONLY — NEVER SHIPPED. A naive Bolt app, written the way tutorials write one.

This file exists so the benchmark (``python -m bench.run``) can show what the real bot's
design buys. It is deliberately naive; do not copy it. Per slash command it:

* opens a NEW ``aiohttp.ClientSession`` (a new connection pool, new TCP connections),
* fetches a NEW OAuth token from Bruin's identity server,
* reads the ticket and its details (concurrently — the baseline's one kindness: in
  sequence it would blow Slack's 3 s ack limit at any backend latency above 1.5 s),
* and only THEN acks, with the result as the ack's body (no ``response_url``).

There is no coalescing, no in-flight bound, no token cache, no store, no retries and no
readiness check beyond "the socket is listening". Run by the benchmark as a subprocess::

    PORT=… SLACK_BOT_TOKEN=… SLACK_SIGNING_SECRET=… SLACK_API_URL=… BRUIN_API_URL=… \
    BRUIN_IDENTITY_URL=… BRUIN_OAUTH_CLIENT_ID=… BRUIN_OAUTH_CLIENT_SECRET=… \
    BRUIN_CUSTOMER_ID=… python -m bench.naive_bot
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

Ack = Callable[..., Awaitable[None]]


async def fetch_token(session: aiohttp.ClientSession) -> str:
    """A new token for every command (the tutorial way)."""
    form = {
        "grant_type": "client_credentials",
        "scope": "public_api",
        "client_id": os.environ["BRUIN_OAUTH_CLIENT_ID"],
        "client_secret": os.environ["BRUIN_OAUTH_CLIENT_SECRET"],
    }
    url = os.environ["BRUIN_IDENTITY_URL"].rstrip("/") + "/identity/connect/token"
    async with session.post(url, data=form) as resp:
        resp.raise_for_status()
        payload = await resp.json()
    return str(payload["access_token"])


async def get_json(session: aiohttp.ClientSession, token: str, path: str, **params: Any) -> Any:
    url = os.environ["BRUIN_API_URL"].rstrip("/") + path
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    async with session.get(url, params=params, headers=headers) as resp:
        resp.raise_for_status()
        return await resp.json()


async def ticket_text(ticket_id: int) -> str:
    customer = os.environ["BRUIN_CUSTOMER_ID"]
    async with aiohttp.ClientSession() as session:  # a new session per command
        token = await fetch_token(session)
        listing, details = await asyncio.gather(
            get_json(session, token, "/api/Ticket", ClientId=customer, TicketId=ticket_id),
            get_json(session, token, f"/api/Ticket/{ticket_id}/details"),
        )
    found = [t for t in listing.get("responses", []) if t.get("ticketID") == ticket_id]
    if not found:
        return f"Ticket {ticket_id} was not found."
    ticket = found[0]
    notes = len(details.get("ticketNotes") or [])
    return (
        f"Ticket {ticket_id} · {ticket.get('ticketStatus')} · "
        f"{ticket.get('category') or ''} · {notes} notes"
    )


def build_app() -> web.Application:
    app = AsyncApp(
        client=AsyncWebClient(
            token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]
        ),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    )

    @app.command("/ticket")
    async def ticket(ack: Ack, command: dict[str, Any]) -> None:
        words = (command.get("text") or "").split()
        if len(words) != 2 or words[0] != "show" or not words[1].isdigit():
            await ack(text="Usage: /ticket show <id>")
            return
        try:
            text = await ticket_text(int(words[1]))  # the backend BEFORE the ack
        except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:
            text = f"Error: {type(exc).__name__}"
        await ack(text=text)

    web_app = app.web_app(path="/slack/events")

    async def readyz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ready"})  # nothing to warm up

    web_app.router.add_get("/readyz", readyz)
    return web_app


def main() -> None:
    port = int(os.environ.get("PORT", "3000"))
    web.run_app(build_app(), host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
