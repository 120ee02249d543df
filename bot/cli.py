"""The ``chatops-bot`` command line: run | console | sandbox | check | manifest | bric-token."""

from __future__ import annotations

import argparse
import asyncio
import errno
import re
import sys
from collections.abc import Sequence

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.logging import configure_logging

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatops-bot",
        description="Slack app for MetTel Bruin tickets (and Bric), with a local sandbox.",
    )
    parser.add_argument("--version", action="version", version=f"chatops-bot {__version__}")
    sub = parser.add_subparsers(dest="cmd", metavar="COMMAND")

    console = sub.add_parser("console", help="type Slack commands in a terminal")
    console.add_argument(
        "-c", dest="command", metavar="CMD", help='run one command, e.g. "/ticket list"'
    )
    console.add_argument("--json", action="store_true", help="print the Block Kit payload")
    console.add_argument(
        "--reset", action="store_true", help="reseed the embedded sandbox's state first"
    )
    console.add_argument(
        "--channel",
        metavar="C…",
        type=_channel_id,
        help="act in this Slack channel id, so /ticket config, subscribe and watch work "
        "(kept in the bot's store: DATABASE_URL, else SQLite in the data dir)",
    )

    sandbox = sub.add_parser("sandbox", help="serve the fake Bruin backend on loopback")
    sandbox.add_argument("--port", type=int, default=8400)
    sandbox.add_argument("--host", default="127.0.0.1")

    sub.add_parser("run", help="run the Slack app (Socket Mode when SLACK_APP_TOKEN is set)")
    sub.add_parser("check", help="validate config, backend token and Slack auth")
    manifest = sub.add_parser("manifest", help="print the Slack app manifest")
    where = manifest.add_mutually_exclusive_group()
    where.add_argument("--url", help="request URL, e.g. https://example.org/slack/events")
    where.add_argument("--socket", action="store_true", help="for Socket Mode")
    token = sub.add_parser("bric-token", help="manage the Bric service account's tokens")
    token.add_argument("action", choices=["create", "list", "revoke"])
    token.add_argument("id", nargs="?")
    return parser


def _channel_id(value: str) -> str:
    if not re.fullmatch(r"[CGD][A-Z0-9]{2,20}", value):
        raise argparse.ArgumentTypeError(
            f"{value[:30]!r} is not a Slack channel id (C, G or D and capitals or digits, "
            "e.g. C0OPS)"
        )
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.cmd is None:
        _parser().print_help()
        return 0
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"chatops-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        return _dispatch(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Never a traceback for a person; the full one with LOG_LEVEL=DEBUG.
        if settings.log_level == "DEBUG":
            raise
        print(f"chatops-bot {args.cmd}: {failure_sentence(exc, settings)}", file=sys.stderr)
        return 1


_BIND_FIXES = {
    errno.EADDRINUSE: "the address is already in use (another chatops-bot, or another "
    "program?); set PORT to a free port, or stop what holds it",
    errno.EACCES: "this user may not listen on that port; set PORT to 1024 or above",
    errno.EADDRNOTAVAIL: "that is not an address of this machine; set HOST to one of its "
    "addresses, or 0.0.0.0 for all",
}


def failure_sentence(exc: BaseException, settings: Settings) -> str:
    """One line with the cause and the fix, secrets masked (``run``'s start-up failures)."""
    import aiohttp
    from sqlalchemy.exc import SQLAlchemyError

    from bot.check import masked, store_failure

    if isinstance(exc, OSError) and "bind" in str(exc) and exc.errno in _BIND_FIXES:
        where = f"{settings.host}:{settings.port}"
        return f"cannot listen on {where} (HOST:PORT): {_BIND_FIXES[exc.errno]}."
    if isinstance(exc, aiohttp.ClientError):
        reason = masked(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, settings)
        return f"cannot reach Slack ({reason}); check SLACK_API_URL and this host's network."
    if isinstance(exc, OSError) and exc.filename is not None:
        return (
            f"cannot use {exc.filename}: {exc.strerror}; set CHATOPS_DATA_DIR (or "
            "DATABASE_URL) to a place this user can write."
        )
    store = settings.database_url or "sqlite"
    if isinstance(exc, SQLAlchemyError) or (
        isinstance(exc, OSError) and store.startswith("postgres")
    ):
        cause, fix = store_failure(exc, settings)
        return f"the store did not open: {cause}. {fix}"
    detail = str(exc).splitlines()[0] if str(exc) else ""
    detail = masked(f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__, settings)
    return f"unexpected error ({detail[:300]}); run again with LOG_LEVEL=DEBUG for details."


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.cmd == "console":
        configure_logging("ERROR" if settings.log_level != "DEBUG" else "DEBUG", "console")
        from bot.console.app import run_console

        return asyncio.run(
            run_console(
                settings,
                command=args.command,
                as_json=args.json,
                reset=args.reset,
                channel=args.channel,
            )
        )
    configure_logging(settings.log_level, settings.log_format)
    if args.cmd == "sandbox":
        from bot.sandbox.serve import serve_forever

        return asyncio.run(serve_forever(host=args.host, port=args.port))
    if args.cmd == "manifest":
        from bot.slack.manifest import render_manifest

        if not args.url and not args.socket:
            print(
                "chatops-bot manifest: say where Slack sends requests: "
                "--url https://<your host>/slack/events (HTTP mode) or --socket (Socket Mode).",
                file=sys.stderr,
            )
            return 2
        sys.stdout.write(render_manifest(url=args.url, socket=args.socket))
        return 0
    if args.cmd == "check":
        from bot.check import run_check

        return asyncio.run(run_check(settings))
    if args.cmd == "run":
        from bot.runner import run

        return asyncio.run(run(settings))
    if args.cmd == "bric-token":
        from bot.bric_token import run_bric_token

        return asyncio.run(run_bric_token(settings, args.action, args.id))
    print(f"chatops-bot {args.cmd}: not available in this version yet.", file=sys.stderr)
    return 2
