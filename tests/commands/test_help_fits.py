"""Help that fits the caller: write commands only for people allowed to write (and who to
ask otherwise); each family's help shows two real examples, and the examples work."""

from __future__ import annotations

from bot.core.caller import Caller
from bot.core.deps import Services
from bot.core.dispatch import Dispatcher
from bot.core.gate import WriteGate
from handlers.catalog import build_registry
from tests.commands.conftest import DANA


async def nobody(caller: Caller) -> str | None:
    return "No."


def _text(message: object) -> str:
    """Every text the person reads (entities undone, as Slack shows them)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.to_dict())  # type: ignore[attr-defined]
    text = "\n".join(found)
    return (
        text.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )


async def test_a_reader_sees_no_write_commands_and_who_to_ask(services: Services) -> None:
    reader = Dispatcher(build_registry(), WriteGate(authorize=nobody))
    shown = _text(await reader.dispatch("/ticket", "help", DANA, services))
    for write in ("/note add", "/ticket resolve", "/ticket close", "/ticket new", "timeoff add"):
        assert write not in shown, write
    assert "/ticket show" in shown
    assert "/note list" in shown
    assert "CHATOPS_WRITERS" in shown
    alone = _text(await reader.dispatch("/note", "", DANA, services))
    assert "/note list 4503" in alone
    assert "/note add" not in alone


async def test_a_writer_sees_everything_with_two_examples_per_family(
    dispatcher: Dispatcher, services: Services
) -> None:
    shown = _text(await dispatcher.dispatch("/ticket", "help", DANA, services))
    assert "/note add" in shown
    assert "CHATOPS_WRITERS" not in shown
    for family in dispatcher.families.values():
        assert len(family.examples) == 2, family.command
        for example in family.examples:
            assert example in shown


async def test_every_read_example_runs(dispatcher: Dispatcher, services: Services) -> None:
    for family in dispatcher.families.values():
        if family.command == "/bric":
            continue  # Bric examples run in test_bric_commands (their own sandbox)
        for example in family.reads_examples():
            command, _, text = example.partition(" ")
            answer = await dispatcher.dispatch(command, text, DANA, services)
            assert answer.ok, (example, answer.text)
