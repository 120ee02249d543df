"""Prometheus metrics, one registry per app instance (so tests and replicas don't collide).

Every name and label is listed in the README ("Metrics"); keep the two in step.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

from bot.clients.core import RequestInfo

__all__ = ["Metrics"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "chatops_commands",
            "Commands handled, by command and outcome: ok; usage (the person's input did not "
            "fit); refused (not a writer, or over the rate limit); error (a backend or the bot "
            "failed).",
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
        # The poller lease: which replica polls Bruin and delivers notifications.
        self.lease_held = Gauge(
            "chatops_poller_lease_held",
            "1 while this replica holds the poller lease (polls Bruin and delivers), else 0.",
            registry=self.registry,
        )
        self.last_poll = Gauge(
            "chatops_last_poll_success_timestamp_seconds",
            "Unix time of this replica's last successful poll of Bruin (0 = none yet).",
            registry=self.registry,
        )
        self.polls = Counter(
            "chatops_polls",
            "Polls of Bruin for ticket changes started by this replica (as the lease holder).",
            registry=self.registry,
        )
        self.poll_failures = Counter(
            "chatops_poll_failures",
            "Polls of Bruin in which a backend read failed (a customer's listing or a "
            "followed ticket) or that did not finish (a store error).",
            registry=self.registry,
        )
        # process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds, …
        ProcessCollector(registry=self.registry)

    def observe_backend(self, info: RequestInfo, status: int | None, seconds: float) -> None:
        label = str(status) if status is not None else "error"
        self.backend_seconds.labels(info.backend, info.operation, label).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
