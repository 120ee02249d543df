"""System faults with real processes (``bench.faults`` in its quick form): real
``chatops-bot run`` replicas on loopback, the real PostgreSQL (a private cluster for the
restart), the Bruin sandbox and the fake Slack. Each scenario injects one fault while
commands and notifications flow, and the promise is the same for all: every notification
owed is posted exactly once, and every command that was acked is answered.

The full-length runs (a minute of 429s, Bruin down two minutes, a 30-minute soak) are
``python -m bench.faults all``; docs/RELIABILITY.md has their figures.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from bench.faults import PG_ADMIN, FaultSkipped, Report, run_scenario

BOUND = 300.0
"""No quick scenario may take longer than this (each takes about a minute)."""
pytestmark = pytest.mark.timeout(BOUND + 60)


@pytest.fixture
async def postgresql() -> None:
    try:
        conn = await asyncpg.connect(PG_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"SYSTEM FAULT TESTS SKIPPED: {PG_ADMIN} did not answer ({exc})")
    await conn.close()


async def scenario(name: str, tmp_path: Path) -> Report:
    try:
        report = await asyncio.wait_for(run_scenario(name, quick=True, workdir=tmp_path), BOUND)
    except FaultSkipped as exc:
        pytest.skip(f"SYSTEM FAULT {name.upper()} SKIPPED: {exc}")
    print("\n".join(report.lines()))  # shown with -s, and on failure
    return report


def held(report: Report) -> None:
    d = report.deliveries
    assert d.changes > 0, "the scenario made no changes to deliver"
    assert d.nothing_lost, d
    assert not report.problems, report.problems
    assert d.states.get("failed", 0) == 0, d.states


@pytest.mark.usefixtures("postgresql")
async def test_kill9_of_the_lease_holder_mid_burst_loses_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    report = await scenario("kill9", tmp_path)
    held(report)
    fault = report.fault
    assert fault["takeover_s"] is not None
    assert fault["takeover_s"] <= fault["lease_s"] + 5  # the lease, then the next ask
    assert report.log_events["replica-b"].get("poller_lease_taken") == 1
    assert report.commands.unanswered == fault["commands_in_flight_on_the_killed_replica"]


@pytest.mark.usefixtures("postgresql")
async def test_a_postgresql_restart_under_load_keeps_commands_answering(tmp_path: Path) -> None:
    report = await scenario("pg-restart", tmp_path)
    held(report)
    fault = report.fault
    assert fault["acked_during_outage"] == fault["commands_during_outage"] > 0
    assert report.commands.refused == {}
    assert report.commands.unanswered == 0
    assert set(fault["readyz_during_outage"]) == {"200 degraded"}  # not pulled from the LB
    [write] = fault["write_during_outage_answered"]
    assert write is not None
    assert "added a note" in write
    assert fault["notifications_resumed_s_after_start"] is not None


@pytest.mark.usefixtures("postgresql")
async def test_slack_429s_on_posting_delay_notifications_but_lose_none(tmp_path: Path) -> None:
    report = await scenario("slack-429", tmp_path)
    held(report)
    assert report.fault["answered_429"] > 0
    assert report.commands.unanswered == 0


@pytest.mark.usefixtures("postgresql")
async def test_bruin_down_answers_one_sentence_then_drains_the_backlog(tmp_path: Path) -> None:
    report = await scenario("bruin-down", tmp_path)
    held(report)
    fault = report.fault
    assert fault["answered_with_a_sentence"] >= fault["commands_during_outage"] * 0.9
    assert fault["sentence_p99_ms"] < 3000  # within Slack's patience, not a timeout's
    assert report.commands.unanswered == 0
    assert len(report.commands.sentences) == 1  # the same one sentence every time


@pytest.mark.usefixtures("postgresql")
async def test_a_revoked_token_stops_posting_and_the_reinstalled_bot_owes_nothing(
    tmp_path: Path,
) -> None:
    report = await scenario("token-revoked", tmp_path)
    held(report)
    fault = report.fault
    assert all(v is not None for v in fault["readyz_503_revoked_within_s"].values())
    assert fault["failed_at_revocation_end"] == 0
    assert fault["owed_at_revocation_end"] > 0  # there was a backlog to keep
    assert report.commands.unanswered == 0


@pytest.mark.usefixtures("postgresql")
async def test_a_short_soak_samples_every_replica(tmp_path: Path) -> None:
    report = await scenario("soak", tmp_path)
    held(report)
    assert len(report.samples) >= 8
    assert all("replica-a" in s and "replica-b" in s for s in report.samples)
