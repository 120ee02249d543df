"""Workflow Builder custom steps: function_executed -> the write gate -> completeSuccess with
outputs, or completeError with one sentence. Payload shape as in bolt-python's
tests/scenario_tests_async/test_function.py (ids and callback ids adapted)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.slack.conftest import Harness, wait_for

_events = iter(range(1, 10_000))


def function_executed(callback_id: str, inputs: dict[str, Any], execution: str) -> dict[str, Any]:
    return {
        "type": "function_executed",
        "function": {
            "id": "Fn0BRUIN",
            "callback_id": callback_id,
            "title": callback_id,
            "type": "app",
            "app_id": "A0APP",
            "date_updated": 1659054991,
        },
        "inputs": inputs,
        "function_execution_id": execution,
        "workflow_execution_id": "Wx0001",
        "event_ts": "1659055013.509853",
        "bot_access_token": "xwfp-fake",
    }


def ran_by(user: str) -> dict[str, Any]:
    return {"interactor": {"id": user, "secret": "x"}, "interactivity_pointer": "1.2.abc"}


async def run_step(h: Harness, callback_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
    execution = f"Fx{next(_events)}"
    event = function_executed(callback_id, inputs, execution)
    assert (await h.event(event, event_id=f"Ev0FN{execution}")).status == 200
    return await wait_for(lambda: h.slack.function_results.get(execution))  # type: ignore[no-any-return]


async def test_look_up_returns_the_tickets_status_as_outputs(harness: Harness) -> None:
    result = await run_step(
        harness, "look_up_bruin_ticket", {"channel_id": "C0OPS", "ticket_id": "4503"}
    )
    assert result["ok"] is True
    outputs = result["outputs"]
    assert outputs["ticket_id"] == "4503"
    assert outputs["status"]
    assert outputs["ticket_url"].endswith("/ticket/4503")


async def test_add_note_is_signed_with_the_person_who_ran_the_workflow(harness: Harness) -> None:
    inputs = {
        "interactivity": ran_by("U0CALLER"),
        "channel_id": "C0OPS",
        "ticket_id": "4503",
        "note": "from a workflow",
    }
    result = await run_step(harness, "add_bruin_note", inputs)
    assert result["ok"] is True
    notes = harness.sandbox.bruin.payloads("note.add")
    assert len(notes) == 1
    assert "from a workflow" in json.dumps(notes[0])
    assert "(U0CALLER)" in json.dumps(notes[0])


async def test_open_ticket_creates_one_for_the_channels_customer(harness: Harness) -> None:
    inputs = {
        "interactivity": ran_by("U0CALLER"),
        "channel_id": "C0OPS",
        "service_number": "VC07700012345",
        "description": "edge offline since 09:05",
    }
    result = await run_step(harness, "open_bruin_ticket", inputs)
    assert result["ok"] is True, result
    assert result["outputs"]["ticket_id"].isdigit()
    created = harness.sandbox.bruin.payloads("ticket.create")
    assert len(created) == 1
    assert created[0]["clientId"] == 40123


async def test_another_customers_ticket_fails_with_not_found(harness: Harness) -> None:
    result = await run_step(
        harness, "look_up_bruin_ticket", {"channel_id": "C0OPS", "ticket_id": "4512"}
    )
    assert result == {"ok": False, "error": "Ticket 4512 was not found."}


async def test_a_write_step_without_its_invoking_user_fails_and_writes_nothing(
    harness: Harness,
) -> None:
    inputs = {"channel_id": "C0OPS", "ticket_id": "4503", "note": "who am I"}
    result = await run_step(harness, "add_bruin_note", inputs)
    assert result["ok"] is False
    assert "Run by" in result["error"]
    assert not harness.sandbox.bruin.called("note.add")


@pytest.mark.parametrize("overrides", [{"chatops_writers": ["U0BOSS"]}])
async def test_a_non_writer_running_the_workflow_is_refused(harness: Harness) -> None:
    inputs = {
        "interactivity": ran_by("U0CALLER"),
        "channel_id": "C0OPS",
        "ticket_id": "4503",
        "note": "not allowed",
    }
    result = await run_step(harness, "add_bruin_note", inputs)
    assert result["ok"] is False
    assert "not allowed" in result["error"]
    assert not harness.sandbox.bruin.called("note.add")
