"""Read a cProfile dump of the bot (``python -m bench.run --rate R --profile``) as text: the
CPU by package, and the top functions by own time and by cumulative time, per command.

The dump's clock is the event-loop thread's CPU time (bench/variants.py ``cprofile``). A
coroutine's "calls" count its resumptions, and its cumulative time is the CPU of all its
steps and what they called."""

from __future__ import annotations

import pstats
import sys
from pathlib import Path

__all__ = ["package_of", "summarise_profile"]

_PACKAGES = (
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "aiohttp",
    "yarl",
    "multidict",
    "slack_bolt",
    "slack_sdk",
    "pydantic",
    "pydantic_core",
    "structlog",
    "prometheus_client",
    "stamina",
    "asyncio",
    "json",
    "handlers",
    "bot",
)


def package_of(filename: str) -> str:
    """``.../site-packages/aiohttp/web_protocol.py`` -> ``aiohttp``; the bot's own code
    -> ``bot/<part>``; built-ins (``~``) -> ``(built-in)``."""
    if filename == "~" or filename.startswith("<"):
        return "(built-in)"
    parts = Path(filename).parts
    for i in range(len(parts) - 1, -1, -1):
        name = parts[i]
        if name in _PACKAGES:
            if name == "bot" and i + 1 < len(parts) - 1:
                return f"bot/{parts[i + 1]}"
            if name == "asyncio" and "site-packages" in parts:
                continue
            return name
    return "(other stdlib)" if "site-packages" not in parts else parts[-2]


def summarise_profile(path: Path, *, head: str, commands: int, top: int = 25) -> str:
    stats = pstats.Stats(str(path))
    raw = stats.stats  # type: ignore[attr-defined]
    per = 1000.0 / max(1, commands)
    total = sum(tt for (_, _, tt, _, _) in raw.values())
    by_package: dict[str, float] = {}
    rows: list[tuple[float, float, int, str]] = []
    for (filename, line, name), (_, calls, tt, ct, _) in raw.items():
        pkg = package_of(filename)
        by_package[pkg] = by_package.get(pkg, 0.0) + tt
        where = f"{pkg}:{Path(filename).name}:{line}({name})" if line else f"{pkg}:{name}"
        rows.append((tt, ct, calls, where))
    lines = [head, "", f"event-loop thread CPU: {total:.2f} s, {total * per:.2f} ms/command"]
    lines += ["", "own time by package (ms per command, share):"]
    for pkg, tt in sorted(by_package.items(), key=lambda kv: -kv[1])[:20]:
        lines.append(f"  {tt * per:7.3f}  {tt / total:6.1%}  {pkg}")
    lines += ["", f"top {top} functions by own time (ms per command, calls per command):"]
    for tt, _, calls, where in sorted(rows, key=lambda r: -r[0])[:top]:
        lines.append(f"  {tt * per:7.3f}  {calls / max(1, commands):7.1f}  {where}")
    lines += ["", f"top {top} of the bot's own functions by cumulative time (ms per command):"]
    own = [r for r in rows if r[3].startswith(("bot/", "handlers:"))]
    for _, ct, calls, where in sorted(own, key=lambda r: -r[1])[:top]:
        lines.append(f"  {ct * per:7.3f}  {calls / max(1, commands):7.1f}  {where}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m bench.profile <file.prof> <commands>", file=sys.stderr)
        return 2
    print(summarise_profile(Path(argv[0]), head=argv[0], commands=int(argv[1])), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
