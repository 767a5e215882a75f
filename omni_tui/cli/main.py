"""Argument parsing and the error boundary: one line on stderr, a meaningful exit code.

Exit codes: 0 ok · 1 error (config, store, delivery) · 2 usage · 3 not found ·
4 refused (valid request not allowed now, e.g. texting an opted-out number) ·
130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from omni_tui import __version__
from omni_tui.errors import EXIT_USAGE, OmniError

CHANNELS = ("email", "sms", "chat", "phone", "in-person")
STATUSES = ("open", "pending", "snoozed", "resolved")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"omni-tui: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help="store file (env OMNI_DB)")
    common.add_argument("--config", default=argparse.SUPPRESS, help="config file (env OMNI_CONFIG)")
    return common


def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON for scripts")


def _body(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--body", required=required, help="text, or - to read standard input")


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number < 2**63:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return number


def _seconds(value: str) -> float:
    """A wait between pulls: 0, a negative or "nan" would hammer a provider or never pull."""
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 1.0 <= number <= 86400.0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds from 1 to 86400")
    return number


def _host_port(value: str) -> str:
    from omni_tui.config.parse import is_host_port

    if not is_host_port(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT (e.g. 127.0.0.1:8080)")
    return value


def _limit(p: argparse.ArgumentParser, default: int) -> None:
    p.add_argument(
        "--limit",
        type=_positive,
        default=default,
        metavar="N",
        help=f"at most N (default {default}; a note on stderr says when more are left out)",
    )


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(
        prog="omni-tui",
        description="One terminal inbox for email, SMS and chat.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"omni-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def cmd(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, parents=[common])

    p = cmd("demo", "create a demo store in a new --db FILE and open the console")
    p.add_argument("--no-tui", action="store_true", help="only seed the store")
    p.add_argument("--now", help="anchor time of the demo data (ISO-8601); default: this hour")

    p = cmd("list", "list conversations")
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--channel", choices=CHANNELS)
    who = p.add_mutually_exclusive_group()
    who.add_argument("--assignee", metavar="AGENT")
    who.add_argument("--mine", action="store_true", help="assigned to me ([agent] name)")
    who.add_argument("--unassigned", action="store_true")
    p.add_argument("--tag")
    p.add_argument("--sort", choices=("last_activity", "waiting"), default="last_activity")
    _limit(p, 50)
    _json(p)

    p = cmd("show", "show a conversation and its messages")
    p.add_argument("conversation", metavar="CONV")
    _json(p)

    p = cmd("customer", "list, show, tag, note, add to, merge and split customers")
    csub = p.add_subparsers(dest="customer_command", metavar="ACTION", parser_class=_Parser)
    csub.required = True
    c = csub.add_parser("list", help="list customers", parents=[common])
    c.add_argument("--query", "-q", help="match name or address")
    _limit(c, 100)
    _json(c)
    c = csub.add_parser("show", help="identities and whole cross-channel history", parents=[common])
    c.add_argument("customer", metavar="ID")
    _json(c)
    c = csub.add_parser("merge", help="merge customer OTHER into KEEP", parents=[common])
    c.add_argument("keep", metavar="KEEP")
    c.add_argument("other", metavar="OTHER")
    _json(c)
    c = csub.add_parser("split", help="move one identity out into a new customer", parents=[common])
    c.add_argument("customer", metavar="ID")
    c.add_argument("--identity", required=True, metavar="ADDR")
    _json(c)
    c = csub.add_parser("add", help="add an email address or phone number to the customer",
                        parents=[common])  # fmt: skip
    c.add_argument("customer", metavar="ID")
    c.add_argument("address", metavar="ADDRESS")
    c.add_argument("--channel", choices=("email", "sms"), help="default: email if it has an @")
    _json(c)
    c = csub.add_parser("tag", help="tag the customer (not one case)", parents=[common])
    c.add_argument("customer", metavar="ID")
    c.add_argument("tags", nargs="+", metavar="TAG")
    c.add_argument("--remove", action="store_true")
    _json(c)
    c = csub.add_parser("note", help="set the note every agent sees beside the customer's cases",
                        parents=[common])  # fmt: skip
    c.add_argument("customer", metavar="ID")
    c.add_argument("--body", required=True, help='the note; "-" reads stdin, "" clears it')
    _json(c)
    c = csub.add_parser("suggestions", help="pending merge suggestions", parents=[common])
    _json(c)
    for verb in ("accept", "dismiss"):
        c = csub.add_parser(verb, help=f"{verb} a merge suggestion", parents=[common])
        c.add_argument("suggestion", metavar="SUGGESTION")
        _json(c)

    p = cmd("search", "full-text search across every channel")
    p.add_argument("query", nargs="+")
    _limit(p, 50)
    _json(p)

    p = cmd("reply", "queue a reply in the outbox")
    p.add_argument("conversation", metavar="CONV")
    p.add_argument("--channel", choices=("email", "sms", "chat"))
    p.add_argument("--to", metavar="ADDR")
    p.add_argument(
        "--attach",
        metavar="FILE",
        action="append",
        default=[],
        type=Path,
        help="attach a file (email only; repeat for more; 18 MB in all)",
    )
    copies = p.add_mutually_exclusive_group()
    copies.add_argument(
        "--cc",
        metavar="ADDR",
        action="append",
        help="copy the email to ADDR (repeat for more) instead of to everyone else"
        " the customer's last email went to",
    )
    copies.add_argument(
        "--no-cc", action="store_true", help="copy nobody: the email goes to the customer only"
    )
    _body(p)
    _json(p)

    p = cmd("note", "add a private note")
    p.add_argument("conversation", metavar="CONV")
    _body(p)
    _json(p)

    p = cmd("claim", "take an unassigned conversation (refused if someone has it)")
    p.add_argument("conversation", metavar="CONV")
    _json(p)

    p = cmd("agents", "agents seen by a console: online, away or offline, and what they write")
    _json(p)

    p = cmd("assign", "assign a conversation to an agent")
    p.add_argument("conversation", metavar="CONV")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("agent", nargs="?", metavar="AGENT")
    target.add_argument("--me", action="store_true")
    target.add_argument("--nobody", action="store_true", help="unassign")
    p.add_argument("--team")
    p.add_argument(
        "--new-agent", action="store_true", help="AGENT is a new colleague, not a misspelling"
    )
    _json(p)

    for name, help in (("resolve", "resolve a conversation"), ("reopen", "reopen a conversation")):
        p = cmd(name, help)
        p.add_argument("conversation", metavar="CONV")
        _json(p)

    p = cmd("status", "set a conversation's status")
    p.add_argument("conversation", metavar="CONV")
    p.add_argument("status", choices=("open", "pending", "resolved"))
    _json(p)

    p = cmd("snooze", "hide a conversation until a time")
    p.add_argument("conversation", metavar="CONV")
    p.add_argument("--until", required=True, metavar="WHEN", help="30m, 2h, 3d, tomorrow, ISO")
    _json(p)

    p = cmd("tag", "tag a conversation")
    p.add_argument("conversation", metavar="CONV")
    p.add_argument("tags", nargs="+", metavar="TAG")
    p.add_argument("--remove", action="store_true")
    _json(p)

    p = cmd("log-call", "log a phone call or visit as a message")
    p.add_argument("customer", metavar="CUSTOMER")
    p.add_argument("--channel", choices=("phone", "in-person"), default="phone")
    p.add_argument("--direction", choices=("in", "out"), default="in")
    p.add_argument("--conversation", metavar="CONV")
    _body(p)
    _json(p)

    p = cmd("outbox", "replies waiting or failed: list, retry, edit or cancel them")
    osub = p.add_subparsers(dest="outbox_command", required=True)
    o = osub.add_parser("list", help="queued, sending and failed replies", parents=[common])
    o.add_argument("--limit", type=_positive, metavar="N", help="at most N (default: all)")
    _json(o)
    for verb, text in (("retry", "send a failed reply again"), ("cancel", "do not send it")):
        o = osub.add_parser(verb, help=text, parents=[common])
        o.add_argument("message", metavar="MSG", help="the reply's message id")
        _json(o)
    o = osub.add_parser("edit", help="change a reply that has not gone out", parents=[common])
    o.add_argument("message", metavar="MSG")
    _body(o)
    _json(o)

    p = cmd("sync", "pull every account and deliver the outbox")
    p.add_argument("--once", action="store_true", help="one pass, then exit")
    p.add_argument(
        "--poll",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="daemon: longest wait between pulls (IMAP IDLE pushes sooner)",
    )
    p.add_argument("--account", metavar="NAME", help="only this account")
    _json(p)

    p = cmd("relay", "serve the webhook relay and web chat widget ([relay] in the config)")
    p.add_argument("--listen", type=_host_port, metavar="HOST:PORT", help="override [relay] listen")

    p = cmd("stats", "reports: volume, response and resolution times, backlog, channel switches")
    p.add_argument("--since", metavar="DATE", help="first day, YYYY-MM-DD (default: 30 days ago)")
    p.add_argument("--until", metavar="DATE", help="last day, YYYY-MM-DD (default: today, UTC)")
    p.add_argument("--channel", choices=CHANNELS, help="cases that arrived on it")
    p.add_argument("--team", help="the case's team, or its assignee's")
    p.add_argument("--agent", metavar="AGENT", help="the case's assignee")
    p.add_argument("--by", choices=("channel", "agent", "team", "day"), default="channel")
    p.add_argument("--business-hours", action="store_true", help="count in business hours")
    p.add_argument("--now", metavar="WHEN", help="reference time (ISO-8601); default: now")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON for scripts")
    fmt.add_argument("--csv", action="store_true", help="print the --by table as CSV")

    p = cmd("export", "write the whole store as JSON lines")
    p.add_argument("--format", choices=("jsonl",), default="jsonl")
    p.add_argument("--output", "-o", help="file (default: standard output)")

    p = cmd("import", "load an export into a new store")
    p.add_argument("file", metavar="FILE", help="export file, or - for standard input")
    p.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="import an export without its end record, or not holding what it counts",
    )
    _json(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from omni_tui.cli.output import error

    if args.command is None:
        args.command = "console"
    if undecodable := _undecodable(args):
        error(f"{undecodable}: not valid text in this terminal's encoding — type it as UTF-8")
        return EXIT_USAGE
    closed = sys.stdout is None  # ">&-": the command runs, and says nothing could be shown
    if closed:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the rest of the process)
    try:
        if getattr(args, "body", None) == "-":  # read here, where ctrl+c stops it
            from omni_tui.cli.context import stdin_body

            args.body = stdin_body()
        code = asyncio.run(_dispatch(args))
        if closed:
            error("standard output is closed: nothing was shown — redirect it to /dev/null")
            return 1
        sys.stdout.flush()  # a full disk is this command's error, not one at exit
        return code
    except OmniError as exc:
        error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader stopped early (``| head``): not our failure
        _silence_stdout()
        return 0
    except OSError as exc:  # standard output on a full disk, a file gone mid-write
        _silence_stdout()
        where = exc.filename or "standard output"
        error(f"{where}: cannot write ({exc.strerror or exc}) — free some space or write elsewhere")
        return 1
    except Exception as exc:  # the store itself, damaged in a way nothing above names
        if not type(exc).__module__.startswith(("sqlite3", "sqlalchemy")):
            raise
        from omni_tui.store import sqlite

        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:200]
        error(
            f"the store could not be read ({reason}) — check it with"
            f" {sqlite.CHECK_COMMAND} and restore a backup if it is damaged"
        )
        return 1


def _undecodable(args: argparse.Namespace) -> str | None:
    """The flag whose value holds bytes that are not text (a Latin-1 terminal): stored
    as they are, they would fail in the store or turn up as garbage in a customer's view."""
    for name, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str) and any("\udc80" <= c <= "\udcff" for c in item):
                return f"argument {name.replace('_', '-')}"
    return None


def _silence_stdout() -> None:
    """What is left in stdout's buffer goes nowhere, not into an error at exit."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (tests): nothing to flush
        pass


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "console":  # the agent waits: no other command is loaded first
        from omni_tui.tui.heap import hold_collector

        hold_collector()  # until the first page is painted
        from omni_tui.cli.console import open_console
        from omni_tui.cli.context import Context
        from omni_tui.config import load_config

        return await open_console(Context(args, load_config(getattr(args, "config", None))))
    from omni_tui.cli import commands

    return await commands.dispatch(args)


if __name__ == "__main__":
    sys.exit(main())
