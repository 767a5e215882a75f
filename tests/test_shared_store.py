"""A team's store in a group-shared folder: every file the daemon or an agent makes stays
writable by the group, and an attachment a folder will not take stops nothing."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.base import AttachmentData, InboundMessage
from omni_tui import blobs, queries
from omni_tui.daemon import SyncLock
from omni_tui.ingest import ingest
from omni_tui.store import Store


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    folder = tmp_path / "support"
    folder.mkdir()
    os.chmod(folder, 0o2770)  # chgrp support && chmod 2770, as the README says
    return folder


@pytest.fixture
def agent_umask() -> Iterator[None]:
    """An agent's SSH shell: umask 022, group write taken away."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def group_writable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IWGRP)


def made_store(folder: Path, umask: int) -> Path:
    """A new store made in ``folder`` by a process running with ``umask``."""
    db = folder / "omni.db"
    done = subprocess.run(
        [sys.executable, "-c", f"import asyncio, os, sys; os.umask({umask})\n"
         "from omni_tui.store import Store\n"
         "async def made(): await (await Store.open(sys.argv[1], create=True)).close()\n"
         "asyncio.run(made())", str(db)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return db


def test_a_store_made_under_umask_007_is_group_writable_with_its_wal_and_shm(
    shared: Path,
) -> None:
    db = made_store(shared, 0o007)  # the daemon's first start (systemd's UMask=0007)
    assert group_writable(db)  # SQLite alone made it 0644: no agent could save a thing
    with sqlite3.connect(db) as conn:  # a writer: its -wal and -shm follow the store's mode
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE probe (x)")
        assert group_writable(db.with_name("omni.db-wal"))
        assert group_writable(db.with_name("omni.db-shm"))


def test_a_store_an_admin_makes_under_umask_022_is_still_group_writable(
    shared: Path, agent_umask: None
) -> None:
    """The README's `sudo -u omni omni-tui sync --once` runs with the admin's umask."""
    assert group_writable(made_store(shared, 0o022))


def test_the_sync_lock_an_agent_takes_stays_takeable_by_the_daemon(
    shared: Path, agent_umask: None
) -> None:
    """A console syncing under umask 022 left a 0644 lock: the daemon could not start."""
    lock = SyncLock(shared / "omni.db")
    lock.acquire()
    lock.release()
    assert group_writable(lock.path)


def test_attachment_folders_an_agent_makes_stay_writable_for_the_daemon(
    shared: Path, agent_umask: None
) -> None:
    root = shared / "attachments"
    sha = blobs.put(root, b"%PDF- the invoice")
    path = blobs.blob_path(root, sha)
    assert group_writable(root) and group_writable(path.parent) and group_writable(path)


async def test_an_attachment_a_folder_will_not_take_leaves_the_rest_of_the_mail_stored(
    tmp_path: Path,
) -> None:
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        photo = b"\xff\xd8 a photo"
        blocked = store.attachments_dir / hashlib.sha256(photo).hexdigest()[:2]
        blocked.parent.mkdir(parents=True, exist_ok=True)
        blocked.write_text("not a folder")  # as unwritable as a folder of another user's
        mails = [
            InboundMessage(
                "email", "mail", "imap:1", "maria@example.com", "Here is the photo",
                subject="Broken grinder",
                attachments=[AttachmentData("photo.jpg", "image/jpeg", photo)],
                raw=b"From: maria@example.com\r\n\r\nHere is the photo",
            ),
            InboundMessage("email", "mail", "imap:2", "bob@example.com", "Order 1042?"),
        ]  # fmt: skip
        result = await ingest(store, mails)
        assert result.new == 2
        [case, _] = result.conversation_ids
        assert case is not None
        shown = await queries.show_conversation(store, case)
        [attachment] = shown["messages"][0]["attachments"]
        assert attachment["sha256"] is None
        assert "not stored" in attachment["skipped_reason"]


async def test_media_with_no_raw_copy_is_never_dropped_when_its_folder_will_not_take_it(
    tmp_path: Path,
) -> None:
    """An MMS photo is its only copy: the batch fails (and is pulled again) rather than
    store the text with the photo gone."""
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        photo = b"\xff\xd8 an mms photo"
        blocked = store.attachments_dir / hashlib.sha256(photo).hexdigest()[:2]
        blocked.parent.mkdir(parents=True, exist_ok=True)
        blocked.write_text("not a folder")
        mms = InboundMessage(
            "sms", "texts", "MM1", "+14155550123", "the broken lid",
            attachments=[AttachmentData("lid.jpg", "image/jpeg", photo)],
        )  # fmt: skip
        with pytest.raises(OSError):
            await ingest(store, [mms])
        blocked.unlink()
        assert (await ingest(store, [mms])).new == 1
        listed = await queries.list_conversations(store)
        shown = await queries.show_conversation(store, listed[0]["id"])
        [attachment] = shown["messages"][0]["attachments"]
        assert attachment["sha256"] == hashlib.sha256(photo).hexdigest()


def test_a_full_disk_met_making_an_attachment_folder_stops_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a full disk met while writing stopped it; one met making the fan-out folder
    marked the attachment "not stored" for good."""
    import errno

    from omni_tui.errors import StoreError

    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "mkdir", full)
    with pytest.raises(StoreError, match="the disk is full"):
        blobs.keep(tmp_path / "attachments", b"%PDF- a new invoice", raw_kept=True)
