"""Every backend call a command makes, under every sandbox fault: bounded retries where
safe, one clear sentence otherwise, and writes never repeated blindly."""

from __future__ import annotations

import pytest

from bot.core.dispatch import Dispatcher, Services
from bot.render.blocks import Message
from bot.sandbox import Fault, RunningSandbox
from tests.commands.conftest import DANA

# (command, text, the sandbox routes that command calls)
READS = [
    ("/ticket", "show 4503", ["ticket.list", "ticket.details"]),
    ("/ticket", "list", ["ticket.basic"]),
    ("/ticket", "list site=812", ["ticket.list"]),
    ("/note", "list 4503", ["ticket.details"]),
    ("/inventory", "", ["inventory"]),
    ("/site", "list", ["site"]),
    ("/site", "show 812", ["site"]),
]
CASES = [(c, t, r) for c, t, routes in READS for r in routes]
IDS = [f"{c} {t} @{r}" for c, t, r in CASES]

SENTENCES = {
    "403": "Bruin refused",
    "404": "",
    "500": "Bruin is unavailable right now",
    "timeout": "Bruin did not answer in 1 s",
    "malformed": "Bruin sent an answer the bot could not read",
    "error_in_200": "Bruin rejected the request",
}
FAULTS = {
    "403": Fault(status=403),
    "404": Fault(status=404),
    "500": Fault(status=500),
    "timeout": Fault(timeout=True),
    "malformed": Fault(malformed=True),
    "error_in_200": Fault(error_in_200=True),
}


async def run(d: Dispatcher, s: Services, command: str, text: str) -> Message:
    message = await d.dispatch(command, text, DANA, s)
    assert "Traceback" not in message.text
    return message


@pytest.mark.parametrize(("command", "text", "route"), CASES, ids=IDS)
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_each_fault_is_one_clear_sentence(
    dispatcher: Dispatcher,
    services: Services,
    sandbox: RunningSandbox,
    command: str,
    text: str,
    route: str,
    fault: str,
) -> None:
    assert (await run(dispatcher, services, command, text)).ok
    healthy_calls = sandbox.bruin.call_count(route)
    sandbox.bruin.calls.clear()
    sandbox.bruin.faults.set(route, FAULTS[fault])
    message = await run(dispatcher, services, command, text)
    assert not message.ok
    assert message.text.endswith(".")
    assert message.text.count("\n") == 0
    assert SENTENCES[fault] in message.text
    if fault in ("403", "404", "500", "malformed", "error_in_200"):
        assert "traceId" in message.text or fault == "malformed"
    # 4xx and 500 are not retried: no more calls to the faulty route than when healthy.
    if fault in ("403", "404", "500", "error_in_200"):
        assert sandbox.bruin.call_count(route) <= healthy_calls


@pytest.mark.parametrize(("command", "text", "route"), CASES, ids=IDS)
async def test_rate_limits_and_503_are_waited_out_then_succeed(
    dispatcher: Dispatcher,
    services: Services,
    sandbox: RunningSandbox,
    command: str,
    text: str,
    route: str,
) -> None:
    assert (await run(dispatcher, services, command, text)).ok
    healthy_calls = sandbox.bruin.call_count(route)
    for fault in (Fault(status=429, retry_after=1, times=1), Fault(status=503, times=1)):
        sandbox.bruin.calls.clear()
        sandbox.bruin.faults.set(route, fault)
        assert (await run(dispatcher, services, command, text)).ok
        assert sandbox.bruin.call_count(route) == healthy_calls + 1  # exactly one retry


@pytest.mark.parametrize(("command", "text", "route"), CASES, ids=IDS)
async def test_a_token_revoked_mid_flight_is_refreshed_once(
    dispatcher: Dispatcher,
    services: Services,
    sandbox: RunningSandbox,
    command: str,
    text: str,
    route: str,
) -> None:
    assert (await run(dispatcher, services, command, text)).ok
    tokens = sandbox.bruin.token_requests
    sandbox.bruin.expire_tokens()
    assert (await run(dispatcher, services, command, text)).ok
    assert sandbox.bruin.token_requests == tokens + 1


async def test_a_refused_token_is_an_auth_sentence(
    dispatcher: Dispatcher, services: Services, sandbox: RunningSandbox
) -> None:
    sandbox.bruin.expire_tokens()
    sandbox.bruin.faults.set("token", Fault(status=401))
    message = await run(dispatcher, services, "/ticket", "show 4503")
    assert message.text.startswith("Bruin refused the bot's credentials")


# -- writes ---------------------------------------------------------------------------------


def notes_with(sandbox: RunningSandbox, text: str) -> int:
    return sum(1 for n in sandbox.bruin.ticket_notes(4503) if text in n["noteValue"])


async def test_a_lost_answer_after_the_write_never_makes_a_second_note(
    dispatcher: Dispatcher, services: Services, sandbox: RunningSandbox
) -> None:
    sandbox.bruin.faults.set("note.add", Fault(stall_after=2.0, times=1))  # client timeout: 1 s
    message = await run(dispatcher, services, "/note", "add 4503 written once")
    assert message.ok  # checked before retrying: the note is there
    assert sandbox.bruin.call_count("note.add") == 1
    assert notes_with(sandbox, "written once") == 1


@pytest.mark.parametrize("fault", [Fault(status=500), Fault(status=503), Fault(timeout=True)])
async def test_a_failed_write_is_not_retried_and_says_it_may_have_gone_through(
    dispatcher: Dispatcher, services: Services, sandbox: RunningSandbox, fault: Fault
) -> None:
    sandbox.bruin.faults.set("note.add", fault)
    message = await run(dispatcher, services, "/note", "add 4503 maybe")
    assert not message.ok
    assert sandbox.bruin.call_count("note.add") == 1
    assert "may have gone through: check before trying again" in message.text
    assert notes_with(sandbox, "maybe") == 0


async def test_a_rate_limited_write_is_retried_and_written_once(
    dispatcher: Dispatcher, services: Services, sandbox: RunningSandbox
) -> None:
    sandbox.bruin.faults.set("note.add", Fault(status=429, retry_after=1, times=1))
    assert (await run(dispatcher, services, "/note", "add 4503 after 429")).ok
    assert sandbox.bruin.call_count("note.add") == 2
    assert notes_with(sandbox, "after 429") == 1


@pytest.mark.parametrize(
    ("fault", "sentence"),
    [
        (Fault(status=403), "Bruin refused adding a note"),
        (Fault(status=404), "Ticket 4503 was not found"),
        (Fault(error_in_200=True), "Bruin rejected the request"),
        # 200 with an unreadable body: the bot looks, finds no note, and says so.
        (Fault(malformed=True), "Bruin sent an answer the bot could not read"),
    ],
)
async def test_write_errors_are_one_sentence(
    dispatcher: Dispatcher,
    services: Services,
    sandbox: RunningSandbox,
    fault: Fault,
    sentence: str,
) -> None:
    sandbox.bruin.faults.set("note.add", fault)
    message = await run(dispatcher, services, "/note", "add 4503 hello")
    assert sandbox.bruin.call_count("note.add") == 1
    assert not message.ok
    assert sentence in message.text
    assert notes_with(sandbox, "hello") == 0
