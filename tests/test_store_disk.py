"""The store's disk fills up or turns read-only: a clear line, nothing damaged, the
agent's words kept. Each test mounts a small tmpfs of its own (so it needs root,
as CI has; elsewhere it is skipped)."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.base import InboundMessage
from omni_tui import queries
from omni_tui.config import Config
from omni_tui.ingest import ingest
from omni_tui.store import Store
from omni_tui.tui.app import OmniApp
from omni_tui.tui.composer import Composer
from tests.test_console import open_case, settle

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk says no more."""
    filler = disk / "filler"
    chunk = b"\0" * 65536
    with filler.open("wb", buffering=0) as out:  # unbuffered: nothing left to fail at close
        try:
            while True:
                out.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


async def a_store_with_cases(path: Path) -> list[int]:
    async with await Store.open(path, create=True) as store:
        result = await ingest(
            store,
            [
                InboundMessage(
                    channel="email",
                    account="mail",
                    provider_id=f"imap:{i}",
                    sender=f"customer{i}@example.com",
                    subject=f"Help {i}",
                    text="Hello? " * 50,
                )
                for i in range(3)
            ],
        )
        return [c for c in result.conversation_ids if c]


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "omni_tui", *args, "--db", str(db)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def integrity(db: Path) -> str:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


async def test_a_reply_on_a_full_disk_is_refused_in_one_line_and_goes_once_there_is_room(
    disk: Path,
) -> None:
    db = disk / "omni.db"
    [case, *_] = await a_store_with_cases(db)
    filler = fill(disk)

    refused = cli(db, "reply", str(case), "--body", "Your refund is on its way")
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "the disk is full" in refused.stderr

    filler.unlink()
    assert integrity(db) == "ok"
    done = cli(db, "reply", str(case), "--body", "Your refund is on its way", "--json")
    assert done.returncode == 0, done.stderr
    async with await Store.open(db) as store:
        sent = (await queries.show_conversation(store, case))["messages"]
    assert [m["text"] for m in sent if m["direction"] == "out"] == ["Your refund is on its way"]
    assert integrity(db) == "ok"


async def test_a_console_whose_disk_fills_up_keeps_the_reply_typed_and_sends_it_later(
    disk: Path,
) -> None:
    db = disk / "omni.db"
    [case, *_] = await a_store_with_cases(db)
    app = OmniApp(Config(), db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Help 0")
        await pilot.press("r")
        await settle(app, pilot)
        filler = fill(disk)
        await pilot.press(*"Refund sent")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        composer = app.query_one(Composer)
        assert composer.display and composer.body == "Refund sent"  # nothing lost
        assert any("the disk is full" in n.message for n in app._notifications)
        assert app.store is not None
        messages = (await queries.show_conversation(app.store, case))["messages"]
        assert [m["direction"] for m in messages] == ["in"]

        filler.unlink()  # room again: the same words go, once
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        messages = (await queries.show_conversation(app.store, case))["messages"]
        assert [(m["direction"], m["text"]) for m in messages][1:] == [("out", "Refund sent")]
    assert integrity(db) == "ok"


async def test_a_store_on_a_read_only_disk_is_reported_and_left_intact(disk: Path) -> None:
    db = disk / "omni.db"
    [case, *_] = await a_store_with_cases(db)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    for args in (("reply", str(case), "--body", "On it"), ("list",)):
        refused = cli(db, *args)
        assert refused.returncode == 1
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
        assert "not writable" in refused.stderr or "read-only" in refused.stderr
    subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    assert integrity(db) == "ok"
    listed = cli(db, "list", "--json")
    assert listed.returncode == 0 and f'"id": {case}' in listed.stdout


def test_a_store_file_another_user_made_is_named_with_its_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store first made by root (`sync --once` run as root) read "mount it read-write",
    while the folder was writable and the fault was the file's owner."""
    import os
    import sqlite3

    from omni_tui.store.failures import store_failure

    db = tmp_path / "omni.db"
    sqlite3.connect(db).close()
    db.chmod(0o644)
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != db)  # as another user
    line = store_failure(db, sqlite3.OperationalError("attempt to write a readonly database"), "x")
    assert "omni.db is root's, mode 644, not writable by you" in line
    assert "chown or chmod g+w" in line and "mount" not in line


async def test_a_store_on_a_completely_full_disk_is_called_full_not_damaged(disk: Path) -> None:
    """The first command said "disk is full"; every one after it "damaged or unreadable"."""
    db = disk / "omni.db"
    await a_store_with_cases(db)
    filler = fill(disk)
    with contextlib.suppress(OSError):  # the last bytes too
        with (disk / "last").open("wb") as last:
            while True:
                last.write(b"\0" * 4096)
                last.flush()
    for _ in range(2):
        shown = cli(db, "list")
        assert shown.returncode == 1 and "Traceback" not in shown.stderr
        assert "the disk is full" in shown.stderr and "damaged" not in shown.stderr
    filler.unlink()
    (disk / "last").unlink()
    assert cli(db, "list").returncode == 0 and integrity(db) == "ok"


async def test_a_reply_whose_file_does_not_fit_blames_the_disk_not_standard_output(
    disk: Path, tmp_path: Path
) -> None:
    db = disk / "omni.db"
    [case, *_] = await a_store_with_cases(db)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(os.urandom(3 << 20))
    filler = disk / "filler"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    filler.write_bytes(b"\0" * max(0, free - (1 << 20)))  # a megabyte left: not enough
    refused = cli(db, "reply", str(case), "--body", "The photo", "--attach", str(photo))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "the disk is full" in refused.stderr and "standard output" not in refused.stderr
    filler.unlink()
    async with await Store.open(db) as store:
        sent = (await queries.show_conversation(store, case))["messages"]
    assert [m for m in sent if m["direction"] == "out"] == []  # nothing half-queued
