"""`omni-tui sync` as the team's daemon: push by IMAP IDLE, one per store, clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from omni_tui import daemon as daemon_module
from omni_tui import outbox, queries
from omni_tui.errors import Refused, StoreError
from omni_tui.store import Store
from omni_tui.sync import sync_once
from tests.servers import Dovecot, SmtpSink, free_port
from tests.test_email import _with, config_for, email


def _daemon(config: Path, db: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "omni_tui", "sync", "--poll", "120"]
    command += ["--config", str(config), "--db", str(db)]
    with log.open("wb") as err:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )


def _messages(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM message").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def _wait(predicate, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_new_mail_is_pushed_by_idle_and_sigterm_stops_cleanly(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    folder = "DaemonInbox"
    dovecot.deliver(email(1), folder=folder)
    config, db = tmp_path / "config.toml", tmp_path / "omni.db"
    config.write_text(_with(config_for(dovecot, folder), "none", dovecot.port, ""))
    daemon = _daemon(config, db, tmp_path / "daemon.log")
    try:
        assert _wait(lambda: _messages(db) == 1, 15), "first pull"
        time.sleep(0.5)  # now waiting in IDLE, with a 120 s poll: only a push can be fast
        dovecot.deliver(email(2), folder=folder)
        assert _wait(lambda: _messages(db) == 2, 5), "IDLE push"
        second = _daemon(config, db, tmp_path / "second.log")  # one syncer per store
        assert second.wait(timeout=30) == 4
        assert "already syncs this store" in (tmp_path / "second.log").read_text()
        started = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=15)
        assert daemon.returncode == 0 and time.monotonic() - started < 10
        assert "Traceback" not in (tmp_path / "daemon.log").read_text()  # a stop is no error
    finally:
        if daemon.poll() is None:
            os.kill(daemon.pid, signal.SIGKILL)
            daemon.wait()
    with sqlite3.connect(db) as conn:
        state = conn.execute("SELECT state FROM account_health").fetchone()[0]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert state == "ok"


def test_the_daemon_says_in_its_log_when_it_starts_and_when_an_account_fails(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """A refused login showed only in the store: the journal stayed empty."""
    config, db = tmp_path / "config.toml", tmp_path / "omni.db"
    text = _with(config_for(dovecot, "LoggedInbox"), "none", dovecot.port, "")
    config.write_text(text.replace(f'password = "{dovecot.password}"', 'password = "wrong"'))
    log = tmp_path / "daemon.log"
    daemon = _daemon(config, db, log)
    try:
        assert _wait(lambda: "login refused" in log.read_text(), 20), log.read_text()
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=15)
    lines = log.read_text().splitlines()
    assert any("syncing support into" in line for line in lines), lines
    [failed] = [line for line in lines if "login refused" in line]
    assert failed.startswith("WARNING") and "support: auth" in failed
    assert "Traceback" not in log.read_text()


async def test_a_store_that_stays_busy_delays_the_daemon_but_never_stops_it(
    dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer held the store past its timeout, once for pulling and once for
    delivering: both go on afterwards (they used to end quietly, the process alive)."""
    folder = "BusyInbox"
    sink = SmtpSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    config = config_for(dovecot, folder, smtp_port=sink.port)
    busy = StoreError("the store stayed busy for 10 s, nothing was saved — try again")
    for name in ("sync_account", "deliver_outbox"):
        real, calls = getattr(daemon_module, name), []

        async def once_busy(*args, real=real, calls=calls, **kw):  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) == 1:
                raise busy
            return await real(*args, **kw)

        monkeypatch.setattr(daemon_module, name, once_busy)
    try:
        async with await Store.open(tmp_path / "omni.db", create=True) as store:
            dovecot.deliver(email(1), folder=folder)
            daemon = daemon_module.SyncDaemon(store, config, poll=120)
            running = asyncio.create_task(daemon.run(signals=False))
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not await queries.list_conversations(store):
                await asyncio.sleep(0.1)
            [case] = await queries.list_conversations(store)
            await outbox.queue_reply(store, case["id"], "On its way", agent="Ana")
            while time.monotonic() < deadline and not sink.received:
                await asyncio.sleep(0.1)
            daemon.stop.set()
            await running
    finally:
        controller.stop()
    assert len(sink.received) == 1


