"""Keep slack_sdk's Block Kit validation and output, without two of its per-call costs.

1. ``JsonObject.validate_json`` finds its validator methods with ``dir(self)`` on every
   ``to_dict()``, for every nested object: about 80% of the cost of serialising a ticket
   card (1.1 ms of 1.4 ms, bench/). The validators are class attributes, so this finds
   them once per class and then runs exactly the same checks.
2. ``JsonObject.get_non_null_attributes`` defines a *recursive* closure on every call; a
   recursive closure is a reference cycle (function -> cell -> function), so every object
   of every card left garbage only the cyclic collector can free: about 45 cycles per
   ticket card, and under load the collector's passes freeing them stalled the event loop
   for 30-80 ms at a time (bench/, ``--variant diagnose``). The same walk here is a module
   function: nothing is left for the collector, the output is identical (tested).
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.basic_objects import EMPTY_ALLOWED_TYPE_AND_PROPERTY_LIST, JsonObject

__all__ = ["ORIGINAL_ATTRIBUTES", "install", "non_null_attributes", "validators_of"]

_CACHE: dict[type, tuple[str, ...]] = {}
ORIGINAL_ATTRIBUTES = JsonObject.__dict__["get_non_null_attributes"]
"""slack_sdk's own serialiser, kept for the tests that compare against it."""
_EMPTY_ALLOWED = frozenset((e["type"], e["property"]) for e in EMPTY_ALLOWED_TYPE_AND_PROPERTY_LIST)


def validators_of(cls: type) -> tuple[str, ...]:
    names = _CACHE.get(cls)
    if names is None:
        names = tuple(
            name
            for name in dir(cls)
            if not name.startswith("__") and getattr(getattr(cls, name, None), "validator", False)
        )
        _CACHE[cls] = names
    return names


def _validate_json(self: Any) -> None:
    for name in validators_of(type(self)):
        getattr(self, name)()


def _compatible(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_compatible(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    if to_dict is not None and callable(to_dict):
        return {k: _compatible(v) for k, v in to_dict().items()}
    return value


def _present(obj: Any, key: str, value: Any) -> bool:
    if value is None:
        return False
    if (getattr(obj, "type", None), key) in _EMPTY_ALLOWED:
        return True
    if getattr(value, "__len__", None) is not None:
        return len(value) > 0
    return True


def non_null_attributes(self: Any) -> dict[str, Any]:
    """What ``JsonObject.get_non_null_attributes`` returns, built without closures."""
    out: dict[str, Any] = {}
    for key in sorted(self.attributes):
        value = self.get_object_attribute(key)
        if _present(self, key, value):
            out[key] = _compatible(value)
    return out


def install() -> None:
    JsonObject.validate_json = _validate_json  # type: ignore[method-assign]
    JsonObject.get_non_null_attributes = non_null_attributes  # type: ignore[method-assign]
