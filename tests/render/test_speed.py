"""The validation shortcut runs the same checks slack_sdk would."""

from __future__ import annotations

import gc
import inspect

import pytest
import slack_sdk.models.blocks as blocks_module
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import ButtonElement, HeaderBlock, PlainTextObject, SectionBlock

from bot.render import speed
from bot.render.blocks import error_message, ticket_card


def _original_validators(obj: JsonObject) -> set[str]:
    return {
        name
        for name in dir(obj)
        if not name.startswith("__")
        and callable(getattr(obj, name, None))
        and hasattr(getattr(obj, name), "validator")
    }


def test_every_block_kit_class_gets_the_same_validators() -> None:
    classes = [
        c
        for _, c in inspect.getmembers(blocks_module, inspect.isclass)
        if issubclass(c, JsonObject) and c is not JsonObject
    ]
    assert len(classes) > 30
    for cls in classes:
        expected = {
            n
            for n in dir(cls)
            if not n.startswith("__") and getattr(getattr(cls, n, None), "validator", False)
        }
        assert set(speed.validators_of(cls)) == expected, cls.__name__


def test_an_instance_finds_what_dir_of_the_instance_finds() -> None:
    block = SectionBlock(text="hi", accessory=ButtonElement(text="b", action_id="a"))
    assert set(speed.validators_of(type(block))) == _original_validators(block)


def test_invalid_blocks_still_raise() -> None:
    speed.install()
    with pytest.raises(SlackObjectFormationError):
        HeaderBlock(text=PlainTextObject(text="x" * 151)).to_dict()
    with pytest.raises(SlackObjectFormationError):
        SectionBlock(text="x" * 3001).to_dict()


# -- the serialiser: same output as slack_sdk's, no garbage for the cyclic collector --------


def _samples() -> list[JsonObject]:
    from slack_sdk.models.blocks import (
        ActionsBlock,
        ContextBlock,
        DividerBlock,
        Option,
        RichTextBlock,
        RichTextSectionElement,
        StaticSelectElement,
    )

    from bot.render.interactive import card_buttons, with_banner
    from tests.render.test_blocks import EVIL, _details, _ticket

    ticket, details = _ticket(), _details(EVIL, count=5)
    card = ticket_card(
        ticket,
        details,
        portal_url="https://portal.example",
        buttons=card_buttons(ticket, details, watching=False),
    )
    return [
        card,
        with_banner(card, "Resolved by <@U1>"),
        error_message("No ticket 9 for this customer.", usage="/ticket show <id>"),
        ActionsBlock(
            elements=[
                StaticSelectElement(
                    placeholder="pick",
                    action_id="s",
                    options=[Option(text="a", value="1"), Option(text="b", value="2")],
                )
            ]
        ),
        # an empty list is dropped, except where Block Kit allows it (rich text elements)
        ContextBlock(elements=[]),
        RichTextBlock(elements=[RichTextSectionElement(elements=[])]),
        DividerBlock(block_id=""),
        SectionBlock(text="x", fields=("a", "b")),
    ]


def test_serialiser_output_is_slack_sdks_own() -> None:
    speed.install()
    samples = _samples()
    ours = [s.to_dict() for s in samples]
    JsonObject.get_non_null_attributes = speed.ORIGINAL_ATTRIBUTES  # type: ignore[method-assign]
    try:
        theirs = [s.to_dict() for s in samples]
    finally:
        speed.install()
    assert ours == theirs
    assert ours[0]["blocks"], "the card serialised to something"


def test_serialising_a_card_leaves_no_cyclic_garbage() -> None:
    speed.install()
    card = _samples()[0]
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            card.to_dict()
        left = gc.collect()
    finally:
        gc.enable()
    assert left == 0
