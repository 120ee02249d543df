from tests.commands.conftest import dispatcher, services

__all__ = ["dispatcher", "services"]
