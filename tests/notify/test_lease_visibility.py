"""An operator can see which replica polls (issue 20, part 4): one log line when a replica
takes or loses the poller lease, with its holder id (also logged at start); gauges for
"holds the lease" and the last successful poll; counters for polls and failed polls."""

from __future__ import annotations

import datetime as dt
from collections.abc import MutableMapping
from typing import Any

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.bruin import BruinClient
from bot.metrics import Metrics
from bot.notify.delivery import Delivery
from bot.notify.intake import Intake
from bot.notify.service import LEASE, NotifierService
from bot.sandbox import Fault, RunningSandbox
from tests.notify.conftest import CUSTOMER
from tests.store.conftest import StoreFactory

POLL = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def replica(
    name: str, open_store: StoreFactory, bruin: BruinClient, web: AsyncWebClient, clock: Clock
) -> tuple[NotifierService, Metrics]:
    store = await open_store()
    metrics = Metrics()
    service = NotifierService(
        intake=Intake(store, bruin),
        delivery=Delivery(store, bruin, web, portal_url="https://p", min_interval=0),
        poll_seconds=POLL,
        default_customer=CUSTOMER,
        holder=name,
        clock=clock,
        metrics=metrics,
    )
    return service, metrics


def sample(metrics: Metrics, name: str) -> float:
    value = metrics.registry.get_sample_value(name)
    assert value is not None, name
    return value


def events(logs: list[MutableMapping[str, Any]], name: str) -> list[MutableMapping[str, Any]]:
    return [e for e in logs if e["event"] == name]


async def test_taking_and_losing_the_lease_is_logged_and_measured(
    open_store: StoreFactory, bruin: BruinClient, web: AsyncWebClient
) -> None:
    clock = Clock()
    a, a_metrics = await replica("replica-a", open_store, bruin, web, clock)
    b, b_metrics = await replica("replica-b", open_store, bruin, web, clock)
    with structlog.testing.capture_logs() as logs:
        await a.step()
        await b.step()
        await a.step()  # still the holder: no second line
    assert [e["holder"] for e in events(logs, "poller_lease_taken")] == ["replica-a"]
    assert sample(a_metrics, "chatops_poller_lease_held") == 1
    assert sample(b_metrics, "chatops_poller_lease_held") == 0
    assert sample(a_metrics, "chatops_polls_total") == 1
    assert sample(b_metrics, "chatops_polls_total") == 0
    assert sample(a_metrics, "chatops_last_poll_success_timestamp_seconds") > 1.7e9
    assert sample(b_metrics, "chatops_last_poll_success_timestamp_seconds") == 0

    # replica-a stalls past its lease; replica-b takes it over; replica-a notices.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10 * POLL)
    assert await b.store.claim_lease(LEASE, "replica-b", ttl=POLL, now=later)
    clock.now += POLL
    with structlog.testing.capture_logs() as logs:
        await a.step()
        await b.step()
    [lost] = events(logs, "poller_lease_lost")
    assert lost["holder"] == "replica-a"
    assert lost["log_level"] == "warning"
    assert [e["holder"] for e in events(logs, "poller_lease_taken")] == ["replica-b"]
    assert sample(a_metrics, "chatops_poller_lease_held") == 0
    assert sample(b_metrics, "chatops_poller_lease_held") == 1

    with structlog.testing.capture_logs() as logs:
        await b.stop()
    [released] = events(logs, "poller_lease_lost")
    assert (released["holder"], released["why"]) == ("replica-b", "released")
    assert sample(b_metrics, "chatops_poller_lease_held") == 0


async def test_a_failed_poll_is_counted_and_not_a_success(
    open_store: StoreFactory, bruin: BruinClient, web: AsyncWebClient, sandbox: RunningSandbox
) -> None:
    clock = Clock()
    a, metrics = await replica("replica-a", open_store, bruin, web, clock)
    await a.store.add_watch("C0NOC", 4503, customer_id=CUSTOMER, by="U0DANA")  # a poll reads it
    sandbox.bruin.faults.set("*", Fault(status=500))
    await a.step()
    assert sample(metrics, "chatops_polls_total") == 1
    assert sample(metrics, "chatops_poll_failures_total") == 1
    assert sample(metrics, "chatops_last_poll_success_timestamp_seconds") == 0
    sandbox.bruin.faults.clear()
    clock.now += POLL
    await a.step()
    assert sample(metrics, "chatops_polls_total") == 2
    assert sample(metrics, "chatops_poll_failures_total") == 1
    assert sample(metrics, "chatops_last_poll_success_timestamp_seconds") > 1.7e9
    await a.stop()


async def test_the_holder_id_is_logged_at_start(
    open_store: StoreFactory, bruin: BruinClient, web: AsyncWebClient
) -> None:
    a, _ = await replica("replica-a", open_store, bruin, web, Clock())
    with structlog.testing.capture_logs() as logs:
        a.start()
        await a.stop()
    [started] = events(logs, "notifier_started")
    assert started["holder"] == "replica-a"
