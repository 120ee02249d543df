from tests.commands.conftest import dispatcher, sandbox, services
from tests.slack.conftest import harness, overrides, slack

__all__ = ["dispatcher", "harness", "overrides", "sandbox", "services", "slack"]
