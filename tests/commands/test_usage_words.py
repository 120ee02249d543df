"""Usage errors in the command's own words (issue 20, part 1).

Every field of every registered command, given a bad value, answers one sentence that
names the field, says what it takes and gives an example; no validator, regex or pydantic
wording ever reaches a person.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.core.dispatch import Dispatcher, Services
from bot.core.grammar import Request, bind, field_help, tokenize
from bot.core.registry import CommandFamily, Subcommand
from bot.render.blocks import Message
from handlers.catalog import build_registry
from handlers.inventory import InventorySearch
from handlers.ticket import TicketList
from tests.commands.conftest import DANA

ROOT = Path(__file__).resolve().parents[2]

VALIDATOR_WORDS = (
    "Input should",
    "String should",
    "pattern",
    "validation error",
    "less than or equal",
    "greater than",
    "Value error",
    "[type=",
    "pydantic",
    "not a ticket id",
)


def _offline() -> Services:
    """No backend is reached: every case fails in the grammar, before any call."""
    return Services(
        settings=Settings(
            bruin_oauth_client_id="x",
            bruin_oauth_client_secret=SecretStr("x"),
            bruin_customer_id=1,
            bruin_api_url="http://127.0.0.1:9",
            bruin_identity_url="http://127.0.0.1:9",
        )
    )


def _base(model: type[Request], name: str) -> Any:
    """The field's type under ``Optional`` and ``Annotated``."""
    annotation: Any = model.model_fields[name].annotation
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def _good(model: type[Request], name: str) -> str:
    return field_help(model, name).example


def _bad(model: type[Request], name: str) -> list[str]:
    """Values the field must refuse, as a person would type them."""
    base = _base(model, name)
    info = model.model_fields[name]
    if get_origin(base) is Literal:
        return ["bogus"]
    if base is int:
        return ["abc", "100000000000", "-3"]
    if base is dt.date:
        return ["2025-13-45", "tomorrow"]
    longest = next((m.max_length for m in info.metadata if hasattr(m, "max_length")), None)
    if longest is None:  # Optional[FreeText]: the constraint sits one level down
        longest = 4000
    bad = ['""'] if longest >= 4000 else ["x" * (longest + 1)]
    return bad


def _typed(model: type[Request], name: str, value: str) -> str:
    return f"{name}={value}" if name not in model.positional and name != model.rest else value


def _cases() -> Iterator[tuple[str, str, str, str]]:
    """(command, text, field, label) for every field of every subcommand."""
    for family in build_registry().families.values():
        for sub in family.subcommands.values():
            model = sub.request
            for name in model.model_fields:
                for bad in _bad(model, name):
                    yield family.command, _text(family, sub, name, bad), name, sub.name


def _text(family: CommandFamily, sub: Subcommand, field: str, bad: str) -> str:
    model = sub.request
    words: list[str] = [] if sub.name == family.default else [sub.name]
    for name in model.positional:
        value = bad if name == field else _good(model, name)
        words.append(_quoted(value))
    for name in model.model_fields:
        if name in model.positional or name == model.rest:
            continue
        if name == field:
            words.append(_typed(model, name, bad))
    if model.rest is not None:
        required = model.model_fields[model.rest].is_required()
        if field == model.rest:
            words.append(bad)
        elif required:
            words.append(_quoted(_good(model, model.rest)))
    return " ".join(words)


def _quoted(value: str) -> str:
    return f'"{value}"' if " " in value else value


CASES = list(_cases())


def test_every_field_of_every_command_is_walked() -> None:
    walked = {(c, field) for c, _, field, _ in CASES}
    registry = build_registry()
    expected = {
        (f.command, name)
        for f in registry.families.values()
        for s in f.subcommands.values()
        for name in s.request.model_fields
    }
    assert walked == expected
    assert len(CASES) > 60


@pytest.mark.parametrize(("command", "text", "field", "sub"), CASES)
async def test_a_bad_value_is_one_sentence_naming_the_field(
    command: str, text: str, field: str, sub: str
) -> None:
    message = await Dispatcher(build_registry()).dispatch(command, text, DANA, _offline())
    sentence = str(message.text)
    assert not message.ok, (command, text)
    assert field.replace("_", " ") in sentence, (command, text, sentence)
    assert "e.g. " in sentence, sentence
    assert sentence.endswith("."), sentence
    assert sentence.replace("e.g. ", "").count(". ") == 0, sentence  # one sentence
    for words in VALIDATOR_WORDS:
        assert words not in sentence, (command, text, sentence)


def _said(message: Message) -> str:
    return str(message.text)


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        (
            "/inventory",
            "status=weird",
            "status must be one of all, active, suspended, disconnected, e.g. status=active.",
        ),
        ("/ticket", "list limit=abc", "limit must be a whole number from 1 to 25, e.g. limit=10."),
        (
            "/ticket",
            "list limit=100000",
            "limit must be a whole number from 1 to 25, e.g. limit=10.",
        ),
        ("/site", "show abc", "The site id must be a site number, e.g. 812."),
        ("/ticket", "show abc", "The ticket id must be a ticket number, e.g. 4503."),
        ("/ticket", "list status=bogus", "status must be one of open, resolved, closed, all"),
        ("/bric", "timeoff list from=2024-02-30", "from must be a date in the form YYYY-MM-DD"),
    ],
)
async def test_the_sentences_of_the_issue(command: str, text: str, expected: str) -> None:
    message = await Dispatcher(build_registry()).dispatch(command, text, DANA, _offline())
    assert _said(message).startswith(expected)
    assert "ticket id" not in _said(message) or command == "/ticket"


async def test_words_and_bruin_letters_are_accepted_in_any_case() -> None:
    for typed, status in (("Active", "active"), ("s", "suspended"), ("D", "disconnected")):
        assert bind(InventorySearch, tokenize(f"status={typed}"), usage="u").status == status
    assert bind(TicketList, tokenize("status=Open"), usage="u").status == "open"


def test_help_and_readme_name_the_list_maximum() -> None:
    registry = build_registry()
    usage = registry.families["/ticket"].subcommands["list"].usage
    summary = registry.families["/ticket"].subcommands["list"].summary
    assert "limit=1-25" in usage
    assert "25" in summary
    readme = (ROOT / "README.md").read_text()
    assert "limit=1-25" in readme
