"""Issue 19 item 9: the password in DATABASE_URL never reaches a log line — structlog's,
the standard library's (SQLAlchemy, asyncpg, aiohttp log there) or an exception's text."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
import structlog

from bot.logging import SecretRedactor, configure_logging, database_password, redactor

PASSWORD = "pg-Pa55/w@rd:x%"
URL = "postgresql+asyncpg://chatops:pg-Pa55%2Fw%40rd%3Ax%25@db.internal:5432/chatops"


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    configure_logging("DEBUG", "json", stream=buf)
    try:
        yield buf
    finally:
        logging.getLogger().handlers = []
        structlog.reset_defaults()


def test_database_password_is_read_as_sqlalchemy_reads_it() -> None:
    assert database_password(URL) == PASSWORD
    assert database_password("postgresql://chatops@db/chatops") is None
    assert database_password("sqlite:////var/lib/chatops/bot.db") is None
    assert database_password(None) is None
    assert database_password("not a url") is None


def test_a_log_line_with_the_database_url_shows_no_password(log_text: io.StringIO) -> None:
    redactor.register([database_password(URL)])  # what register_secrets does at start-up
    log = structlog.get_logger("test")
    log.error("store_unreachable", url=URL, detail=f"connect to {URL} failed")
    logging.getLogger("sqlalchemy.engine").warning("engine %s: password %s", URL, PASSWORD)
    try:
        raise ConnectionError(f"cannot reach {URL}")
    except ConnectionError:
        log.exception("store_crashed")
    text = log_text.getvalue()
    assert text.count("store_unreachable") == 1
    assert "engine postgresql+asyncpg://chatops:[redacted]@db.internal" in text
    assert "cannot reach postgresql+asyncpg://chatops:[redacted]@db.internal" in text
    for form in (PASSWORD, "pg-Pa55%2Fw%40rd%3Ax%25", "pg-Pa55"):
        assert form not in text


def test_any_url_password_is_redacted_even_short_or_unregistered() -> None:
    fresh = SecretRedactor()  # nothing registered
    assert fresh.scrub("postgresql://u:pw@h:5432/d") == "postgresql://u:[redacted]@h:5432/d"
    assert fresh.scrub("redis://:s3cret@cache/0 and https://hooks.slack.com/x") == (
        "redis://:[redacted]@cache/0 and https://hooks.slack.com/x"
    )
    assert fresh.scrub("mail dana@example.com, see https://example.com/a@b") == (
        "mail dana@example.com, see https://example.com/a@b"
    )


def test_a_port_and_a_path_are_not_mistaken_for_a_password() -> None:
    url = "https://api.example.com:8443/contacts?email=dana@example.com"
    assert SecretRedactor().scrub(url) == url
