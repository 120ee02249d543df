from tests.commands.conftest import dispatcher, services
from tests.slack.conftest import harness, overrides, slack

__all__ = ["dispatcher", "harness", "overrides", "services", "slack"]
