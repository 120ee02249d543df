"""Commands end to end: grammar -> real Bruin client -> sandbox over loopback -> Block Kit."""

from __future__ import annotations

import json

import pytest
from slack_sdk.models.blocks import Block

from bot.core.dispatch import Caller, Dispatcher, Services
from bot.render.blocks import Message
from bot.sandbox import Fault, RunningSandbox
from tests.commands.conftest import DANA


def text_of(message: Message) -> str:
    return json.dumps(message.to_dict(), ensure_ascii=False)


def assert_valid_blocks(message: Message) -> None:
    for block in message.to_dict()["blocks"]:
        assert Block.parse(block) is not None


async def run(d: Dispatcher, s: Services, command: str, text: str = "") -> Message:
    message = await d.dispatch(command, text, DANA, s)
    assert_valid_blocks(message)
    return message


async def test_help_lists_every_subcommand(dispatcher: Dispatcher, services: Services) -> None:
    body = text_of(await run(dispatcher, services, "/ticket", "help"))
    for usage in ("/ticket show", "/ticket list", "/note add", "/note list", "/inventory"):
        assert usage in body
    assert "/site show" in body


async def test_a_command_alone_shows_its_own_usage(
    dispatcher: Dispatcher, services: Services
) -> None:
    for command, own, other in (
        ("/ticket", "/ticket show", "/note list"),
        ("/note", "/note add", "/ticket show"),
        ("/bric", "/bric timeoff add", "/note list"),
        ("/site", "/site show", "/bric projects"),
    ):
        body = text_of(await run(dispatcher, services, command, ""))
        assert own in body, command
        assert other not in body, command


async def test_list_shows_open_tickets_of_this_customer_newest_first(
    dispatcher: Dispatcher, services: Services
) -> None:
    message = await run(dispatcher, services, "/ticket", "list limit=25")
    assert message.ok
    ids = [
        int(b["accessory"]["value"])
        for b in message.to_dict()["blocks"]
        if b.get("accessory", {}).get("action_id") == "ticket_show"
    ]
    assert 4503 in ids
    assert 4506 not in ids  # another customer's ticket
    assert 4490 not in ids  # closed
    assert ids == sorted(ids, reverse=True)


