"""A herd woken at once is let through a few per event-loop turn, in order, none lost."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.aio import TurnBudget


async def _turns_of(budget: TurnBudget, herd: int) -> list[tuple[int, int]]:
    """(member, loop turn it went on in) for a herd that calls turn() in one loop turn."""
    turn = 0
    stop = False

    async def count_turns() -> None:
        nonlocal turn
        while not stop:
            await asyncio.sleep(0)  # one step per loop turn
            turn += 1

    counter = asyncio.ensure_future(count_turns())
    went: list[tuple[int, int]] = []

    async def member(i: int) -> None:
        await budget.turn()
        went.append((i, turn))

    await asyncio.gather(*(member(i) for i in range(herd)))
    stop = True
    await counter
    return went


async def test_at_most_per_turn_go_on_in_any_loop_turn_first_come_first_served() -> None:
    went = await _turns_of(TurnBudget(per_turn=4), herd=18)
    assert [i for i, _ in went] == list(range(18))
    per_turn: dict[int, int] = {}
    for _, t in went:
        per_turn[t] = per_turn.get(t, 0) + 1
    assert max(per_turn.values()) <= 4
    assert len(per_turn) >= 5  # 18 members need at least five turns


async def test_a_small_herd_is_not_delayed() -> None:
    went = await _turns_of(TurnBudget(per_turn=4), herd=3)
    assert {t for _, t in went} == {0}


async def test_a_cancelled_waiter_gives_its_place_on() -> None:
    budget = TurnBudget(per_turn=1)
    tasks = [asyncio.ensure_future(budget.turn()) for _ in range(3)]
    await asyncio.sleep(0)  # one turn: the first went on, two wait
    assert tasks[0].done()
    assert not tasks[1].done()
    tasks[1].cancel()
    await asyncio.wait_for(tasks[2], 1)
    assert tasks[1].cancelled()


def test_a_budget_needs_room_for_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        TurnBudget(per_turn=0)


def test_a_budget_outlives_its_event_loop() -> None:
    """A loop that closes mid-turn leaves nothing that blocks the next loop's callers."""
    budget = TurnBudget(per_turn=2)
    old = asyncio.new_event_loop()

    async def burst() -> None:
        for _ in range(2):
            await budget.turn()
        old.stop()  # the loop ends before the turn's reset, scheduled on it, can run

    task = old.create_task(burst())
    old.run_forever()
    assert task.done()
    old.close()

    async def more() -> None:
        await asyncio.wait_for(asyncio.gather(*(budget.turn() for _ in range(5))), 1)

    asyncio.run(more())
