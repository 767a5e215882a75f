"""What a script piping omni-tui's output, or feeding it, relies on."""

from __future__ import annotations

import contextlib
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from omni_tui import actions
from omni_tui.cli.main import main
from omni_tui.errors import StoreError
from omni_tui.store import Store
from tests.cli_helpers import BOB, MARIA, Cli, assert_one_line_error, snapshot


def test_an_export_piped_into_head_ends_quietly(cli: Cli) -> None:
    done = subprocess.run(
        f"{sys.executable} -m omni_tui export --db {cli.db} | head -1",
        shell=True, capture_output=True, text=True, env=cli.env, timeout=60, check=False,
    )  # fmt: skip
    assert done.stdout.count("\n") == 1 and done.stderr == ""


def test_a_body_on_stdin_that_is_not_utf8_is_refused_not_garbled(cli: Cli) -> None:
    before = snapshot(cli.root)
    done = subprocess.run(
        [sys.executable, "-m", "omni_tui", "note", str(MARIA), "--body", "-", "--db", str(cli.db)],
        input=b"caf\xe9 ok", capture_output=True, env=cli.env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and b"not UTF-8" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert snapshot(cli.root) == before
    assert cli.json("note", str(MARIA), "--body", "-", input="café ok")["message_id"]


def test_names_typed_another_way_find_the_agents_cases_and_reports(cli: Cli) -> None:
    assert cli("assign", str(BOB), "Ben").code == 0
    assert [r["id"] for r in cli.json("list", "--assignee", "ben")] == [BOB]
    report = cli.json("stats", "--agent", "BEN", "--since", "2000-01-01")
    assert report["cases"] == 1 and report["filters"]["agent"] == "Ben"


def test_a_customer_search_takes_underscores_and_percents_as_typed(cli: Cli) -> None:
    assert cli.json("customer", "list", "-q", "_") == []
    assert cli.json("customer", "list", "-q", "%") == []
    assert [c["name"] for c in cli.json("customer", "list", "-q", "maria")] == ["Maria Lopez"]


def test_a_cut_outbox_listing_says_so_with_json_too(cli: Cli) -> None:
    for body in ("one", "two"):
        assert cli("reply", str(BOB), "--body", body).code == 0
    cut = cli("outbox", "list", "--json", "--limit", "1")
    assert cut.code == 0 and "--limit" in cut.err


def test_the_daemon_refuses_an_account_it_would_not_keep_to(cli: Cli) -> None:
    line = assert_one_line_error(cli("sync", "--account", "mail"), 2)
    assert "--once" in line


def test_a_case_names_its_customers_address_in_every_command_as_in_the_list(cli: Cli) -> None:
    listed = {r["id"]: r["customer_address"] for r in cli.json("list")}
    assert listed[MARIA]
    assert cli.json("show", str(MARIA))["customer_address"] == listed[MARIA]
    assert cli.json("resolve", str(MARIA))["customer_address"] == listed[MARIA]


def test_an_address_with_escape_sequences_never_reaches_the_terminal(cli: Cli) -> None:
    with sqlite3.connect(cli.db) as db:  # as another writer, or a crafted import, left it
        db.execute(
            "UPDATE identity SET address = ? WHERE channel = 'email' AND customer_id = ?",
            ("bob@example.com\x1b]0;PWNED\x07\x1b[2J", BOB),
        )
        db.execute("INSERT INTO conversation_tag VALUES (?, ?)", (BOB, "vip\x1b[31m"))
    done = cli("reply", str(BOB), "--body", "hi", "--to", "bob@example.com\x1b]0;PWNED\x07\x1b[2J")
    tagged = cli("tag", str(BOB), "other")
    assert "\x1b" not in done.out + done.err + tagged.out + tagged.err
    assert tagged.code == 0


def test_a_listing_answers_while_another_writer_holds_the_store(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Waking due snoozes writes; a long sync batch holding the store made `list` fail
    after 10 s with "nothing was saved"."""

    async def busy(*_: object, **__: object) -> int:
        raise StoreError(f"{cli.db}: the store stayed busy for 10 s, nothing was saved")

    monkeypatch.setattr(actions, "wake_snoozed", busy)
    monkeypatch.setenv("HOME", str(cli.root / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(cli.root / "xdg_config_home"))
    assert main(["list", "--db", str(cli.db), "--json"]) == 0
    assert f'"id": {MARIA}' in capsys.readouterr().out


def test_an_export_of_a_store_restored_without_its_attachments_says_what_it_lacks(
    cli: Cli,
) -> None:
    """The README's .backup copies the database only: the export of a store restored
    from it counted the attachments as if their files were in it."""
    import json
    import shutil

    shutil.rmtree(cli.db.parent / "attachments")
    done = cli("export", "-o", cli.root / "backup.jsonl")
    assert done.code == 0 and "1 attachments file" in done.err and "rows only" in done.err
    end = json.loads((cli.root / "backup.jsonl").read_text().splitlines()[-1])
    assert end["missing"] == {"attachments": 1}
    whole = cli("import", cli.root / "backup.jsonl", "--db", cli.root / "restored.db")
    assert whole.code == 0, whole.err


def test_a_row_that_is_not_utf8_is_one_line_not_a_traceback(cli: Cli) -> None:
    with sqlite3.connect(cli.db) as db:  # written by some other tool
        db.execute(
            "UPDATE conversation SET subject = CAST(x'57696c6cff' AS TEXT) WHERE id = ?", (MARIA,)
        )
    line = assert_one_line_error(cli("show", str(MARIA)), 1)
    assert "could not be read" in line and "integrity_check" in line


def test_a_demo_that_fails_half_way_leaves_no_half_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk left a half-built demo store, and the next try was refused as existing."""
    import omni_tui.demo as demo

    async def full_disk(store: Store, **kw: object) -> object:
        await actions.ensure_agent(store, "Ana")  # some of the demo is written, then:
        raise StoreError(f"{tmp_path}: the disk is full, nothing was saved — free some space")

    monkeypatch.setattr(demo, "seed_demo", full_disk)
    db = tmp_path / "demo.db"
    assert main(["demo", "--no-tui", "--db", str(db), "--config", "/dev/null"]) == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "attachments") == []


async def test_a_customer_tagged_from_the_command_line_is_routed_by_the_tag(
    cli: Cli, tmp_path: Path
) -> None:
    """Customer tags and notes could not be set anywhere: `customer_tags` rules never matched."""
    from adapters.base import InboundMessage
    from omni_tui.config import parse_config
    from omni_tui.ingest import IngestOptions, ingest

    tagged = cli("customer", "tag", str(MARIA), "Wholesale", "#VIP", "--json")
    assert tagged.code == 0 and tagged.json()["tags"] == ["vip", "wholesale"]
    note = cli.json("customer", "note", str(MARIA), "--body", "-", input="Owns two cafés\n")
    assert note["note"] == "Owns two cafés"
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nname = "trade"\ncustomer_tags = ["wholesale"]\ntags = ["trade"]\n')
    options = IngestOptions.from_config(parse_config(f'[routing]\nrules_file = "{rules}"\n'))
    order = InboundMessage(
        "email", "mail", "E77", "maria@example.com", "Twelve more bags, please",
        subject="Cafe order", message_id="<e77@example.com>",
    )  # fmt: skip
    async with await Store.open(cli.db) as store:
        [case] = (await ingest(store, [order], options=options)).conversation_ids
    assert "trade" in cli.json("show", str(case))["tags"]
    assert cli.json("customer", "tag", str(MARIA), "wholesale", "--remove")["tags"] == ["vip"]
    assert cli.json("customer", "note", str(MARIA), "--body", "")["note"] == ""
    assert cli("customer", "tag", "999", "x").code == 3


def test_a_closed_standard_output_is_one_line_and_the_command_still_runs(cli: Cli) -> None:
    """`omni-tui list >&-` was a traceback."""
    for args in (["list"], ["list", "--json"], ["note", str(BOB), "--body", "called back"]):
        command = shlex.join([sys.executable, "-m", "omni_tui", *args])
        done = subprocess.run(
            ["bash", "-c", f"{command} --db {shlex.quote(str(cli.db))} >&-"],
            capture_output=True, text=True, env=cli.env, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert done.stderr.strip() == (
            "omni-tui: standard output is closed: nothing was shown — redirect it to /dev/null"
        )
    assert cli.json("show", str(BOB))["messages"][-1]["text"] == "called back"


def reading_stdin(pid: int, seconds: float = 30) -> None:
    """Until ``pid`` waits in read(0, …): a loaded machine starts Python slowly."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            call = Path(f"/proc/{pid}/syscall").read_text().split()
            if call[:2] == ["0", "0x0"]:  # x86-64 read, on standard input
                return
        time.sleep(0.05)
    time.sleep(2)  # no /proc/PID/syscall here: give it time


def test_ctrl_c_while_a_body_is_read_from_stdin_stops_at_once(cli: Cli) -> None:
    """The first ctrl+c was swallowed while `--body -` waited for its input."""
    waiting = subprocess.Popen(
        [sys.executable, "-m", "omni_tui", "note", str(BOB), "--body", "-", "--db", str(cli.db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli.env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as at a terminal
    )  # fmt: skip
    try:
        reading_stdin(waiting.pid)
        waiting.send_signal(signal.SIGINT)
        assert waiting.wait(timeout=10) == 130
    finally:
        waiting.kill()
        waiting.communicate()
