"""Notifications end to end below Slack's HTTP layer: intake -> outbox -> paced delivery,
on SQLite and PostgreSQL, with the Bruin sandbox and a fake Slack over loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.clients.bruin import BruinClient
from bot.clients.bruin.models import Contact, NewNote
from bot.notify.service import NotifierService
from bot.store.models import OutboxEntry
from tests.fakes.slack import FakeSlack
from tests.notify.conftest import CUSTOMER, Parts

Factory = Any


def posts(slack: FakeSlack, channel: str | None = None) -> list[dict[str, Any]]:
    calls = [c for c in slack.calls_to("chat.postMessage") if c.status == 200 and not c.error]
    return [c.params for c in calls if channel is None or c.params.get("channel") == channel]


def text(params: dict[str, Any]) -> str:
    return json.dumps(params, ensure_ascii=False)


async def new_ticket(
    bruin: BruinClient, description: str = "Edge down at the Phoenix store"
) -> int:
    return await bruin.create_ticket(
        category="VOO",
        service_numbers=["VC07700012349"],
        contacts=[Contact(kind="site", email="ops@example.com", name="Ops", phone="5550100")],
        notes=[NewNote(text=description, note_type="MTK")],
    )


async def outbox(parts: Parts) -> list[OutboxEntry]:
    async with parts.store.session() as session:
        return list(await session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


async def test_new_ticket_matching_a_subscription_is_posted_once_then_threaded(
    make_parts: Factory, bruin: BruinClient, slack: FakeSlack
) -> None:
    p = await make_parts()
    await p.store.add_subscription(
        channel_id="C0NOC", customer_id=CUSTOMER, status="open", category=None, site=None, by="U1"
    )
    tid = await new_ticket(bruin)
    assert await p.intake.ingest(tid, customer_id=CUSTOMER, is_new=True) == 1
    # The same change again (the poll after the webhook) queues nothing.
    assert await p.intake.ingest(tid, customer_id=CUSTOMER, is_new=True) == 0
    assert await p.delivery.run_once() == 1
    [card] = posts(slack, "C0NOC")
    assert f"Ticket {tid}" in text(card)
    assert await p.delivery.run_once() == 0

    await bruin.add_note(tid, "Carrier dispatched <!channel> & co")
    assert await p.intake.ingest(tid, customer_id=CUSTOMER) == 1
    await p.delivery.run_once()
    reply = posts(slack, "C0NOC")[1]
    card_ts = slack.calls_to("chat.postMessage")[0].response["ts"]
    assert reply["thread_ts"] == card_ts
    assert "Carrier dispatched &lt;!channel&gt; &amp; co" in text(reply)
    assert await p.store.card("C0NOC", tid) == card_ts


async def test_subscription_filters_are_honoured(
    make_parts: Factory, bruin: BruinClient, slack: FakeSlack
) -> None:
    p = await make_parts()
    for status, category, site in [
        ("resolved", None, None),
        (None, "VAS", None),
        (None, None, "812"),
    ]:
        await p.store.add_subscription(
            channel_id="C0NOC",
            customer_id=CUSTOMER,
            status=status,
            category=category,
            site=site,
            by="U1",
        )
    tid = await new_ticket(bruin)  # New, VOO, at the Phoenix site (842)
    assert await p.intake.ingest(tid, customer_id=CUSTOMER, is_new=True) == 0
    await p.store.add_subscription(
        channel_id="C0NOC", customer_id=CUSTOMER, status="open", category="VOO", site="842", by="U1"
    )
    tid = await new_ticket(bruin, "second")
    assert await p.intake.ingest(tid, customer_id=CUSTOMER, is_new=True) == 1


async def test_status_change_threads_updates_the_card_and_dms_the_opener(
    make_parts: Factory, bruin: BruinClient, slack: FakeSlack
) -> None:
    p = await make_parts()
    await p.store.add_watch("C0NOC", 4503, customer_id=CUSTOMER, by="U1")
    await p.store.record_slack_ticket(
        4503, customer_id=CUSTOMER, user_id="U0CALLER", channel_id=None
    )
    await p.intake.baseline(4503, customer_id=CUSTOMER)
    await bruin.add_note(4503, "first update")
    await p.intake.ingest(4503, customer_id=CUSTOMER)
    await p.delivery.run_once()
    [card] = posts(slack, "C0NOC")  # no card yet: the change comes with the card
    assert "first update" in text(card)
    assert "Ticket 4503" in text(card)
    card_ts = slack.calls_to("chat.postMessage")[0].response["ts"]

    for detail in (await bruin.get_ticket_details(4503)).details:
        await bruin.set_detail_status(4503, detail.detail_id, "R")
    assert await p.intake.ingest(4503, customer_id=CUSTOMER) == 2  # channel + the opener's DM
    await p.delivery.run_once()
    reply = posts(slack, "C0NOC")[1]
    assert reply["thread_ts"] == card_ts
    assert "In progress → Resolved" in text(reply)
    updates = slack.calls_to("chat.update")
    assert updates
    assert updates[-1].params["ts"] == card_ts
    assert "Resolved" in text(updates[-1].params)
    [dm] = posts(slack, "U0CALLER")
    assert "Ticket 4503" in text(dm)

    await p.store.set_notify("U0CALLER", False)
    for detail in (await bruin.get_ticket_details(4503)).details[:1]:
        await bruin.set_detail_status(4503, detail.detail_id, "O")
    assert await p.intake.ingest(4503, customer_id=CUSTOMER) == 1  # channel only


async def test_a_burst_becomes_one_digest_and_nothing_is_lost(
    make_parts: Factory, bruin: BruinClient, slack: FakeSlack
) -> None:
    p = await make_parts(min_interval=60.0)
    await p.store.add_watch("C0NOC", 4503, customer_id=CUSTOMER, by="U1")
    await p.intake.baseline(4503, customer_id=CUSTOMER)
    await bruin.add_note(4503, "note 0")
    await p.intake.ingest(4503, customer_id=CUSTOMER)
    assert await p.delivery.run_once() == 1
    for i in range(1, 8):
        await bruin.add_note(4503, f"note {i}")
        await p.intake.ingest(4503, customer_id=CUSTOMER)
    assert await p.delivery.run_once() == 0  # paced: this channel posted less than 60 s ago
    p.delivery.min_interval = 0.0
    p.delivery._next_post.clear()
    assert await p.delivery.run_once() == 7
    digest = posts(slack, "C0NOC")[1]
    assert "7 ticket updates" in text(digest)
    assert all(f"note {i}" in text(digest) for i in range(1, 8))
    assert all(e.state == "sent" for e in await outbox(p))


async def test_the_notifier_baselines_a_new_watch_without_announcing_it(
    make_parts: Factory, bruin: BruinClient, slack: FakeSlack
) -> None:
    p = await make_parts()
    notifier = NotifierService(
        intake=p.intake, delivery=p.delivery, poll_seconds=3600, default_customer=CUSTOMER
    )
    await p.store.add_watch("C0NOC", 4503, customer_id=CUSTOMER, by="U1")
    await notifier.baseline(4503, customer_id=CUSTOMER)
    assert await outbox(p) == []
    assert await p.intake.ingest(4503, customer_id=CUSTOMER) == 0  # nothing new since
    await bruin.add_note(4503, "after the watch")
    assert await p.intake.ingest(4503, customer_id=CUSTOMER) == 1


class Crash(BaseException):
    """Stands in for kill -9: nothing after the step runs, no cleanup."""


@pytest.mark.parametrize("step", ["marked", "posted", "committed"])
async def test_a_crash_at_any_step_loses_nothing_and_posts_nothing_twice(
    make_parts: Factory, bruin: BruinClient, slack: FakeSlack, step: str
) -> None:
    def crash(at: str) -> None:
        if at == step:
            raise Crash(at)

    first = await make_parts(crash=crash)
    await first.store.add_watch("C0NOC", 4503, customer_id=CUSTOMER, by="U1")
    await first.intake.baseline(4503, customer_id=CUSTOMER)
    await bruin.add_note(4503, "crash test note")
    await first.intake.ingest(4503, customer_id=CUSTOMER)
    with pytest.raises(Crash):
        await first.delivery.run_once()

    restarted = await make_parts()  # a new process on the same database
    await restarted.delivery.run_once()
    await restarted.delivery.run_once()
    delivered = [p for p in posts(slack, "C0NOC") if "crash test note" in text(p)]
    assert len(delivered) == 1
    assert [e.state for e in await outbox(restarted)] == ["sent"]


async def test_undeliverable_channels_are_marked_failed_not_retried_forever(
    make_parts: Factory, bruin: BruinClient, slack: FakeSlack
) -> None:
    p = await make_parts()
    await p.store.add_watch("C0GENERAL", 4503, customer_id=CUSTOMER, by="U1")  # bot not a member
    await p.intake.baseline(4503, customer_id=CUSTOMER)
    await bruin.add_note(4503, "nobody hears this")
    await p.intake.ingest(4503, customer_id=CUSTOMER)
    await p.delivery.run_once()
    [entry] = await outbox(p)
    assert entry.state == "failed"
    assert entry.error == "not_in_channel"


async def test_poll_finds_new_tickets_after_its_first_pass_and_dedupes_with_webhooks(
    make_parts: Factory, bruin: BruinClient, slack: FakeSlack
) -> None:
    p = await make_parts()
    await p.store.add_subscription(
        channel_id="C0NOC", customer_id=CUSTOMER, status=None, category=None, site=None, by="U1"
    )
    assert await p.intake.poll(default_customer=CUSTOMER) == 0  # first pass: sets the cursor
    by_poll = await new_ticket(bruin, "found by the poll")
    by_both = await new_ticket(bruin, "found by webhook and poll")
    assert await p.intake.ingest(by_both, customer_id=CUSTOMER, is_new=True) == 1
    assert await p.intake.poll(default_customer=CUSTOMER) == 1
    await p.delivery.run_once()
    entries = await outbox(p)
    assert sorted(e.ticket_id for e in entries) == sorted([by_poll, by_both])  # once each
    assert all(e.state == "sent" for e in entries)
    [digest] = posts(slack, "C0NOC")  # both arrived together: one digest
    assert f"New ticket {by_poll}" in text(digest)
    assert text(digest).count(f"New ticket {by_both}") == 1


async def test_poll_notices_changes_on_followed_tickets_only_when_they_changed(
    make_parts: Factory, bruin: BruinClient, sandbox: Any
) -> None:
    p = await make_parts()
    await p.store.add_watch("C0NOC", 4503, customer_id=CUSTOMER, by="U1")
    await p.intake.baseline(4503, customer_id=CUSTOMER)
    await p.intake.poll(default_customer=CUSTOMER)
    details_reads = sandbox.bruin.call_count("ticket.details")
    assert await p.intake.poll(default_customer=CUSTOMER) == 0
    assert sandbox.bruin.call_count("ticket.details") == details_reads  # nothing changed
    await bruin.add_note(4503, "seen by the poll")
    assert await p.intake.poll(default_customer=CUSTOMER) == 1


async def test_one_card_per_channel_for_a_new_ticket(
    make_parts: Factory, bruin: BruinClient, slack: FakeSlack
) -> None:
    p = await make_parts()
    for status in ("open", None):  # two subscriptions in one channel both match
        await p.store.add_subscription(
            channel_id="C0NOC",
            customer_id=CUSTOMER,
            status=status,
            category=None,
            site=None,
            by="U1",
        )
    await p.store.add_subscription(
        channel_id="C0OPS", customer_id=CUSTOMER, status=None, category=None, site=None, by="U1"
    )
    tid = await new_ticket(bruin)
    await p.store.remember_card("C0OPS", tid, "1700000000.000001")  # opened there from Slack
    assert await p.intake.ingest(tid, customer_id=CUSTOMER, is_new=True) == 1  # C0NOC only
    [entry] = await outbox(p)
    assert entry.channel_id == "C0NOC"


async def test_a_via_others_subscription_leaves_out_tickets_opened_through_the_bot(
    make_parts: Factory, bruin: BruinClient
) -> None:
    p = await make_parts()
    for channel, via in (("C0ALL", "all"), ("C0OTHERS", "others")):
        await p.store.add_subscription(
            channel_id=channel,
            customer_id=CUSTOMER,
            status=None,
            category=None,
            site=None,
            by="U1",
            via=via,
        )
    by_hand = await new_ticket(bruin, "opened in the Bruin portal")
    assert await p.intake.ingest(by_hand, customer_id=CUSTOMER, is_new=True) == 2
    through_bot = await new_ticket(bruin, "Edge down\n— via Slack by Dana Ops (U0CALLER)")
    assert await p.intake.ingest(through_bot, customer_id=CUSTOMER, is_new=True) == 1
    queued = [(e.channel_id, e.ticket_id) for e in await outbox(p)]
    assert (("C0ALL", through_bot)) in queued
    assert (("C0OTHERS", through_bot)) not in queued


async def test_the_bots_own_note_is_not_echoed_to_the_channel_it_was_made_in(
    make_parts: Factory, bruin: BruinClient
) -> None:
    p = await make_parts()
    tid = await new_ticket(bruin)
    for channel in ("C0OPS", "C0NOC"):
        await p.store.add_watch(channel_id=channel, ticket_id=tid, customer_id=CUSTOMER, by="U1")
    await p.intake.ingest(tid, customer_id=CUSTOMER, baseline=True)
    await p.store.record_origin(tid, "C0OPS", "note")
    await bruin.add_note(tid, "carrier on site\n— via Slack by Dana Ops (U0CALLER)")
    await p.intake.ingest(tid, customer_id=CUSTOMER)
    noted = [e.channel_id for e in await outbox(p) if e.kind == "note"]
    assert noted == ["C0NOC"]
    # A note written in Bruin by someone else still reaches both channels.
    await bruin.add_note(tid, "field tech: fibre spliced")
    await p.intake.ingest(tid, customer_id=CUSTOMER)
    later = [e.channel_id for e in await outbox(p) if e.kind == "note"]
    assert sorted(later) == ["C0NOC", "C0NOC", "C0OPS"]


async def test_slack_rate_limiting_for_longer_than_every_attempt_loses_nothing(
    make_parts: Factory, bruin: BruinClient, slack: FakeSlack
) -> None:
    """Many more refused rounds than MAX_ATTEMPTS: a 429 is Slack's "not now", not a failed
    attempt, and the channel waits Retry-After before it asks again."""
    from bot.notify.delivery import MAX_ATTEMPTS

    p = await make_parts()
    await p.store.add_watch("C0NOC", 4503, customer_id=CUSTOMER, by="U1")
    await p.intake.baseline(4503, customer_id=CUSTOMER)
    await bruin.add_note(4503, "posted once Slack lets us")
    await p.intake.ingest(4503, customer_id=CUSTOMER)
    slack.rate_limit_next("chat.postMessage", retry_after=1, times=10_000)
    p.delivery.slack.retry_handlers.clear()  # one 429 per round: rounds count, not sleeps
    for _ in range(MAX_ATTEMPTS * 2):
        assert await p.delivery.run_once() == 0
        assert p.delivery._next_post["C0NOC"] > 0  # paced by Retry-After
        p.delivery._next_post.clear()
    [entry] = await outbox(p)
    assert (entry.state, entry.attempts, entry.error) == ("pending", 0, "ratelimited")
    slack._ratelimit.clear()
    assert await p.delivery.run_once() == 1
    assert [e.state for e in await outbox(p)] == ["sent"]


async def test_a_revoked_token_keeps_entries_pending_and_tells_the_bot(
    make_parts: Factory, bruin: BruinClient, slack: FakeSlack
) -> None:
    p = await make_parts()
    lost: list[str] = []
    p.delivery.on_access_lost = lost.append
    await p.store.add_watch("C0NOC", 4503, customer_id=CUSTOMER, by="U1")
    await p.intake.baseline(4503, customer_id=CUSTOMER)
    await bruin.add_note(4503, "owed to the reinstalled bot")
    await p.intake.ingest(4503, customer_id=CUSTOMER)
    slack.revoke_tokens()
    for _ in range(8):
        assert await p.delivery.run_once() == 0
    assert set(lost) == {"token_revoked"}
    [entry] = await outbox(p)
    assert (entry.state, entry.attempts) == ("pending", 0)


async def test_an_empty_outbox_is_not_queried_every_round(
    make_parts: Factory, bruin: BruinClient, slack: FakeSlack
) -> None:
    """Idle, the leader's delivery rounds (4 a second) cost no query; an entry queued by this
    process is still delivered at the very next round."""
    p = await make_parts()
    queries = 0
    real = p.store.outbox_channels

    async def counted() -> list[str]:
        nonlocal queries
        queries += 1
        return await real()

    p.store.outbox_channels = counted
    for _ in range(8):
        assert await p.delivery.run_once() == 0
    assert queries == 1  # quiet until QUIET_RECHECK, or until something is queued
    await p.store.add_watch("C0NOC", 4503, customer_id=CUSTOMER, by="U1")
    await p.intake.baseline(4503, customer_id=CUSTOMER)
    await bruin.add_note(4503, "queued by this replica's intake")
    await p.intake.ingest(4503, customer_id=CUSTOMER)
    assert await p.delivery.run_once() == 1
    assert queries == 2


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"retry-after": ["7"]}, 7.0),
        ({}, 1.0),
        ({"Retry-After": "nan"}, 1.0),
        ({"Retry-After": "86400"}, 300.0),
    ],
)
def test_a_429s_retry_after_is_a_bounded_number_of_seconds(
    header: dict[str, Any], wait: float
) -> None:
    """A garbage header must not become a NaN pause, which would hold the channel forever."""
    from slack_sdk.errors import SlackApiError

    from bot.notify.delivery import _retry_after

    response = type("R", (), {"headers": header})()
    assert _retry_after(SlackApiError("ratelimited", response)) == wait
