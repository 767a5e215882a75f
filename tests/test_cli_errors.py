"""Bad input to ``omni-tui``: one line on stderr, a meaningful exit code, nothing written."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from omni_tui.store import SCHEMA_VERSION
from tests.cli_helpers import (
    BOB,
    MARIA,
    Cli,
    Result,
    assert_one_line_error,
    snapshot,
)


@pytest.fixture
def bare(tmp_path: Path) -> Cli:
    """A CLI whose ``--db`` names a file that does not exist."""
    return Cli(tmp_path, tmp_path / "missing" / "omni.db")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "nope"], "conversation 'nope' not found"),
        (["show", "999"], "conversation 999 not found"),
        (["customer", "show", "999"], "customer 999 not found"),
        (["customer", "accept", "99"], "suggestion 99 not found"),
        (["tag", "999", "x"], "conversation 999 not found"),
        (["log-call", "999", "--body", "hello"], "customer 999 not found"),
    ],
)
def test_an_unknown_id_exits_3_with_one_line_and_changes_nothing(
    cli: Cli, args: list[str], message: str
) -> None:
    before = snapshot(cli.root)
    for extra in ([], ["--json"]):
        line = assert_one_line_error(cli(*args, *extra), 3)
        assert line == f"omni-tui: {message}"
    assert snapshot(cli.root) == before


@pytest.mark.parametrize(
    "args",
    [
        ["customer", "merge", str(MARIA), str(MARIA)],
        ["customer", "split", str(BOB), "--identity", "bob@example.org"],
        ["note", str(MARIA), "--body", "   "],
        ["reply", str(MARIA), "--body", ""],
    ],
)
def test_a_refused_action_exits_4_with_one_line_and_changes_nothing(
    cli: Cli, args: list[str]
) -> None:
    before = snapshot(cli.root)
    assert_one_line_error(cli(*args, "--json"), 4)
    assert snapshot(cli.root) == before


def test_a_bad_snooze_time_is_one_line_and_leaves_the_status_alone(cli: Cli) -> None:
    before = snapshot(cli.root)
    line = assert_one_line_error(cli("snooze", str(MARIA), "--until", "banana"), 2)
    assert "--until" in line and "banana" in line
    assert snapshot(cli.root) == before
    assert cli.json("show", str(MARIA))["status"] == "open"


@pytest.mark.parametrize("args", [["list"], ["note", str(MARIA), "--body", "hi"], ["export"]])
def test_db_pointing_at_a_text_file_is_refused_and_the_file_is_untouched(
    bare: Cli, args: list[str]
) -> None:
    text = bare.root / "notes.txt"
    text.write_text("my shopping list\n", encoding="utf-8")
    before = snapshot(bare.root)
    line = assert_one_line_error(bare(*args, "--db", text), 1)
    assert "not an omni-tui store" in line
    assert snapshot(bare.root) == before


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["show", "1"],
        ["customer", "list"],
        ["search", "kettle"],
        ["note", "1", "--body", "hi"],
        ["export", "-o", "out.jsonl"],
    ],
)
def test_db_pointing_at_a_missing_file_creates_nothing(bare: Cli, args: list[str]) -> None:
    before = snapshot(bare.root)
    assert "no store here" in assert_one_line_error(bare(*args), 1)
    assert snapshot(bare.root) == before
    assert sorted(p.name for p in bare.root.iterdir()) == [
        "home",
        "xdg_config_home",
        "xdg_data_home",
    ]


def _from_the_future(cli: Cli) -> None:
    conn = sqlite3.connect(cli.db)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()


def test_an_older_store_is_upgraded_in_place_and_says_so_once(cli: Cli) -> None:
    conn = sqlite3.connect(cli.db)
    conn.execute("ALTER TABLE draft DROP COLUMN files")  # as v10 left it
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    conn.commit()
    conn.close()
    first = cli("search", "kettle", "--json")
    subjects = {hit["subject"] for hit in first.json()}  # found: the index was rebuilt
    assert {"Broken kettle", "Re: Broken kettle"} <= subjects
    assert first.err.startswith("omni-tui: upgrading the store")
    assert f"from schema v{SCHEMA_VERSION - 1} to v{SCHEMA_VERSION}" in first.err
    again = cli("search", "kettle", "--json")
    assert again.json() == first.json() and again.err == ""


def test_a_store_from_a_newer_version_is_refused_and_untouched(cli: Cli) -> None:
    _from_the_future(cli)
    before = snapshot(cli.root)[str(cli.db.relative_to(cli.root))]
    for args in (["list"], ["reply", str(MARIA), "--body", "hi"]):
        line = assert_one_line_error(cli(*args), 1)
        assert "v99" in line and "upgrade omni-tui" in line
    assert snapshot(cli.root)[str(cli.db.relative_to(cli.root))] == before


def test_refusing_a_store_from_a_newer_version_creates_no_files(cli: Cli) -> None:
    _from_the_future(cli)
    before = snapshot(cli.root)
    assert_one_line_error(cli("list"), 1)
    assert snapshot(cli.root) == before


def test_an_sqlite_file_that_is_not_a_store_is_refused_and_untouched(bare: Cli) -> None:
    other = bare.root / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    before = snapshot(bare.root)
    assert "not an omni-tui store" in assert_one_line_error(bare("list", "--db", other), 1)
    assert snapshot(bare.root) == before


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[agent\nname = 'Ana'\n", "invalid TOML"),
        ('[[accounts]]\nname = "fax"\nchannel = "fax"\n', "unknown channel 'fax'"),
        ("[agnet]\nname = 'Ana'\n", "did you mean 'agent'?"),
    ],
)
def test_a_bad_config_file_is_one_line_naming_the_problem(
    cli: Cli, config: str, message: str
) -> None:
    path = cli.config(config)
    before = snapshot(cli.root)
    for args in (["list"], ["assign", str(MARIA), "--me"]):
        line = assert_one_line_error(cli(*args, "--config", path), 1)
        assert str(path) in line and message in line
    assert snapshot(cli.root) == before


def test_a_missing_config_file_is_an_error_not_the_defaults(cli: Cli) -> None:
    before = snapshot(cli.root)
    line = assert_one_line_error(cli("list", "--config", cli.root / "nope.toml"), 1)
    assert "config file not found" in line
    assert snapshot(cli.root) == before


def test_the_users_own_config_is_not_read_but_xdg_config_home_is(cli: Cli) -> None:
    assert cli.json("assign", str(MARIA), "--me")["assignee"] == "tester"
    own = cli.root / "xdg_config_home" / "omni-tui" / "config.toml"
    own.parent.mkdir(parents=True)
    own.write_text('[agent]\nname = "Xena"\n', encoding="utf-8")
    assert cli.json("assign", str(MARIA), "--me")["assignee"] == "Xena"


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["list", "--bogus"],
        ["list", "--status", "closed"],
        ["list", "--mine", "--unassigned"],
        ["customer"],
        ["reply", "1"],
        ["snooze", "1"],
        ["export", "--format", "csv"],
        ["list", "--limit", "0"],
        ["search", "tea", "--limit", "-1"],
        ["customer", "list", "--limit", "99999999999999999999"],
        ["sync", "--poll", "0"],
        ["sync", "--poll", "nan"],
        ["relay", "--listen", "garbage"],
        ["relay", "--listen", "127.0.0.1:99999"],
    ],
)
def test_a_usage_error_exits_2_without_a_traceback(cli: Cli, args: list[str]) -> None:
    before = snapshot(cli.root)
    result = cli(*args)
    assert result.code == 2 and result.out == ""
    assert "Traceback" not in result.err
    assert result.err.splitlines()[-1].startswith("omni-tui: ")
    assert snapshot(cli.root) == before


@pytest.mark.parametrize(
    "args",
    [["import", "nothere.jsonl"], ["import", "garbage.jsonl"], ["import", "latin1.jsonl"]],
)
def test_a_failed_import_leaves_no_store_behind(bare: Cli, args: list[str]) -> None:
    (bare.root / "garbage.jsonl").write_text("this is not json\n", encoding="utf-8")
    (bare.root / "latin1.jsonl").write_bytes(b'{"type": "customer", "name": "Jos\xe9"}\n')
    before = snapshot(bare.root)
    assert_one_line_error(bare(*args), 1)
    assert snapshot(bare.root) == before


# --- hostile and out-of-range input ---


def test_a_huge_conversation_id_is_not_found(cli: Cli) -> None:
    assert_one_line_error(cli("show", "99999999999999999999999"), 3)


@pytest.mark.parametrize(
    "until", ["100000000d", "9999999999d", "9999-12-31T23:00-05:00", "0001-01-01T00:00+01:00"]
)
def test_a_snooze_time_beyond_year_9999_is_a_one_line_error(cli: Cli, until: str) -> None:
    before = snapshot(cli.root)
    assert_one_line_error(cli("snooze", str(MARIA), "--until", until), 2)
    assert snapshot(cli.root) == before


def test_a_snooze_into_the_past_is_refused_not_done_and_undone(cli: Cli) -> None:
    before = snapshot(cli.root)
    line = assert_one_line_error(cli("snooze", str(MARIA), "--until", "2020-01-01"), 2)
    assert "not in the future" in line
    assert snapshot(cli.root) == before


def test_export_to_a_missing_directory_is_a_one_line_error(cli: Cli) -> None:
    assert_one_line_error(cli("export", "-o", cli.root / "no-such-dir" / "out.jsonl"), 1)


@pytest.mark.parametrize("record", [{"type": "blob"}, {"type": "customer", "id": 1, "name": None}])
def test_a_malformed_import_record_is_one_line_and_leaves_no_store(bare: Cli, record: dict) -> None:
    (bare.root / "bad.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    before = snapshot(bare.root)
    assert_one_line_error(bare("import", "bad.jsonl"), 1)
    assert snapshot(bare.root) == before


def test_a_failed_import_leaves_no_blob_files_behind(cli: Cli) -> None:
    export = cli("export").out + "this is not json\n"
    (cli.root / "broken.jsonl").write_text(export, encoding="utf-8")
    new_db = cli.root / "restored" / "omni.db"
    assert_one_line_error(cli("import", "broken.jsonl", "--db", new_db), 1)
    assert [p.name for p in (cli.root / "restored").rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("now", ["garbage", "9999-12-31T23:00"])
def test_a_demo_anchored_at_a_bad_time_is_a_usage_error_and_creates_nothing(
    bare: Cli, now: str
) -> None:
    line = assert_one_line_error(bare("demo", "--no-tui", "--now", now), 2)
    assert "--now" in line and now in line
    assert not bare.db.parent.exists()


@pytest.mark.parametrize("until", ["9999-12-31", "10000-01-01"])
def test_stats_until_the_last_day_there_is_is_a_usage_error(cli: Cli, until: str) -> None:
    line = assert_one_line_error(cli("stats", "--until", until, "--json"), 2)
    assert "--until" in line


def test_stats_until_the_first_day_there_is_is_an_empty_report(cli: Cli) -> None:
    report = cli.json("stats", "--until", "0001-01-01")
    assert (report["range"]["since"], report["cases"]) == ("0001-01-01", 0)


def test_logging_a_call_into_another_customers_case_is_refused(cli: Cli) -> None:
    before = snapshot(cli.root)
    line = assert_one_line_error(
        cli("log-call", str(BOB), "--conversation", str(MARIA), "--body", "Called"), 4
    )
    assert f"conversation {MARIA} is customer {MARIA}'s, not customer {BOB}'s" in line
    assert snapshot(cli.root) == before


@pytest.mark.parametrize(
    ("channel", "to"),
    [
        ("email", "bad"),
        ("email", "maria@"),
        ("email", "ana@example.com, bob@example.org"),
        ("email", "ana@example.com; bob@example.org"),
        ("sms", "bad"),
        ("sms", "+1 415 555 0100, +1 415 555 0101"),
        ("sms", "12"),
        ("sms", "555-0134"),  # +15550134: possible, but no such number
    ],
)
def test_a_reply_to_anything_but_one_address_is_refused_and_saves_no_identity(
    cli: Cli, channel: str, to: str
) -> None:
    before = snapshot(cli.root)
    line = assert_one_line_error(
        cli("reply", str(BOB), "--channel", channel, "--to", to, "--body", "Hi"), 4
    )
    assert "--to" in line
    assert snapshot(cli.root) == before


def test_export_onto_the_store_itself_is_refused_and_the_store_kept(cli: Cli) -> None:
    before = snapshot(cli.root)
    for target in (cli.db, Path(f"{cli.db}-wal")):
        assert_one_line_error(cli("export", "-o", target), 4)
    assert snapshot(cli.root) == before
    assert cli.json("show", str(MARIA))["id"] == MARIA


def test_an_export_file_appears_only_whole_and_nothing_partial_is_left(cli: Cli) -> None:
    whole = cli("export")
    out = cli.root / "backup.jsonl"
    out.write_text("yesterday's backup\n", encoding="utf-8")
    assert cli("export", "-o", out).code == 0
    assert out.read_text(encoding="utf-8") == whole.out
    assert [p.name for p in cli.root.iterdir() if "partial" in p.name] == []


def test_output_to_a_full_disk_is_one_line_and_exit_1(cli: Cli) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "omni_tui", "list", "--json", "--db", str(cli.db)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=cli.env,
            timeout=60,
        )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("omni-tui: standard output: cannot write")


@pytest.mark.parametrize(
    "args", [["list", "--assignee", "bad\udcff"], ["customer", "list", "-q", "Jos\udce9"]]
)
def test_an_argument_that_is_not_text_is_a_usage_error(cli: Cli, args: list[str]) -> None:
    line = assert_one_line_error(cli(*args), 2)
    assert "not valid text" in line


def test_sync_where_its_lock_cannot_be_made_is_one_line(bare: Cli) -> None:
    line = assert_one_line_error(bare("sync", "--once", "--db", "/proc/omni-test/omni.db"), 1)
    assert "sync lock" in line


def test_an_export_through_a_symlink_replaces_the_file_it_names_and_keeps_the_link(
    cli: Cli,
) -> None:
    """`latest.jsonl -> nas/omni.jsonl` became a file of its own; the NAS got nothing."""
    nas = cli.root / "nas"
    nas.mkdir()
    (nas / "omni.jsonl").write_text("yesterday\n")
    latest = cli.root / "latest.jsonl"
    latest.symlink_to(nas / "omni.jsonl")
    assert cli("export", "-o", latest).code == 0
    assert latest.is_symlink() and latest.resolve() == nas / "omni.jsonl"
    assert (nas / "omni.jsonl").read_text() == cli("export").out
    assert sorted(p.name for p in nas.iterdir()) == ["omni.jsonl"]


def test_an_export_into_a_fifo_reaches_its_reader(cli: Cli) -> None:
    """The FIFO was replaced by a file, and `gzip < fifo` read nothing."""
    fifo = cli.root / "backup.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert cli("export", "-o", fifo).code == 0
    reader.join(timeout=30)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert got == [cli("export").out.encode()]


def test_an_export_cut_short_at_a_line_end_is_refused_unless_allowed(cli: Cli) -> None:
    lines = cli("export").out.splitlines()
    assert json.loads(lines[-1])["type"] == "end"
    cut = "\n".join(lines[: len(lines) // 2]) + "\n"  # what a full disk or a bad copy leaves
    (cli.root / "cut.jsonl").write_text(cut, encoding="utf-8")
    new_db = cli.root / "restored" / "omni.db"
    before = snapshot(cli.root)
    line = assert_one_line_error(cli("import", "cut.jsonl", "--db", new_db), 1)
    assert "no end record" in line and "--allow-incomplete" in line
    assert snapshot(cli.root) == before  # no store left behind
    rescued = cli.json("import", "cut.jsonl", "--db", new_db, "--allow-incomplete")
    assert sum(rescued.values()) == len(lines) // 2


def test_an_export_missing_records_its_end_counts_is_refused(cli: Cli) -> None:
    lines = cli("export").out.splitlines()
    holed = [line for line in lines if json.loads(line)["type"] != "message"]
    (cli.root / "holed.jsonl").write_text("\n".join(holed) + "\n", encoding="utf-8")
    line = assert_one_line_error(cli("import", "holed.jsonl", "--db", cli.root / "r.db"), 1)
    assert "counts" in line and "message" in line


def test_the_console_without_a_terminal_says_so_instead_of_waiting(
    tmp_path: Path, cli: Cli
) -> None:
    """A script or cron job calling ``omni-tui`` or ``omni-tui demo`` gets an answer, not a hang."""
    line = assert_one_line_error(cli(), 2)
    assert "the console needs a terminal, and standard input is not one" in line
    demo = tmp_path / "demo.db"
    line = assert_one_line_error(cli("demo", "--db", demo), 2)
    assert "`demo --no-tui` only builds the store" in line
    assert not demo.exists()  # refused before building it


def test_a_demo_store_never_takes_the_place_of_the_real_one(tmp_path: Path, cli: Cli) -> None:
    """Without --db the demo went to the default store path, where `sync` then filed
    real mail among its made-up customers and sent its queued reply for real."""
    done = subprocess.run(
        [sys.executable, "-m", "omni_tui", "demo", "--no-tui"],
        capture_output=True, text=True, env=cli.env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    line = assert_one_line_error(Result(done.returncode, done.stdout, done.stderr), 2)
    assert "demo needs --db FILE (or $OMNI_DB)" in line
    assert not list(Path(cli.env["HOME"]).rglob("*.db"))


def test_blank_values_a_script_passed_from_unset_variables_are_refused(cli: Cli) -> None:
    """`--db "$DB"` read the configured store instead; `tag 75 "$TAG"` did nothing, exit 0."""
    before = snapshot(cli.root)
    assert "--db is empty" in assert_one_line_error(cli("list", "--db", ""), 2)
    assert "no tag given" in assert_one_line_error(cli("tag", str(MARIA), ""), 4)
    assert "no tag given" in assert_one_line_error(cli("customer", "tag", str(MARIA), " #"), 4)
    assert snapshot(cli.root) == before


def test_the_reports_now_is_written_as_every_other_time(cli: Cli) -> None:
    report = cli.json("stats", "--since", "2025-03-03", "--now", "2025-03-10T12:00:00+00:00")
    assert report["now"] == "2025-03-10T12:00:00Z"


def test_a_store_another_writer_holds_too_long_exits_75_for_try_again(cli: Cli) -> None:
    """A script retries on 75 (sysexits' "temporary failure"); on 1, as a damaged
    store gives, it had to read the message to tell the two apart."""
    from tests.test_console_drafts import hold_the_store

    holder = hold_the_store(cli.db, 14)
    try:
        line = assert_one_line_error(cli("tag", str(BOB), "later"), 75)
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    assert "stayed busy" in line and "try again" in line
    assert cli("tag", str(BOB), "later").code == 0  # and it does work again
