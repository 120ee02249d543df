"""The settings behind the HTTP hardening (issue 17/19) and the lead's new knobs: their
environment names, defaults and one-line errors in the style of every other setting."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


def test_defaults() -> None:
    settings = load_settings()
    assert settings.host == "0.0.0.0"  # noqa: S104 - the documented default
    assert settings.slack_response_url_prefix == "https://hooks.slack.com/"
    assert settings.chatops_rate_reads_per_minute == 120
    assert settings.chatops_rate_writes_per_minute == 30
    assert settings.chatops_http_header_timeout_seconds == 10.0
    assert settings.chatops_http_body_timeout_seconds == 10.0
    assert settings.chatops_http_max_connections == 500


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "HOST": " 127.0.0.1 ",
        "SLACK_RESPONSE_URL_PREFIX": "http://127.0.0.1:9000/response/",
        "CHATOPS_RATE_READS_PER_MINUTE": "0",
        "CHATOPS_RATE_WRITES_PER_MINUTE": "5",
        "CHATOPS_HTTP_HEADER_TIMEOUT_SECONDS": "2.5",
        "CHATOPS_HTTP_BODY_TIMEOUT_SECONDS": "4",
        "CHATOPS_HTTP_MAX_CONNECTIONS": "64",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.host == "127.0.0.1"
    assert settings.slack_response_url_prefix == "http://127.0.0.1:9000/response/"
    assert (settings.chatops_rate_reads_per_minute, settings.chatops_rate_writes_per_minute) == (
        0,
        5,
    )
    assert settings.chatops_http_header_timeout_seconds == 2.5
    assert settings.chatops_http_body_timeout_seconds == 4.0
    assert settings.chatops_http_max_connections == 64


@pytest.mark.parametrize("host", ["::", "::1", "localhost", "bot.internal.example"])
def test_hosts_accepted(host: str) -> None:
    assert load_settings(host=host).host == host


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("host", "", "HOST: not an IP address or host name; expected an IP address or host"),
        ("host", "0.0.0.0:3000", "HOST: not an IP address or host name"),
        ("host", "bad host", "HOST: not an IP address or host name"),
        (
            "slack_response_url_prefix",
            "https://hooks.slack.com",
            "SLACK_RESPONSE_URL_PREFIX: must end with /; expected the http(s) URL prefix",
        ),
        (
            "slack_response_url_prefix",
            "hooks.slack.com/",
            "SLACK_RESPONSE_URL_PREFIX: must be an http(s) URL with a host",
        ),
        ("chatops_rate_reads_per_minute", -1, "CHATOPS_RATE_READS_PER_MINUTE: Input should be"),
        ("chatops_rate_writes_per_minute", "lots", "CHATOPS_RATE_WRITES_PER_MINUTE: Input should"),
        ("chatops_http_header_timeout_seconds", 0, "CHATOPS_HTTP_HEADER_TIMEOUT_SECONDS: Input"),
        ("chatops_http_body_timeout_seconds", 301, "CHATOPS_HTTP_BODY_TIMEOUT_SECONDS: Input"),
        ("chatops_http_max_connections", 0, "CHATOPS_HTTP_MAX_CONNECTIONS: Input should be"),
    ],
)
def test_bad_values_stop_start_up_with_one_line(name: str, value: object, error: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(**{name: value})
    message = str(raised.value)
    assert message.startswith(error), message
    assert "\n" not in message
    assert "; expected " in message
