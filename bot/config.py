"""One frozen, typed ``Settings`` from the environment (or ``.env``); names are SPEC §3's.

A missing or malformed value stops start-up with one line naming the variable and the
expected form (:class:`ConfigError`). Secrets are ``SecretStr``: they print as ``**********``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["DATABASE_SCHEMES", "ConfigError", "Settings", "data_dir", "load_settings"]

DATABASE_SCHEMES = ("sqlite", "sqlite+aiosqlite", "postgresql", "postgres", "postgresql+asyncpg")
"""The DATABASE_URL schemes the store opens (``bot.store.normalise_database_url``)."""

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")
"""A DNS host name (RFC 1123 labels), for ``HOST`` when it is not an IP address."""


def _expect(text: str) -> Any:
    return {"expect": text}


class ConfigError(Exception):
    """A setting is missing or malformed; ``str()`` is the one line to print."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        case_sensitive=False,
        hide_input_in_errors=True,
    )

    # Slack
    slack_bot_token: SecretStr | None = Field(
        None, json_schema_extra=_expect("a bot token starting with xoxb-")
    )
    slack_signing_secret: SecretStr | None = Field(
        None, json_schema_extra=_expect("the app's signing secret (Basic Information page)")
    )
    slack_app_token: SecretStr | None = Field(
        None, json_schema_extra=_expect("an app-level token starting with xapp-")
    )
    slack_api_url: str = Field(
        "https://slack.com/api/", json_schema_extra=_expect("an http(s) URL ending in /api/")
    )
    slack_response_url_prefix: str = Field(
        "https://hooks.slack.com/",
        json_schema_extra=_expect(
            "the http(s) URL prefix every response_url must start with, ending in /"
        ),
    )
    # Bruin
    bruin_oauth_client_id: str | None = Field(
        None, json_schema_extra=_expect("the OAuth client id of the service account")
    )
    bruin_oauth_client_secret: SecretStr | None = Field(
        None, json_schema_extra=_expect("the OAuth client secret of the service account")
    )
    bruin_customer_id: int | None = Field(
        None, gt=0, json_schema_extra=_expect("the numeric Bruin Client ID, e.g. 40123")
    )
    bruin_identity_url: str = Field(
        "https://id.bruin.com", json_schema_extra=_expect("an http(s) URL")
    )
    bruin_api_url: str = Field("https://api.bruin.com", json_schema_extra=_expect("an http(s) URL"))
    bruin_token_auth: Literal["form", "basic"] = Field(
        "form", json_schema_extra=_expect("form or basic")
    )
    bruin_portal_url: str = Field(
        "https://app.bruin.com",
        json_schema_extra=_expect("an http(s) URL: the base of the ticket links on cards"),
    )
    bruin_sandbox: bool = Field(
        False,
        json_schema_extra=_expect(
            "true when BRUIN_API_URL is the bundled sandbox (writes are not real), else false"
        ),
    )
    bruin_webhook_secret: SecretStr | None = Field(
        None, json_schema_extra=_expect("the shared key configured for Bruin webhooks")
    )
    bruin_timeout_seconds: float = Field(
        10.0, gt=0, le=120, json_schema_extra=_expect("seconds, e.g. 10")
    )
    bruin_max_in_flight: int = Field(
        400, ge=1, le=10_000, json_schema_extra=_expect("a whole number of calls, e.g. 400")
    )
    # Bric
    bric_email: str | None = Field(None, json_schema_extra=_expect("an email address"))
    bric_token_secret: SecretStr | None = Field(
        None, json_schema_extra=_expect("a token secret from `chatops-bot bric-token create`")
    )
    bric_password: SecretStr | None = Field(None, json_schema_extra=_expect("a password"))
    bric_company: str | None = Field(
        None, json_schema_extra=_expect("the company subdomain, e.g. acme")
    )
    bric_token_auth: Literal["email", "secret"] = Field(
        "email", json_schema_extra=_expect("email or secret")
    )
    bric_api_url: str = Field(
        "https://api.getbric.com/v1", json_schema_extra=_expect("an http(s) URL")
    )
    # Store and behaviour
    database_url: str | None = Field(
        None,
        json_schema_extra=_expect(
            "sqlite:///abs/path.db or postgresql://user@host:5432/db (SQLAlchemy style)"
        ),
    )
    chatops_writers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        json_schema_extra=_expect("a comma list of Slack user ids (U…) and user-group ids (S…)"),
    )
    chatops_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        json_schema_extra=_expect("a comma list of Slack channel ids (C…, G…, D…)"),
    )
    chatops_poll_seconds: int = Field(
        60, ge=5, le=3600, json_schema_extra=_expect("whole seconds between 5 and 3600")
    )
    chatops_timezone: str = Field(
        "UTC",
        json_schema_extra=_expect("an IANA time zone name, e.g. Europe/Berlin or UTC"),
    )
    chatops_data_dir: Path | None = Field(
        None, json_schema_extra=_expect("a directory path for the SQLite store and state")
    )
    chatops_rate_reads_per_minute: int = Field(
        120, ge=0, le=100_000, json_schema_extra=_expect("reads per user per minute; 0 = no limit")
    )
    chatops_rate_writes_per_minute: int = Field(
        30, ge=0, le=100_000, json_schema_extra=_expect("writes per user per minute; 0 = no limit")
    )
    # HTTP server
    host: str = Field(
        "0.0.0.0",  # noqa: S104 - a server: Slack must reach it
        json_schema_extra=_expect("an IP address or host name to listen on, e.g. 0.0.0.0"),
    )
    port: int = Field(3000, ge=1, le=65535, json_schema_extra=_expect("a TCP port, e.g. 3000"))
    chatops_http_header_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=300,
        json_schema_extra=_expect("seconds a client may take to send request headers, e.g. 10"),
    )
    chatops_http_body_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=300,
        json_schema_extra=_expect("seconds a client may take to send a request body, e.g. 10"),
    )
    chatops_http_max_connections: int = Field(
        500,
        ge=1,
        le=100_000,
        json_schema_extra=_expect("a whole number of open HTTP connections, e.g. 500"),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", json_schema_extra=_expect("DEBUG, INFO, WARNING or ERROR")
    )
    log_format: Literal["json", "console"] | None = Field(
        None, json_schema_extra=_expect("json or console")
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("chatops_writers", "chatops_channels", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("chatops_writers")
    @classmethod
    def _writer_ids(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not (v[:1] in {"U", "W", "S"} and v.isalnum())]
        if bad:
            raise ValueError(f"not a Slack user or user-group id: {bad[0]!r}")
        return value

    @field_validator("chatops_channels")
    @classmethod
    def _channel_ids(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not (v[:1] in {"C", "G", "D"} and v.isalnum())]
        if bad:
            raise ValueError(f"not a Slack channel id: {bad[0]!r}")
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must start with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must start with xapp-")
        return value

    @field_validator(
        "slack_api_url", "bruin_identity_url", "bruin_api_url", "bruin_portal_url", "bric_api_url"
    )
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or value[-3:] == "://":
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("slack_response_url_prefix")
    @classmethod
    def _url_prefix(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if scheme not in ("http", "https") or not sep or not rest.split("/")[0]:
            raise ValueError("must be an http(s) URL with a host")
        if not value.endswith("/"):
            raise ValueError("must end with /")
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str | None) -> str | None:
        if value is None:
            return value
        scheme, sep, _ = value.partition("://")
        if not sep or scheme.lower() not in DATABASE_SCHEMES:
            # Only the scheme is named: the rest of the URL may hold a password.
            shown = f"{scheme[:20]!r}" if sep else "no scheme"
            raise ValueError(
                f"unsupported database URL ({shown}); the store supports sqlite and postgresql"
            )
        return value

    @field_validator("host", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOSTNAME.fullmatch(value):
                raise ValueError("not an IP address or host name") from None
        return value

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "bruin_oauth_client_secret",
        "bruin_webhook_secret",
        "bric_token_secret",
        "bric_password",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    # -- derived -----------------------------------------------------------------------

    @field_validator("chatops_timezone")
    @classmethod
    def _zone_name(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def display_zone(self) -> dt.tzinfo:
        """CHATOPS_TIMEZONE as a zone: what fallback texts and the console show."""
        return (
            dt.UTC
            if self.chatops_timezone.upper() == "UTC"
            else zoneinfo.ZoneInfo(self.chatops_timezone)
        )

    @property
    def bruin_configured(self) -> bool:
        return bool(
            self.bruin_oauth_client_id and self.bruin_oauth_client_secret and self.bruin_customer_id
        )

    @property
    def bric_configured(self) -> bool:
        return bool(self.bric_email and (self.bric_token_secret or self.bric_password))

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None


def load_settings(**overrides: Any) -> Settings:
    """Read the environment (and ``.env``); raise :class:`ConfigError` with one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    err = exc.errors(include_input=False)[0]
    name = str(err["loc"][0]) if err["loc"] else "?"
    field = Settings.model_fields.get(name)
    extra = field.json_schema_extra if field is not None else None
    expect = extra.get("expect") if isinstance(extra, dict) else None
    reason = err["msg"].removeprefix("Value error, ")
    line = f"{name.upper()}: {reason}"
    if expect:
        line += f"; expected {expect}"
    return line


def data_dir(settings: Settings) -> Path:
    """Where the bot keeps its SQLite store and console state (created if missing)."""
    import platformdirs  # only when CHATOPS_DATA_DIR is not set

    path = settings.chatops_data_dir or Path(platformdirs.user_data_dir("chatops-bot"))
    path.mkdir(parents=True, exist_ok=True)
    return path
