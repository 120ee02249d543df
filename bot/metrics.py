"""Prometheus metrics, one registry per app instance (so tests and replicas don't collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from bot.clients.core import RequestInfo

__all__ = ["Metrics"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "chatops_commands",
            "Commands handled, by command and outcome (ok, error, usage, refused).",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "chatops_ack_seconds",
            "Time from receiving a Slack request to answering it (the ack).",
            ["kind"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.backend_seconds = Histogram(
            "chatops_backend_call_seconds",
            "Backend HTTP calls by backend, operation and status ('error' = no answer).",
            ["backend", "operation", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.token_refreshes = Counter(
            "chatops_token_refreshes",
            "Access tokens fetched from a backend's identity server.",
            ["backend"],
            registry=self.registry,
        )
        self.slack_errors = Counter(
            "chatops_slack_api_errors",
            "Slack Web API calls that failed, by method and error code.",
            ["method", "error"],
            registry=self.registry,
        )

        self.rate_limited = Counter(
            "chatops_rate_limited_total",
            "Requests refused by the per-person rate limit, by kind (read, write).",
            ["kind"],
            registry=self.registry,
        )
        self.notifications = Counter(
            "chatops_notifications",
            "Ticket changes delivered to Slack, by kind (new_ticket, note, status, dm).",
            ["kind"],
            registry=self.registry,
        )

    def observe_backend(self, info: RequestInfo, status: int | None, seconds: float) -> None:
        label = str(status) if status is not None else "error"
        self.backend_seconds.labels(info.backend, info.operation, label).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
