"""compose.yaml: valid against the Compose Specification's schema, the install it promises
(two replicas on two stated ports, PostgreSQL on a named volume, settings from .env, the
`check` init step, a grace period above the bot's shutdown bound), and the demo profile
run for real: its services' commands and environments started as plain processes (the
compose host names mapped to loopback), with no credentials."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from jsonschema import Draft202012Validator

from bot.config import Settings
from bot.runner import SHUTDOWN_SECONDS
from bot.sandbox.server import env_lines
from tests.deploy.conftest import SHUTDOWN_GRACE, Spawn, base_env, free_port, until
from tests.deploy.files import (
    REPO,
    compose,
    dockerfile,
    environment,
    image_path,
    seconds,
    services_in,
)

SCHEMA = json.loads((REPO / "deploy/schemas/compose-spec.json").read_text())
SANDBOX = "http://sandbox:8400"
DEMO_DB = "postgresql://chatops:chatops@postgres:5432/chatops"
DEMO_EXTRA = {"DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"}


@pytest.mark.parametrize("env", [{}, {"POSTGRES_PASSWORD": "s3cret", "CHATOPS_PORT_1": "4001"}])
def test_valid_against_the_compose_specification(env: dict[str, str]) -> None:
    Draft202012Validator.check_schema(SCHEMA)
    errors = sorted(
        Draft202012Validator(SCHEMA).iter_errors(compose(env)), key=lambda e: list(e.path)
    )
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_vendored_schema_is_the_recorded_one() -> None:
    import hashlib

    digest = hashlib.sha256((REPO / "deploy/schemas/compose-spec.json").read_bytes()).hexdigest()
    assert digest in (REPO / "deploy/schemas/README.md").read_text()


def test_live_two_replicas_on_two_ports_after_the_check_with_postgres_on_a_named_volume() -> None:
    spec = compose()
    live = services_in(spec, "live")
    assert set(live) == {"postgres", "check", "bot-1", "bot-2"}
    assert [live[b]["ports"] for b in ("bot-1", "bot-2")] == [["3001:3000"], ["3002:3000"]]
    for name in ("bot-1", "bot-2", "check"):
        service = live[name]
        assert service["env_file"][0]["path"] == ".env"
        assert environment(service)["DATABASE_URL"] == DEMO_DB
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in ("bot-1", "bot-2"):
        depends = live[name]["depends_on"]["check"]
        assert depends == {"condition": "service_completed_successfully"}
        assert "command" not in live[name]  # the image's default: chatops-bot run
    assert live["check"]["command"] == ["check"]
    assert live["check"]["restart"] == "no"
    volume = live["postgres"]["volumes"][0].split(":")[0]
    assert volume in spec["volumes"]
    assert "ports" not in live["postgres"]


def test_every_bot_gets_more_time_to_stop_than_the_bot_takes() -> None:
    for name, service in compose()["services"].items():
        if name == "postgres":
            continue
        assert service["stop_signal"] == "SIGTERM"
        assert seconds(service["stop_grace_period"]) > SHUTDOWN_SECONDS, name
        assert service["read_only"] is True


def test_demo_is_the_sandbox_and_two_replicas_pointed_at_it() -> None:
    spec = compose()
    demo = services_in(spec, "demo")
    assert set(demo) == {"postgres", "sandbox", "demo-bot-1", "demo-bot-2"}
    printed = dict(line.split("=", 1) for line in env_lines(SANDBOX, bric=True))
    for name in ("demo-bot-1", "demo-bot-2"):
        env = environment(demo[name])
        assert {k: env[k] for k in printed} == printed  # what `chatops-bot sandbox` prints
        assert set(env) - set(printed) <= {
            "DATABASE_URL",
            "SLACK_BOT_TOKEN",
            "SLACK_SIGNING_SECRET",
        }
        Settings(**{k.lower(): v for k, v in env.items()})  # a valid configuration
    in_container = ["sandbox", "--host", "0.0.0.0", "--port", "8400"]  # noqa: S104
    assert demo["sandbox"]["command"] == in_container
    console = spec["services"]["console"]
    assert console["command"] == ["console"]
    assert {k: v for k, v in environment(console).items()} == printed


def test_the_env_example_names_only_real_settings_and_holds_no_secret() -> None:
    known = {name.upper() for name in Settings.model_fields}
    compose_vars = {"COMPOSE_PROFILES", "POSTGRES_PASSWORD", "CHATOPS_PORT_1", "CHATOPS_PORT_2"}
    text = (REPO / ".env.example").read_text()
    for line in text.splitlines():
        line = line.lstrip("# ").strip()
        if "=" not in line or " " in line.split("=", 1)[0]:
            continue
        name, value = line.split("=", 1)
        assert name in known | compose_vars, name
        if name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
            assert "your" in value, f"{name} looks real"
        if name.endswith(("SECRET", "PASSWORD")) and name != "POSTGRES_PASSWORD":
            assert value.startswith(("your-", "a-long", "from-")), f"{name} looks real"
    assert "COMPOSE_PROFILES=live" in text


def healthcheck(service: dict[str, object] | None = None) -> list[str]:
    """The health check command of a service (else the image's) as a local argv."""
    test = None
    if service is not None and isinstance(service.get("healthcheck"), dict):
        test = service["healthcheck"]["test"]  # type: ignore[index]
    if test is None:
        (health,) = [i for i in dockerfile() if i.keyword == "HEALTHCHECK"]
        test = ["CMD", *json.loads(health.args.partition(" CMD ")[2])]
    assert test[0] == "CMD"
    python, script, *args = test[1:]
    assert python == "python"
    return [sys.executable, str(image_path(script)), *args]


async def run_check(argv: list[str], env: dict[str, str]) -> int:
    proc = await asyncio.create_subprocess_exec(*argv, env=env)
    return await proc.wait()


async def test_the_demo_profile_runs_with_no_credentials(
    spawn: Spawn, http: aiohttp.ClientSession, pg_url: str, tmp_path: Path
) -> None:
    """`docker compose --profile demo up`, as processes: the sandbox comes up healthy, both
    replicas start from the compose environment alone and serve /healthz (the image's
    health check passes) with /readyz naming Slack as the only missing piece; the console
    service answers a command against the same sandbox."""
    spec = compose()
    sandbox_port = free_port()
    local = {SANDBOX: f"http://127.0.0.1:{sandbox_port}", DEMO_DB: pg_url}

    def localise(env: dict[str, str]) -> dict[str, str]:
        out = {}
        for key, value in env.items():
            for remote, here in local.items():
                value = value.replace(remote, here)
            out[key] = value
        return out

    sandbox_service = spec["services"]["sandbox"]
    args = [a.replace("0.0.0.0", "127.0.0.1") for a in sandbox_service["command"]]  # noqa: S104
    args[args.index("--port") + 1] = str(sandbox_port)
    sandbox = await spawn("sandbox", base_env(PORT=str(sandbox_port)), *args)
    probe = healthcheck(sandbox_service)
    await until(_ok(probe, sandbox_port), 20, "the sandbox's health check passes")

    bots = []
    for name in ("demo-bot-1", "demo-bot-2"):
        env = localise(environment(spec["services"][name]))
        env["SLACK_API_URL"] = f"http://127.0.0.1:{free_port()}/api/"  # no internet here
        env.update(HOST="127.0.0.1", LOG_FORMAT="json", CHATOPS_DATA_DIR=str(tmp_path / name))
        bots.append(await spawn(name, base_env(**env)))
    for bot in bots:
        await until(_ok(healthcheck(), bot.port), 30, f"{bot.name}'s health check passes")
        status = await until_problems(bot, http)
        assert set(status["problems"]) == {"slack"}, (bot.name, status, bot.log()[-2000:])

    console = spec["services"]["console"]
    env = base_env(**localise(environment(console)), CHATOPS_DATA_DIR=str(tmp_path / "console"))
    shell = await spawn("console", env, *console["command"], "-c", "/ticket show 4503")
    assert await shell.wait_exit(60) == 0, shell.log()
    assert "4503" in shell.log()

    for process in (*bots, sandbox):
        process.signal(signal.SIGTERM)
    for process in (*bots, sandbox):
        assert await process.wait_exit(SHUTDOWN_GRACE) == 0, process.log()[-2000:]


def _ok(argv: list[str], port: int):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return await run_check(argv, base_env(PORT=str(port))) == 0

    return check


async def until_problems(bot, http: aiohttp.ClientSession) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """/readyz once warm-up has finished (503 with its problems)."""
    found: dict = {}  # type: ignore[type-arg]

    async def warmed() -> bool:
        answer = await bot.get(http, "/readyz")
        if answer is None or answer[1].get("status") == "warming up":
            return False
        found.update(answer[1], code=answer[0])
        return True

    await until(warmed, 30, f"{bot.name} warmed up")
    assert found["code"] == 503
    return found
