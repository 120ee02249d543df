"""structlog setup: JSON in production, readable in a terminal; secrets redacted.

Request context (user, channel, command, backend) is bound once per request with
``structlog.contextvars.bind_contextvars`` and appears on every later line.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, Literal, TextIO
from urllib.parse import quote, quote_plus, unquote

import structlog

__all__ = ["SecretRedactor", "configure_logging", "database_password", "redactor"]

_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\s]*:)[^/\s]*?(?=@)")
"""``scheme://user:PASSWORD@``: the password part of any URL with credentials in it (not
``host:port/path@…``; a password with a raw ``/`` is caught once registered)."""


def database_password(url: str | None) -> str | None:
    """The password in a database URL (``postgresql://user:PASSWORD@host/db``), decoded as
    SQLAlchemy reads it; None when there is none. Register it with :data:`redactor`."""
    if not url:
        return None
    from sqlalchemy.engine import make_url  # the store's own reading of the URL
    from sqlalchemy.exc import ArgumentError

    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        match = _URL_PASSWORD.search(url)
        password = unquote(url[match.end("head") : match.end()]) if match else None
    return str(password) if password else None


class SecretRedactor:
    """A structlog processor that replaces any registered secret value with ``[redacted]``,
    and the password of any ``scheme://user:password@host`` URL whatever its length."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def register(self, values: Iterable[str | None]) -> None:
        """Learn secrets; each is also learnt as it looks percent-encoded inside a URL."""
        for value in values:
            if value and len(value) >= 6:
                self._secrets |= {value, quote(value, safe=""), quote_plus(value)}

    def scrub(self, text: str) -> str:
        if "://" in text:
            text = _URL_PASSWORD.sub(r"\g<head>[redacted]", text)
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "[redacted]")
        return text

    def __call__(
        self, logger: Any, method: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key, value in list(event.items()):
            if isinstance(value, str):
                event[key] = self.scrub(value)
            elif not isinstance(value, (int, float, bool, type(None))):
                text = str(value)
                scrubbed = self.scrub(text)
                if scrubbed != text:
                    event[key] = scrubbed
        return event


redactor = SecretRedactor()


def configure_logging(
    level: str = "INFO",
    fmt: Literal["json", "console"] | None = None,
    *,
    stream: TextIO | None = None,
) -> None:
    """Route structlog and stdlib logging (bolt, aiohttp) through one renderer."""
    out = stream or sys.stderr
    if fmt is None:
        fmt = "console" if out.isatty() else "json"
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redactor,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for noisy in ("aiohttp.access", "alembic"):  # per-request / per-start chatter
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
