from tests.slack.conftest import harness, overrides, slack

__all__ = ["harness", "overrides", "slack"]
