"""The replay suite runs the real bot over loopback, as ``tests/slack`` does."""

from tests.slack.conftest import harness, overrides, slack

__all__ = ["harness", "overrides", "slack"]
