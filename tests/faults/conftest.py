from tests.commands.conftest import dispatcher, sandbox, services

__all__ = ["dispatcher", "sandbox", "services"]
