"""The validation shortcut runs the same checks slack_sdk would."""

from __future__ import annotations

import inspect

import pytest
import slack_sdk.models.blocks as blocks_module
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import ButtonElement, HeaderBlock, PlainTextObject, SectionBlock

from bot.render import speed


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
