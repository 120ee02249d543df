"""``chatops-bot check`` as an init step (Kubernetes initContainer, compose ``check``):
exit 0 and the schema migrated when all is well; otherwise non-zero at the FIRST problem,
with what is wrong and the fix in one sentence, and nothing checked after it."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from bot.sandbox import RunningSandbox
from bot.store.store import SCHEMA_HEAD
from tests.deploy.conftest import BotProcess, Spawn, bot_env, free_port
from tests.fakes.slack import FakeSlack


async def run_check(spawn: Spawn, env: dict[str, str]) -> tuple[int, list[str]]:
    proc: BotProcess = await spawn("check", env, "check")
    code = await proc.wait_exit(60)
    return code, [line for line in proc.log().splitlines() if line.strip()]


def first_problem(lines: list[str]) -> tuple[str, str]:
    """The FAIL line and its fix; asserts it is the only one and the report stops there."""
    fails = [i for i, line in enumerate(lines) if line.startswith("FAIL")]
    assert len(fails) == 1, lines
    rest = [line.strip() for line in lines[fails[0] + 1 :]]
    assert len(rest) == 1, lines  # the fix, then nothing: no later check ran
    assert rest[0].startswith("fix: "), lines
    fix = rest[0].removeprefix("fix: ")
    assert fix.endswith("."), fix
    assert ". " not in fix.rstrip("."), f"more than one sentence: {fix}"
    return lines[fails[0]], fix


async def test_all_well_exits_0_and_leaves_the_schema_migrated(
    spawn: Spawn, slack: FakeSlack, sandbox: RunningSandbox, pg_url: str, tmp_path: Path
) -> None:
    code, lines = await run_check(spawn, bot_env(slack, sandbox, tmp_path, DATABASE_URL=pg_url))
    assert code == 0, lines
    assert not [line for line in lines if line.startswith("FAIL")]
    conn = await asyncpg.connect(pg_url)
    try:
        assert await conn.fetchval("SELECT version_num FROM alembic_version") == SCHEMA_HEAD
    finally:
        await conn.close()


async def test_no_bot_token_is_the_first_problem(
    spawn: Spawn, slack: FakeSlack, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    env = bot_env(slack, sandbox, tmp_path)
    del env["SLACK_BOT_TOKEN"]
    code, lines = await run_check(spawn, env)
    assert code != 0
    problem, fix = first_problem(lines)
    assert "SLACK_BOT_TOKEN" in fix, (problem, fix)


async def test_an_unreachable_database_is_the_first_problem(
    spawn: Spawn, slack: FakeSlack, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    env = bot_env(
        slack, sandbox, tmp_path, DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/x"
    )
    code, lines = await run_check(spawn, env)
    assert code != 0
    problem, fix = first_problem(lines)
    assert "store" in problem.lower(), problem
    assert "DATABASE_URL" in fix
    assert not slack.calls_to("auth.test"), "checks after the first problem still ran"


async def test_a_refused_slack_token_is_the_first_problem(
    spawn: Spawn, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with FakeSlack(bot_token="xoxb-the-real-one") as slack:
        env = bot_env(slack, sandbox, tmp_path, SLACK_BOT_TOKEN="xoxb-a-stale-one")
        code, lines = await run_check(spawn, env)
    assert code != 0
    problem, fix = first_problem(lines)
    assert "auth" in problem.lower(), problem
    assert "SLACK_BOT_TOKEN" in fix
    assert "xoxb-a-stale-one" not in "\n".join(lines)


@pytest.mark.parametrize(
    ("name", "value"),
    [("PORT", "eighty"), ("BRUIN_CUSTOMER_ID", "acme"), ("CHATOPS_POLL_SECONDS", "1")],
)
async def test_a_malformed_setting_is_one_line_naming_it(
    spawn: Spawn,
    slack: FakeSlack,
    sandbox: RunningSandbox,
    tmp_path: Path,
    name: str,
    value: str,
) -> None:
    code, lines = await run_check(spawn, bot_env(slack, sandbox, tmp_path, **{name: value}))
    assert code != 0
    assert len(lines) == 1, lines
    assert name in lines[0]
