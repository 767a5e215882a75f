"""`omni-tui sync` as the team's daemon: push by IMAP IDLE, one per store, clean stop."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.servers import Dovecot
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
    finally:
        if daemon.poll() is None:
            os.kill(daemon.pid, signal.SIGKILL)
            daemon.wait()
    with sqlite3.connect(db) as conn:
        state = conn.execute("SELECT state FROM account_health").fetchone()[0]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert state == "ok"
