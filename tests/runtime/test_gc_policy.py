"""The collector policy: full passes when quiet, or when overdue, never on the hot path."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from bot import gc_policy


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def _make_cycles(n: int = 50) -> None:
    for _ in range(n):
        a: list[object] = []
        a.append(a)


def _pending_full_pass() -> None:
    """Enough young passes that a full one has something to do."""
    gc.collect()
    _make_cycles()
    gc.collect(1)
    assert gc.get_count()[2] > 0


def test_tune_takes_the_full_pass_off_the_automatic_trigger() -> None:
    gc_policy.tune()
    young, _, full = gc.get_threshold()
    assert young >= 700
    assert full >= 1 << 30


def test_a_busy_process_gets_no_full_pass_until_it_is_overdue() -> None:
    collector = gc_policy.QuietCollector(quiet_tasks=16, max_interval=60.0)
    _pending_full_pass()
    start = collector._last
    assert not collector.step(alive_tasks=500, now=start + 1.0)
    assert collector.passes == 0
    assert collector.step(alive_tasks=500, now=start + 61.0)  # overdue: bounded memory
    assert collector.forced == 1
    assert gc.get_count()[2] == 0


def test_a_quiet_process_collects_at_once() -> None:
    collector = gc_policy.QuietCollector(quiet_tasks=16, max_interval=60.0)
    _pending_full_pass()
    assert collector.step(alive_tasks=3, now=collector._last + 1.0)
    assert (collector.passes, collector.forced) == (1, 0)
    # nothing pending since: no pass, however quiet
    gc.collect()
    assert not collector.step(alive_tasks=0, now=collector._last + 2.0)


async def test_the_loop_runs_and_stops_cleanly() -> None:
    collector = gc_policy.QuietCollector(check_every=0.01)
    collector.start()
    _pending_full_pass()
    for _ in range(100):
        if collector.passes:
            break
        await asyncio.sleep(0.01)
    await collector.stop()
    assert collector.passes >= 1


def test_freezing_keeps_the_startup_heap_out_of_every_pass() -> None:
    gc_policy.freeze_startup_heap()
    assert gc.get_freeze_count() > 1000
