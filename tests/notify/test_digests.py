"""Scheduled digests: slots, exactly once per slot across replicas and restarts (on the real
store, SQLite and PostgreSQL), the /ticket digest commands and the Nudge button."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import zoneinfo
from types import SimpleNamespace
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.bruin import BruinClient
from bot.core.dispatch import Dispatcher
from bot.core.gate import WriteGate
from bot.core.registry import Interaction
from bot.notify.delivery import Delivery
from bot.notify.digests import METADATA_EVENT, DigestRunner, due_slot, last_slot, slot_key
from bot.notify.intake import Intake
from bot.notify.service import NotifierService
from bot.render.digests import ACTION_DIGEST_NUDGE
from bot.render.values import DigestNudge
from bot.services import open_services
from bot.store import Store
from handlers.catalog import build_registry
from handlers.digests import NUDGE_TEXT
from tests.commands.conftest import DANA, sandbox_settings
from tests.fakes.slack import FakeSlack
from tests.notify.conftest import CUSTOMER
from tests.store.conftest import StoreFactory

UTC = dt.UTC
POLL = 0.5
CHANNEL = "C0NOC"


def _digest(days: str, at_minute: int, created: dt.datetime) -> Any:
    return SimpleNamespace(days=days, at_minute=at_minute, created_at=created)


# -- slots -----------------------------------------------------------------------------------


def test_slots_follow_the_zone_and_skip_weekends() -> None:
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    now = dt.datetime(2026, 12, 7, 9, 30, tzinfo=UTC)  # Monday 10:30 in Berlin
    assert last_slot("daily", 9 * 60, now, berlin) == dt.datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    early = dt.datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # Monday 08:00 Berlin: before 09:00
    assert last_slot("weekdays", 9 * 60, early, berlin) == dt.datetime(
        2026, 12, 4, 8, 0, tzinfo=UTC
    )  # Friday's, not Sunday's
    assert last_slot("daily", 9 * 60, early, berlin) == dt.datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def test_a_slot_is_due_once_it_began_after_the_digest_was_made_and_not_too_late() -> None:
    created = dt.datetime(2026, 12, 1, tzinfo=UTC)
    digest = _digest("daily", 9 * 60, created)
    slot = dt.datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert due_slot(digest, slot + dt.timedelta(minutes=1), UTC) == slot
    assert due_slot(digest, slot + dt.timedelta(hours=1, minutes=59), UTC) == slot  # late once
    assert due_slot(digest, slot + dt.timedelta(hours=2, minutes=1), UTC) is None  # too late
    made_after = _digest("daily", 9 * 60, slot + dt.timedelta(minutes=30))
    assert due_slot(made_after, slot + dt.timedelta(minutes=31), UTC) is None  # from tomorrow


# -- exactly once per slot, on the real store --------------------------------------------------


async def _add_digest(store: Store, now: dt.datetime) -> int:
    """A daily digest whose slot began 10 minutes before ``now`` (a day after it was made)."""
    at = now - dt.timedelta(minutes=10)
    digest = await store.add_digest(
        channel_id=CHANNEL,
        customer_id=CUSTOMER,
        days="daily",
        at_minute=at.hour * 60 + at.minute,
        status=None,
        category=None,
        site=None,
        stale_minutes=60,
        by="U0CALLER",
    )
    return digest.id


def _runner(
    store: Store, bruin: BruinClient, web: AsyncWebClient, now: dt.datetime
) -> DigestRunner:
    return DigestRunner(
        store, bruin, web, portal_url="https://p", zone=UTC, check_seconds=0, now=lambda: now
    )


def _replica(
    name: str, store: Store, bruin: BruinClient, web: AsyncWebClient, now: dt.datetime
) -> NotifierService:
    return NotifierService(
        intake=Intake(store, bruin),
        delivery=Delivery(store, bruin, web, portal_url="https://p", min_interval=0),
        poll_seconds=POLL,
        default_customer=CUSTOMER,
        holder=name,
        digests=_runner(store, bruin, web, now),
    )


def _digests_posted(slack: FakeSlack) -> list[Any]:
    return [
        m
        for m in slack.messages_in(CHANNEL)
        if (m.metadata or {}).get("event_type") == METADATA_EVENT
    ]


async def test_two_replicas_post_each_slot_once(
    open_store: StoreFactory, bruin: BruinClient, web: AsyncWebClient, slack: FakeSlack
) -> None:
    tomorrow = dt.datetime.now(UTC) + dt.timedelta(days=1)
    a_store, b_store = await open_store(), await open_store()
    await _add_digest(a_store, tomorrow)
    a = _replica("a", a_store, bruin, web, tomorrow)
    b = _replica("b", b_store, bruin, web, tomorrow)
    for _ in range(3):
        await asyncio.gather(a.step(), b.step())
    assert a.is_leader != b.is_leader
    # Even two runners that both think they lead (a stall across a hand-over) post once.
    assert a.digests is not None
    assert b.digests is not None
    await asyncio.gather(a.digests.run_once(), b.digests.run_once())
    posted = _digests_posted(slack)
    assert len(posted) == 1
    assert "Ticket digest" in posted[0].text
    leader = a if a.is_leader else b
    assert leader.digests is not None
    assert leader.digests.fired == 1


async def test_a_due_slot_missed_by_a_dead_replica_fires_once_after_a_restart(
    open_store: StoreFactory, bruin: BruinClient, web: AsyncWebClient, slack: FakeSlack
) -> None:
    tomorrow = dt.datetime.now(UTC) + dt.timedelta(days=1)
    first = await open_store()
    digest_id = await _add_digest(first, tomorrow)
    before = tomorrow - dt.timedelta(minutes=20)  # the old leader's clock: the slot not yet due
    old = _replica("old", first, bruin, web, before)
    await old.step()
    assert old.is_leader
    await old.stop(release=False)  # dies holding the lease, before the slot began
    assert _digests_posted(slack) == []

    late = tomorrow + dt.timedelta(minutes=45)  # back after the slot: it fires late, once
    second = _replica("new", await open_store(), bruin, web, late)
    for _ in range(100):
        await second.step()
        if second.is_leader:
            break
        await asyncio.sleep(0.05)
    assert second.is_leader
    await second.step()
    assert len(_digests_posted(slack)) == 1
    await second.stop()

    third = _replica("again", await open_store(), bruin, web, late)  # another restart
    await third.step()
    await third.step()
    assert third.is_leader
    assert len(_digests_posted(slack)) == 1
    slot = tomorrow - dt.timedelta(minutes=10)
    assert not await first.claim("digest", slot_key(digest_id, slot.replace(second=0)))
    await third.stop()


async def test_a_post_that_certainly_failed_is_retried_in_the_same_slot(
    open_store: StoreFactory, bruin: BruinClient, web: AsyncWebClient, slack: FakeSlack
) -> None:
    tomorrow = dt.datetime.now(UTC) + dt.timedelta(days=1)
    store = await open_store()
    await _add_digest(store, tomorrow)
    runner = _runner(store, bruin, web, tomorrow)
    slack.fail_next("chat.postMessage", "internal_error")
    assert await runner.run_once() == 0  # refused: the claim is released
    assert await runner.run_once() == 1
    assert await runner.run_once() == 0
    assert len(_digests_posted(slack)) == 1


async def test_a_replica_that_died_after_claiming_a_slot_does_not_lose_it(
    open_store: StoreFactory, bruin: BruinClient, web: AsyncWebClient, slack: FakeSlack
) -> None:
    tomorrow = dt.datetime.now(UTC) + dt.timedelta(days=1)
    store = await open_store()
    digest_id = await _add_digest(store, tomorrow)
    key = slot_key(digest_id, (tomorrow - dt.timedelta(minutes=10)).replace(second=0))
    assert await store.claim("digest", key)  # claimed, then the replica died: nothing posted
    runner = _runner(store, bruin, web, tomorrow)  # its clock is well past the doubt delay
    assert await runner.run_once() == 1  # not in the channel: posted now
    assert await runner.run_once() == 0
    # The answer of a post lost (no "posted" mark): the post is found, not repeated.
    await store.release("digest_posted", key)
    assert await runner.run_once() == 0
    assert len(_digests_posted(slack)) == 1


# -- commands and the Nudge button -------------------------------------------------------------


async def test_digest_commands_and_nudge(open_store: StoreFactory, sandbox: Any) -> None:
    store = await open_store()
    dispatcher = Dispatcher(build_registry())
    async with open_services(sandbox_settings(sandbox.url, chatops_timezone="Europe/Berlin")) as s:
        services = dataclasses.replace(s, store=store)
        made = await dispatcher.dispatch(
            "/ticket", "digest weekdays 09:00 stale=48h", DANA, services
        )
        assert "Digest #" in made.text, made.text
        assert "Europe/Berlin" in made.text
        bad = await dispatcher.dispatch("/ticket", "digest daily 9am", DANA, services)
        assert "Digest #" not in bad.text
        listed = await dispatcher.dispatch("/ticket", "digest list", DANA, services)
        assert "weekdays at 09:00" in str(listed.to_dict())
        [digest] = await store.list_digests(DANA.channel_id)
        assert (digest.days, digest.at_minute, digest.stale_minutes) == ("weekdays", 540, 2880)

        registry = build_registry()
        nudge = registry.actions[ACTION_DIGEST_NUDGE]
        interaction = Interaction(caller=DANA, services=services, gate=WriteGate())
        value = DigestNudge.new(4503).encode()
        done = await nudge(interaction, value)
        assert done.reply is not None, done
        assert "Nudged ticket" in done.reply.text
        again = await nudge(interaction, value)  # the same button: nothing more is written
        assert again.reply is not None
        assert "already" in again.reply.text
        details = await services.bruin.get_ticket_details(4503)
        nudges = [n for n in details.notes if n.text and n.text.startswith(NUDGE_TEXT)]
        assert len(nudges) == 1
        assert "— via Slack by Dana Ops" in (nudges[0].text or "")

        off = await dispatcher.dispatch("/ticket", "digest off", DANA, services)
        assert "Stopped 1 digest" in off.text
        assert await store.list_digests(DANA.channel_id) == []
