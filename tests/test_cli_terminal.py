"""What people see: untrusted text reaches the terminal without its control sequences,
and a reader that stops early (``omni-tui list | head``) is no failure."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import MARIA, Cli

HOSTILE = "Evil\x1b]0;HACKED\x07\x1b[2J Name"


def _poisoned(record: dict) -> dict:
    """Every field a person reads, in a record an import could carry."""
    fields = {
        "customer": "name",
        "link_suggestion": "reason",
        "outbox": "to_address",
    }
    if record["type"] in fields:
        record[fields[record["type"]]] = HOSTILE
    if record["type"] == "message" and record["direction"] == "out":
        record["status"], record["status_reason"] = "failed", HOSTILE  # an SMSC's words
    return record


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, template: Path) -> Cli:
    """A store imported from an export whose names and reasons carry escape sequences
    (built once: the tests only read it)."""
    cli = Cli.with_store(tmp_path_factory.mktemp("hostile"), template)
    assert cli("reply", str(MARIA), "--body", "We are on it").code == 0
    records = [_poisoned(json.loads(line)) for line in cli("export").out.splitlines()]
    exported = "\n".join(json.dumps(r) for r in records)
    (cli.root / "hostile.jsonl").write_text(exported + "\n", encoding="utf-8")
    imported = Cli(cli.root, cli.root / "imported" / "omni.db")
    assert imported("import", "hostile.jsonl").code == 0
    return imported


@pytest.mark.parametrize(
    "args",
    [
        ["customer", "show", str(MARIA)],
        ["customer", "list"],
        ["customer", "suggestions"],
        ["show", str(MARIA)],
        ["outbox", "list"],
        ["list"],
    ],
)
def test_a_hostile_name_or_reason_reaches_the_terminal_without_escape_sequences(
    hostile: Cli, args: list[str]
) -> None:
    shown = hostile(*args)
    assert shown.code == 0, shown.err
    assert "\x1b" not in shown.out and "\x07" not in shown.out
    assert "Evil" in shown.out or args[0] == "list"


def test_an_agent_with_a_hostile_name_is_listed_without_escape_sequences(cli: Cli) -> None:
    beat = (
        "import asyncio, sys\n"
        "from omni_tui import presence\n"
        "from omni_tui.store import Store\n"
        "async def main():\n"
        "    async with await Store.open(sys.argv[1]) as store:\n"
        "        await presence.heartbeat(store, sys.argv[2])\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", beat, str(cli.db), HOSTILE], check=True, timeout=60)
    shown = cli("agents")
    assert shown.code == 0, shown.err
    assert "\x1b" not in shown.out and "\x07" not in shown.out and "Evil" in shown.out


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["list", "--json"],
        ["show", str(MARIA)],
        ["customer", "show", str(MARIA)],
        ["customer", "list"],
        ["search", "kettle"],
    ],
)
def test_output_to_a_reader_that_stopped_early_exits_0_quietly(cli: Cli, args: list[str]) -> None:
    """As ``omni-tui list | head -0``: the pipe is closed before the first line."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "omni_tui", *args, "--db", str(cli.db)],
            stdout=write_end, stderr=subprocess.PIPE, text=True, env=cli.env, timeout=60,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, "")


def at_terminal(cli: Cli, *args: str, columns: int = 80) -> str:
    """What ``omni-tui ARGS`` shows on a terminal ``columns`` wide (a pty, as over SSH)."""
    main, side = pty.openpty()
    env = {**cli.env, "COLUMNS": str(columns), "LINES": "24", "TERM": "xterm", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "omni_tui", *args, "--db", str(cli.db)],
        stdout=side, stderr=subprocess.PIPE, env=env, cwd=cli.root, timeout=60, check=False,
    )  # fmt: skip
    os.close(side)
    chunks = []
    with contextlib.suppress(OSError):  # EIO once everything written is read
        while chunk := os.read(main, 65536):
            chunks.append(chunk)
    os.close(main)
    assert done.returncode == 0, done.stderr
    return re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode())  # bold headers


def test_on_an_80_column_terminal_every_column_of_a_listing_shows(cli: Cli) -> None:
    """A long subject pushed ID, ASSIGNEE and LAST off the screen: a script-minded agent
    read cases without their ids."""
    assert cli("reply", str(MARIA), "--body", "x").code == 0
    cli("note", str(MARIA), "--body", "the whole story " * 20)
    shown = at_terminal(cli, "list")
    header, *rows = shown.splitlines()
    assert header.split() == [
        "ID", "STATUS", "CHANNELS", "CUSTOMER", "SUBJECT", "ASSIGNEE", "WAITING", "LAST",
    ]  # fmt: skip
    assert max(len(line) for line in shown.splitlines()) <= 80
    assert sorted(int(row.split()[0]) for row in rows) == [1, 2, 3, 4]