async def test_list_pages_with_a_more_button(dispatcher: Dispatcher, services: Services) -> None:
    first = (await run(dispatcher, services, "/ticket", "list limit=3")).to_dict()
    more = [
        e
        for b in first["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "ticket_list_more"
    ]
    assert json.loads(more[0]["value"]) == {"limit": 3, "offset": 3}
    second = await run(dispatcher, services, "/ticket", "list limit=3 offset=3")
    assert "4–6 of" in text_of(second)


async def test_list_by_site_name_and_status(dispatcher: Dispatcher, services: Services) -> None:
    body = text_of(await run(dispatcher, services, "/ticket", "list site=Tampa status=all"))
    assert "Harbor Blvd" in body
    assert "Peachtree" not in body
    ambiguous = await run(dispatcher, services, "/ticket", "list site=zzz")
    assert not ambiguous.ok
    assert "No site matches" in ambiguous.text


async def test_show_renders_the_card_with_backend_text_escaped(
    dispatcher: Dispatcher, services: Services
) -> None:
    message = await run(dispatcher, services, "/ticket", "show 4503")
    body = text_of(message)
    assert "Ticket 4503 · In progress" in body
    assert "VC07700012345" in body
    assert "<!channel>" not in body
    assert "&lt;!channel&gt;" in body


async def test_unknown_ticket_is_one_clear_sentence(
    dispatcher: Dispatcher, services: Services
) -> None:
    message = await run(dispatcher, services, "/ticket", "show 999999999")
    assert not message.ok
    assert message.text.startswith("Ticket 999999999 was not found (Bruin traceId ")
    assert "Bruin traceId" in message.text


async def test_note_add_writes_the_audit_line_and_shows_up(
    dispatcher: Dispatcher, services: Services, sandbox: RunningSandbox
) -> None:
    message = await run(dispatcher, services, "/note", 'add 4503 "called the carrier"')
    assert message.ok
    assert message.public
    stored = sandbox.bruin.payloads("note.add")[-1]["note"]
    assert stored == "called the carrier\n— via Slack by Dana Ops (U0CALLER)"
    card = text_of(await run(dispatcher, services, "/note", "list 4503"))
    assert "called the carrier" in card
    assert "via Slack by Dana Ops (U0CALLER)" in card


@pytest.mark.parametrize(
    "text", ["add", "add 4503", "add abc some text", "add 0 text", 'add 4503 "   "']
)
async def test_bad_note_input_writes_nothing(
    dispatcher: Dispatcher, services: Services, sandbox: RunningSandbox, text: str
) -> None:
    message = await run(dispatcher, services, "/note", text)
    assert not message.ok
    assert not sandbox.bruin.called("note.add")


async def test_note_on_a_missing_ticket_names_it(
    dispatcher: Dispatcher, services: Services
) -> None:
    message = await run(dispatcher, services, "/note", "add 999999 hello")
    assert not message.ok
    assert "Ticket 999999 was not found" in message.text


async def test_writers_list_refuses_others_before_the_backend(
    services: Services, sandbox: RunningSandbox
) -> None:
    async def only_u1(caller: Caller) -> str | None:
        return None if caller.user_id == "U1" else "You are not allowed to write."

    from bot.core.gate import WriteGate
    from handlers.catalog import build_registry

    guarded = Dispatcher(build_registry(), WriteGate(authorize=only_u1))
    message = await guarded.dispatch("/note", "add 4503 hi", DANA, services)
    assert message.text == "You are not allowed to write."
    assert not sandbox.bruin.called("note.add")
    read = await guarded.dispatch("/ticket", "show 4503", DANA, services)
    assert read.ok


async def test_unknown_subcommand_suggests_the_closest(
    dispatcher: Dispatcher, services: Services
) -> None:
    message = await run(dispatcher, services, "/ticket", "shwo 4503")
    assert not message.ok
    assert "Did you mean `/ticket show`?" in message.text


async def test_inventory_search_and_sites(dispatcher: Dispatcher, services: Services) -> None:
    inventory = text_of(await run(dispatcher, services, "/inventory", "tampa"))
    assert "VC07700012345" in inventory
    assert "VC07700012346" not in inventory  # Atlanta
    sites = text_of(await run(dispatcher, services, "/site", "list"))
    assert "Store" in sites or "Tampa" in sites
    assert "905" not in sites  # the other customer's site
    site = text_of(await run(dispatcher, services, "/site", "show 812"))
    assert "500 Harbor Blvd" in site
    missing = await run(dispatcher, services, "/site", "show 999")
    assert not missing.ok
    assert "Site 999 was not found" in missing.text


@pytest.mark.parametrize(
    ("fault", "fragment"),
    [
        (Fault(status=500), "Bruin is unavailable right now"),
        (Fault(status=403), "Bruin refused reading a ticket"),
        (Fault(timeout=True), "Bruin did not answer in 1 s"),
        (Fault(malformed=True), "could not read"),
        (Fault(error_in_200=True), "Bruin rejected the request"),
    ],
)
async def test_backend_faults_become_one_sentence(
    dispatcher: Dispatcher,
    services: Services,
    sandbox: RunningSandbox,
    fault: Fault,
    fragment: str,
) -> None:
    sandbox.bruin.faults.set("ticket.details", fault)
    message = await run(dispatcher, services, "/ticket", "show 4503")
    assert not message.ok
    assert fragment in message.text
    assert message.text.count(".") >= 1
    assert "Traceback" not in message.text


async def test_expired_token_is_refreshed_once_and_the_call_succeeds(
    dispatcher: Dispatcher, services: Services, sandbox: RunningSandbox
) -> None:
    assert (await run(dispatcher, services, "/ticket", "show 4503")).ok
    before = sandbox.bruin.token_requests
    sandbox.bruin.expire_tokens()
    assert (await run(dispatcher, services, "/ticket", "show 4503")).ok
    assert sandbox.bruin.token_requests == before + 1
