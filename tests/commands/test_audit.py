"""Every write leaves one structured audit event, however it ends."""

from __future__ import annotations

from structlog.testing import capture_logs

from bot.core.dispatch import Caller, Dispatcher, Services
from bot.core.gate import WriteGate
from bot.sandbox import Fault, RunningSandbox
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
