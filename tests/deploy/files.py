"""Readers for the deployment files, as their tools read them (no Docker here).

- :func:`dockerfile`: the Dockerfile's instructions, continuation lines joined, per stage;
- :class:`DockerIgnore`: whether a path of the build context is sent to the builder
  (Docker's rules: patterns in order, the last match wins, ``!`` re-includes, a pattern
  matching a directory covers everything under it);
- :func:`compose`: compose.yaml with ``${VAR:-default}`` interpolated as Compose does
  (from a given environment, else the default).
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Instruction:
    stage: int  # index of the FROM it belongs to (-1: before the first FROM)
    keyword: str  # upper case
    args: str  # the rest of the (joined) line

    def exec_form(self) -> list[str] | None:
        """The JSON array form (``["a", "b"]``), else None."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        value = json.loads(text)
        assert isinstance(value, list)
        return [str(v) for v in value]

    def words(self) -> list[str]:
        form = self.exec_form()
        return form if form is not None else shlex.split(self.args)


def dockerfile(path: Path = REPO / "Dockerfile") -> list[Instruction]:
    lines: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continuation are dropped, as Docker does
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continuation"
    found: list[Instruction] = []
    stage = -1
    for line in lines:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        found.append(Instruction(stage, keyword, args.strip()))
    return found


class DockerIgnore:
    def __init__(self, path: Path = REPO / ".dockerignore") -> None:
        self.rules: list[tuple[bool, str]] = []
        for raw in path.read_text().splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = line.removeprefix("!").strip().strip("/")
            self.rules.append((negate, pattern))

    def sent(self, relative: str) -> bool:
        """Whether ``relative`` (a path in the build context) reaches the builder."""
        parts = PurePosixPath(relative).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        excluded = False
        for negate, pattern in self.rules:
            if any(_match(pattern, prefix) for prefix in prefixes):
                excluded = not negate
        return not excluded


def _match(pattern: str, path: str) -> bool:
    if pattern.startswith("**/"):
        rest = pattern[3:]
        parts = path.split("/")
        return any(fnmatch.fnmatchcase("/".join(parts[i:]), rest) for i in range(len(parts)))
    # Go's filepath.Match: "*" does not cross "/"
    regex = fnmatch.translate(pattern).replace(".*", "[^/]*")
    return re.fullmatch(regex, path) is not None


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _VAR.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    return value


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    raw = yaml.safe_load((REPO / "compose.yaml").read_text())
    assert isinstance(raw, dict)
    return dict(interpolate(raw, env or {}))


def services_in(spec: dict[str, Any], *profiles: str) -> dict[str, dict[str, Any]]:
    """The services ``docker compose --profile P … up`` starts."""
    return {
        name: service
        for name, service in spec["services"].items()
        if not service.get("profiles") or set(service["profiles"]) & set(profiles)
    }


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def seconds(duration: str) -> float:
    """A Compose duration (``30s``, ``1m30s``) in seconds."""
    total = 0.0
    for number, unit in re.findall(r"([0-9.]+)(ms|us|h|m|s)", duration):
        total += float(number) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6}[unit]
    return total


def image_path(container_path: str) -> Path:
    """The file of this checkout that the Dockerfile copies to ``container_path``."""
    for ins in dockerfile():
        if ins.keyword != "COPY" or ins.args.startswith("--from"):
            continue
        *sources, target = ins.words()
        if target == container_path and len(sources) == 1:
            return REPO / sources[0]
    raise AssertionError(f"no COPY puts a file at {container_path}")
