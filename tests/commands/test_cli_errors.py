"""Start-up and ``check`` errors name their cause and the fix in one line, secrets masked;
the small traps of the command line (issue 20, parts 3 and 8)."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import uuid

import asyncpg
import pytest
from pydantic import SecretStr

from bot import __version__
from bot.check import run_check
from bot.cli import failure_sentence, main
from bot.config import ConfigError, Settings, load_settings
from bot.store import Store

PG = os.environ.get("CHATOPS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def _pg_or_skip() -> None:
    try:
        conn = await asyncpg.connect(PG, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL at {PG} did not answer ({type(exc).__name__}: {exc})")
    await conn.close()


def _missing_db_url() -> tuple[str, str]:
    name = f"nosuchdb_{uuid.uuid4().hex[:8]}"
    base = PG.rsplit("/", 1)[0].replace("postgres@", "postgres:hunter2secret@")
    return f"{base}/{name}", name


def test_version_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"chatops-bot {__version__}"


def test_manifest_without_a_url_refuses_naming_both_ways(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["manifest"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--url" in captured.err
    assert "--socket" in captured.err
    assert "example.org" not in captured.err
    assert main(["manifest", "--socket"]) == 0
    assert "socket_mode_enabled: true" in capsys.readouterr().out
    assert main(["manifest", "--url", "https://bot.example.net/slack/events"]) == 0
    assert "https://bot.example.net/slack/events" in capsys.readouterr().out


@pytest.mark.parametrize("url", ["mysql://bot:hunter2secret@db/chatops", "oracle+cx://x", "x"])
def test_an_unsupported_database_url_is_refused_when_read(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(database_url=url)
    line = str(refused.value)
    assert line.startswith("DATABASE_URL: ")
    assert "sqlite" in line
    assert "postgresql" in line
    assert "hunter2secret" not in line
    assert "\n" not in line


def test_check_refuses_an_unsupported_scheme_before_saying_valid(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    assert main(["check"]) == 2
    captured = capsys.readouterr()
    assert "configuration is valid" not in captured.out
    assert "DATABASE_URL" in captured.err
    assert "sqlite and postgresql" in captured.err


def test_the_supported_schemes_are_accepted() -> None:
    for url in (
        "sqlite:////tmp/x.db",
        "sqlite+aiosqlite:////tmp/x.db",
        "postgresql://u@h/db",
        "postgres://u@h/db",
        "postgresql+asyncpg://u@h/db",
    ):
        assert load_settings(database_url=url).database_url == url


async def test_check_names_a_missing_database_with_the_password_masked() -> None:
    await _pg_or_skip()
    url, name = _missing_db_url()
    settings = Settings(
        database_url=url,
        slack_bot_token=SecretStr("xoxb-test"),
        slack_signing_secret=SecretStr("s"),
    )
    out = io.StringIO()
    assert await run_check(settings, out=out) == 1
    report = out.getvalue()
    assert f'FAIL  store: database "{name}" does not exist\n' in report
    assert "fix: Create that database" in report
    assert "DBAPIError" not in report
    assert "hunter2secret" not in report


async def test_run_names_a_missing_database_as_the_cause() -> None:
    await _pg_or_skip()
    url, name = _missing_db_url()
    settings = Settings(database_url=url)
    with pytest.raises(Exception) as failed:  # noqa: PT011 - whatever the driver raises
        await Store.open(settings.database_url)
    line = failure_sentence(failed.value, settings)
    assert line.startswith(f'the store did not open: database "{name}" does not exist.')
    assert "DATABASE_URL" in line
    assert "hunter2secret" not in line


def test_a_busy_port_names_the_address_and_the_setting(tmp_path: object) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = dict(
            os.environ,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET="test-secret",
            SLACK_API_URL="http://127.0.0.1:9/api/",
            HOST="127.0.0.1",
            PORT=str(port),
        )
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=env,
        )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"chatops-bot run: cannot listen on 127.0.0.1:{port}")
    assert "already in use" in last
    assert "PORT" in last
    assert "Traceback" not in done.stderr
    assert "OSError" not in done.stderr


def test_an_unexpected_error_says_what_it_was_with_secrets_masked() -> None:
    settings = Settings(slack_bot_token=SecretStr("xoxb-very-secret-token"))
    line = failure_sentence(RuntimeError("boom with xoxb-very-secret-token inside"), settings)
    assert line.startswith("unexpected error (RuntimeError: boom with ")
    assert "xoxb-very-secret-token" not in line
    assert "LOG_LEVEL=DEBUG" in line