async def test_with_many_mailboxes_each_one_s_new_mail_is_pushed_within_seconds(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """Each account's IDLE holds a thread; with more accounts than the default pool has
    threads (six on two cores), the last ones only saw their mail at the next poll.
    Seven, as the test server lets one user hold ten connections at most."""
    base = config_for(dovecot, "Many0")
    many = tuple(replace(base.accounts[0], name=f"box{n}", folders=(f"Many{n}",)) for n in range(7))
    for n in range(7):
        dovecot.deliver(email(100 + n), folder=f"Many{n}")  # each folder exists
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        daemon = daemon_module.SyncDaemon(store, replace(base, accounts=many), poll=300)
        running = asyncio.create_task(daemon.run(signals=False))
        try:
            every = queries.ListFilter(limit=100)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if len(await queries.list_conversations(store, every)) == len(many):
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(3)  # every account in IDLE by now
            dovecot.deliver(email(200, subject="Late for the last box"), folder="Many6")
            started = time.monotonic()
            found = []
            while time.monotonic() - started < 20 and not found:
                await asyncio.sleep(0.2)
                found = await queries.search(store, "Late last box", 5)
            assert found, "the last mailbox's new mail waited for the poll"
        finally:
            daemon.stop.set()
            await running


async def test_a_server_without_idle_is_polled_at_the_poll_interval_not_hammered(
    dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dovecot on 127.0.0.2 leaves IDLE out of its capabilities (see ``servers``)."""
    from adapters.email import imap

    folder = "NoIdleInbox"
    dovecot.deliver(email(1), folder=folder)
    config = config_for(dovecot, folder, imap_host='"127.0.0.2"')
    logins, real_open = [], imap.ImapConnection.open

    def counted(self: imap.ImapConnection) -> None:
        logins.append(time.monotonic())
        real_open(self)

    monkeypatch.setattr(imap.ImapConnection, "open", counted)
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        daemon = daemon_module.SyncDaemon(store, config, poll=60)
        running = asyncio.create_task(daemon.run(signals=False))
        await asyncio.sleep(7)
        daemon.stop.set()
        await running
        assert len(await queries.list_conversations(store)) == 1
    assert len(logins) == 2  # the sync, and the look for IDLE; the next one is a minute away


def test_a_symlink_to_the_store_finds_the_same_one_syncer_lock(tmp_path: Path) -> None:
    """Two deliverers at once send replies twice: a second path must not get around it."""
    (tmp_path / "omni.db").touch()
    (tmp_path / "link.db").symlink_to(tmp_path / "omni.db")
    held = daemon_module.SyncLock(tmp_path / "omni.db")
    held.acquire()
    try:
        with pytest.raises(Refused, match="already syncs"):
            daemon_module.SyncLock(tmp_path / "link.db").acquire()
    finally:
        held.release()


async def test_a_daemon_stopped_from_outside_leaves_no_task_running(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """The console cancels its sync when it quits; its delivery task used to live on,
    sending after the console had let go of the store's lock."""
    config = config_for(dovecot, "OrphanInbox")
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        daemon = daemon_module.SyncDaemon(store, config, poll=120)
        running = asyncio.create_task(daemon.run(signals=False))
        await asyncio.sleep(1.0)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert not [t for t in left if "SyncDaemon" in repr(t.get_coro())], left


async def test_a_send_whose_record_meets_a_busy_store_is_recorded_once_it_is_free(
    dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dropping the result left the reply `sending`, and the next start sent it again."""
    from omni_tui import delivery

    sink = SmtpSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    real, calls = delivery._finish, []

    async def busy_once(*args, **kw):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise StoreError("the store stayed busy for 10 s, nothing was saved — try again")
        return await real(*args, **kw)

    monkeypatch.setattr(delivery, "_finish", busy_once)
    monkeypatch.setattr(delivery, "RECORD_RETRY_S", 0.01)
    try:
        async with await Store.open(tmp_path / "omni.db", create=True) as store:
            folder = "BusyRecord"
            dovecot.deliver(email(1), folder=folder)
            config = config_for(dovecot, folder, smtp_port=sink.port)
            await sync_once(store, config)
            [case] = await queries.list_conversations(store)
            await outbox.queue_reply(store, case["id"], "On its way", agent="Ana")
            report = await delivery.deliver_outbox(store, config)
            assert (report.sent, report.failed) == (1, 0)
            assert [o.status for o in await outbox.pending(store)] == []  # not `sending`
    finally:
        controller.stop()
    assert len(sink.received) == 1 and len(calls) == 2
