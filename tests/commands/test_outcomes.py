"""How a command ended, as ``chatops_commands_total{command,outcome}`` counts it (issue 20,
part 2): ok; usage (the person's input); refused (not a writer, over the rate limit);
error (a backend or the bot failed). Counted through the real HTTP app and read back
from ``/metrics``; the poller lease and the process metrics show there too (part 4).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.core.caller import Caller
from bot.core.dispatch import Dispatcher, Services
from bot.core.gate import RateLimiter, WriteGate
from bot.sandbox import Fault
from bot.services import open_services
from handlers.catalog import build_registry
from tests.commands.conftest import DANA
from tests.slack.conftest import Harness, harness, overrides, slack, wait_for

__all__ = ["harness", "overrides", "slack"]


async def _nobody(caller: Caller) -> str | None:
    return "Only the NOC may write here."


async def test_dispatch_gives_each_outcome(services: Services) -> None:
    d = Dispatcher(build_registry())
    assert (await d.dispatch_with_outcome("/ticket", "show 4503", DANA, services))[1] == "ok"
    for text in ("frobnicate", "show abc", "list status=bogus", "show 999999999"):
        _, outcome = await d.dispatch_with_outcome("/ticket", text, DANA, services)
        assert outcome == "usage", text
    _, outcome = await d.dispatch_with_outcome("/nosuch", "", DANA, services)
    assert outcome == "usage"
    guarded = Dispatcher(build_registry(), WriteGate(authorize=_nobody))
    message, outcome = await guarded.dispatch_with_outcome("/note", "add 4503 hi", DANA, services)
    assert (outcome, str(message.text)) == ("refused", "Only the NOC may write here.")
    slow = Dispatcher(build_registry(), WriteGate(reads=RateLimiter(1)))
    await slow.dispatch_with_outcome("/ticket", "show 4503", DANA, services)
    _, outcome = await slow.dispatch_with_outcome("/ticket", "show 4503", DANA, services)
    assert outcome == "refused"


async def test_a_backend_that_does_not_answer_is_an_error() -> None:
    settings = Settings(
        bruin_oauth_client_id="x",
        bruin_oauth_client_secret=SecretStr("x"),
        bruin_customer_id=1,
        bruin_api_url="http://127.0.0.1:9",
        bruin_identity_url="http://127.0.0.1:9",
        bruin_timeout_seconds=1.0,
    )
    async with open_services(settings) as down:
        message, outcome = await Dispatcher(build_registry()).dispatch_with_outcome(
            "/ticket", "show 4503", DANA, down
        )
    assert (outcome, message.ok) == ("error", False)
    bare = Services(settings=Settings())
    _, outcome = await Dispatcher(build_registry()).dispatch_with_outcome(
        "/ticket", "show 4503", DANA, bare
    )
    assert outcome == "error"  # Bruin not configured: an operator's problem


async def _metrics(h: Harness) -> str:
    async with h.http.get(h.base + "/metrics") as resp:
        assert resp.status == 200
        return await resp.text()


def _count(text: str, command: str, outcome: str) -> float:
    pattern = (
        rf'^chatops_commands_total\{{command="{re.escape(command)}",outcome="{outcome}"\}} (\S+)$'
    )
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def _run(h: Harness, command: str, text: str) -> None:
    resp, key = await h.command(command, text)
    assert resp.status == 200
    await h.reply(key)


@pytest.mark.parametrize("overrides", [{"chatops_writers": ["U0SOMEONEELSE"]}])
async def test_metrics_count_ok_usage_refused_and_error_apart(
    harness: Harness, overrides: dict[str, Any]
) -> None:
    await _run(harness, "/ticket", "show 4503")
    for text in ("frobnicate", "show abc", "list status=bogus"):
        await _run(harness, "/ticket", text)
    await _run(harness, "/note", "add 4503 not a writer")
    harness.sandbox.bruin.faults.set("ticket.details", Fault(status=500))
    await _run(harness, "/ticket", "show 4503")
    text = await _metrics(harness)  # counted before the reply went out
    assert _count(text, "/ticket", "ok") == 1
    assert _count(text, "/ticket", "usage") == 3
    assert _count(text, "/note", "refused") == 1
    assert _count(text, "/ticket", "error") == 1
    assert _count(text, "/note", "error") == 0


async def test_metrics_show_the_lease_polls_and_the_process(harness: Harness) -> None:
    notifier = harness.bot.server.notifier
    assert notifier is not None
    registry = harness.bot.server.bot.metrics.registry
    await wait_for(lambda: registry.get_sample_value("chatops_last_poll_success_timestamp_seconds"))
    text = await _metrics(harness)
    assert re.search(r"^chatops_poller_lease_held 1\.0$", text, re.MULTILINE)
    assert re.search(r"^chatops_polls_total [1-9]", text, re.MULTILINE)
    assert re.search(r"^chatops_poll_failures_total 0\.0$", text, re.MULTILINE)
    last = re.search(r"^chatops_last_poll_success_timestamp_seconds (\S+)$", text, re.MULTILINE)
    assert last
    assert float(last.group(1)) > 1.7e9
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"):
        assert re.search(rf"^{name} ", text, re.MULTILINE), name


async def test_readyz_names_the_replica_and_whether_it_polls(harness: Harness) -> None:
    notifier = harness.bot.server.notifier
    assert notifier is not None
    await wait_for(lambda: notifier.is_leader)
    async with harness.http.get(harness.base + "/readyz") as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["poller"] == {"holder": notifier.holder, "holds_lease": True}
