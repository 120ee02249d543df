"""Every write leaves one structured audit event, however it ends."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from bot.core.dispatch import Caller, Dispatcher, Services
from bot.core.gate import STORE_DOWN, Refused, Write, WriteGate
from bot.sandbox import Fault, RunningSandbox
from bot.store import Store
from handlers.catalog import build_registry
from tests.commands.conftest import DANA


def audits(logs: list[dict[str, object]]) -> list[dict[str, object]]:
    return [entry for entry in logs if entry["event"] == "audit"]


async def test_a_successful_write_is_audited_once(
    dispatcher: Dispatcher, services: Services
) -> None:
    with capture_logs() as logs:
        await dispatcher.dispatch("/note", "add 4503 hello", DANA, services)
        await dispatcher.dispatch("/ticket", "show 4503", DANA, services)  # a read: no audit
    [event] = audits(logs)
    assert event["audit_user"] == "U0CALLER"
    assert event["audit_channel"] == "C0OPS"
    assert event["surface"] == "slash"
    assert event["backend"] == "bruin"
    assert event["operation"] == "/note add"
    assert event["object_id"] == "4503"
    assert event["outcome"] == "ok"


async def test_refused_and_failed_writes_are_audited(
    services: Services, sandbox: RunningSandbox
) -> None:
    async def nobody(caller: Caller) -> str | None:
        return "No."

    with capture_logs() as logs:
        await Dispatcher(build_registry(), WriteGate(authorize=nobody)).dispatch(
            "/note", "add 4503 hello", DANA, services
        )
        sandbox.bruin.faults.set("note.add", Fault(status=500))
        await Dispatcher(build_registry()).dispatch("/note", "add 4503 hello", DANA, services)
    refused, failed = audits(logs)
    assert refused["outcome"] == "refused"
    assert failed["outcome"] == "error"
    assert failed["detail"] == "UpstreamUnavailable"


async def down(*_: object, **__: object) -> bool:
    raise ConnectionRefusedError("the database system is shutting down")


async def test_a_keyed_write_while_the_store_is_down_changes_nothing_and_says_why(
    services: Services, tmp_path: Path
) -> None:
    """A button or modal write is kept exactly-once by its claim in the store: while the
    database restarts the claim cannot be made, so nothing runs, and the person is told."""
    store = await Store.open(None, data_dir=tmp_path)
    ran: list[Caller] = []

    async def work(caller: Caller) -> str:
        ran.append(caller)
        return "done"

    try:
        store.claim = down  # type: ignore[method-assign]
        write = Write("/ticket resolve", 4503, key="button:resolve:4503:n1")
        with capture_logs() as logs, pytest.raises(Refused) as refused:
            await WriteGate().run(replace(services, store=store), DANA, write, work)
        assert str(refused.value) == STORE_DOWN
        assert ran == []
        [event] = audits(logs)
        assert (event["outcome"], event["detail"]) == ("refused", "store_unavailable")
    finally:
        await store.close()


async def test_a_slash_write_while_the_store_is_down_is_written_once(
    dispatcher: Dispatcher, services: Services, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """A slash command has no claim of its own (its request was claimed on arrival), so the
    note is written; the store failing afterwards (where the change was made, for no-echo)
    must not turn a done write into "something went wrong", which invites a second note."""
    store = await Store.open(None, data_dir=tmp_path)
    try:
        store.record_origin = down  # type: ignore[method-assign]
        before = len(sandbox.bruin.ticket_notes(4503))
        message = await dispatcher.dispatch(
            "/note", "add 4503 while the db restarts", DANA, replace(services, store=store)
        )
        assert message.ok, message.text
        assert len(sandbox.bruin.ticket_notes(4503)) == before + 1
    finally:
        await store.close()
