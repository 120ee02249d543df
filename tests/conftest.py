"""Test isolation: no real environment, no developer .env, no network beyond loopback."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.sandbox import RunningSandbox, start_sandbox

_ENV_NAMES = {name.upper() for name in Settings.model_fields}


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Strip every setting from the environment and run in an empty directory."""
    for name in list(os.environ):
        if name.upper() in _ENV_NAMES:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    """The Bruin and Bric sandboxes, fresh, on a free loopback port."""
    running = await start_sandbox(port=0)
    try:
        yield running
    finally:
        await running.stop()
