"""Several replicas on one database: exactly one polls and delivers; when it dies another
takes over within two poll intervals."""

from __future__ import annotations

import asyncio
import time

from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.bruin import BruinClient
from bot.notify.delivery import Delivery
from bot.notify.intake import Intake
from bot.notify.service import NotifierService
from tests.notify.conftest import CUSTOMER
from tests.store.conftest import StoreFactory

POLL = 1.0


async def replica(
    name: str, open_store: StoreFactory, bruin: BruinClient, web: AsyncWebClient
) -> NotifierService:
    store = await open_store()
    return NotifierService(
        intake=Intake(store, bruin),
        delivery=Delivery(store, bruin, web, portal_url="https://p", min_interval=0),
        poll_seconds=POLL,
        default_customer=CUSTOMER,
        holder=name,
    )


async def until(predicate, timeout: float) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_one_replica_polls_and_another_takes_over_when_it_dies(
    open_store: StoreFactory, bruin: BruinClient, web: AsyncWebClient
) -> None:
    a = await replica("a", open_store, bruin, web)
    b = await replica("b", open_store, bruin, web)
    a.start()
    await until(lambda: a.is_leader, 5)
    b.start()
    try:
        await until(lambda: a.polls >= 2, 5)
        assert not b.is_leader
        assert b.polls == 0
        await a.stop(release=False)  # dies holding the lease
        took = await until(lambda: b.is_leader and b.polls >= 1, 2 * POLL + 1.0)
        assert took <= 2 * POLL + 1.0
    finally:
        await a.stop()
        await b.stop()


async def test_a_clean_stop_hands_over_at_once(
    open_store: StoreFactory, bruin: BruinClient, web: AsyncWebClient
) -> None:
    a = await replica("a", open_store, bruin, web)
    b = await replica("b", open_store, bruin, web)
    a.start()
    await until(lambda: a.is_leader, 5)
    b.start()
    try:
        await a.stop()  # releases the lease
        await until(lambda: b.is_leader, POLL)
    finally:
        await b.stop()
