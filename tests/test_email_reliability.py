"""Email reliability against a real Dovecot: kill -9 mid-sync, and dead servers
(hostile mail is in ``test_email_hostile``).

Everything here goes through the real CLI (``python -m omni_tui sync --once``) in
subprocesses, against a private Dovecot on loopback (tests/servers.py), and reads the
store back with the stdlib ``sqlite3`` module, so what is checked is what is on disk.
"""

from __future__ import annotations

import grp
import hashlib
import itertools
import json
import os
import pwd
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import Dovecot, free_port, start_dovecot, stop_dovecot

_folders = itertools.count(1)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="omni-reliability-"))
    server, _ = start_dovecot(root / "dovecot")
    try:
        yield server
    finally:
        pid_file = server.root / "run" / "master.pid"
        pid = int(pid_file.read_text()) if pid_file.exists() else None
        stop_dovecot(server)
        if pid is not None:
            _wait_for_exit(pid)
        shutil.rmtree(root, ignore_errors=True)


def _wait_for_exit(pid: int, timeout: float = 10.0) -> None:
    """Let Dovecot's master exit before its files are removed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


# ---------------------------------------------------------------------------- helpers


def account_toml(
    dovecot: Dovecot,
    folder: str,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    security: str = "none",
    password: str | None = None,
    **extra: str,
) -> str:
    """A whole config file with one email account (what config_for builds, as TOML text)."""
    lines = [
        "[agent]",
        'name = "Ana"',
        "[[accounts]]",
        'name = "support"',
        'channel = "email"',
        f'imap_host = "{host}"',
        f"imap_port = {dovecot.port if port is None else port}",
        f'imap_security = "{security}"',
        f'username = "{dovecot.user}"',
        f'password = "{dovecot.password if password is None else password}"',
        f'folders = ["{folder}"]',
        'smtp_host = "127.0.0.1"',
        "smtp_port = 1",
        'smtp_security = "none"',
        'address = "Larkspur Support <support@larkspur.example>"',
        *(f"{key} = {value}" for key, value in extra.items()),
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Sandbox:
    """A config, a store path and a private HOME/cwd for CLI runs, all under one tmp dir."""

    root: Path

    def __post_init__(self) -> None:
        for sub in ("data", "home", "cwd"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def db(self) -> Path:
        return self.root / "data" / "omni.db"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OMNI_", "XDG_"))}
        home = self.root / "home"
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local" / "share"),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_STATE_HOME=str(home / ".local" / "state"),
        )
        return env

    def argv(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "omni_tui",
            *args,
            "--config",
            str(self.config),
            "--db",
            str(self.db),
        ]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root / "cwd",
            env=self.env(),
        )


def bulk_load(dovecot: Dovecot, folder: str, raws: list[bytes]) -> None:
    """Files straight into the folder's Maildir ``cur/``, then ``doveadm force-resync``."""
    dovecot.doveadm("mailbox", "create", "-u", dovecot.user, folder)
    cur = dovecot.maildir / f".{folder}" / "cur"
    cur.mkdir(parents=True, exist_ok=True)
    stamp = int(time.time())
    for i, raw in enumerate(raws):
        (cur / f"{stamp}.M{i}P1.omni-test,S={len(raw)}:2,").write_bytes(raw)
    uid, gid = pwd.getpwnam("dovecot").pw_uid, grp.getgrnam("dovecot").gr_gid
    for path in [cur.parent, *cur.parent.rglob("*")]:
        os.chown(path, uid, gid)
    dovecot.doveadm("force-resync", "-u", dovecot.user, folder)
    status = dovecot.doveadm("mailbox", "status", "-u", dovecot.user, "messages", folder)
    assert status.split() == [folder, f"messages={len(raws)}"], status


def plain_mail(n: int, tag: str) -> bytes:
    body = "".join(
        f"Line {k} of message {n}: the order arrived, the grinder does not turn on.\r\n"
        for k in range(20 + n % 40)
    )
    return (
        f"From: Customer {n % 400} <customer{n % 400}@example.com>\r\n"
        "To: support@larkspur.example\r\n"
        f"Subject: Order #{100000 + n} ({tag})\r\n"
        f"Message-ID: <{tag}.{n}@mail.example.com>\r\n"
        f"Date: Mon, 16 Nov 2026 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d} +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{body}"
    ).encode()


@contextmanager
def connect(db: Path) -> Iterator[sqlite3.Connection]:
    """The store read-only, with the stdlib: what is on disk, not what the product says."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def scalar(db: Path, sql: str) -> Any:
    with connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def snapshot_state(db: Path, scratch: Path) -> dict[str, Any] | None:
    """Store facts read from a *copy* of the files, so the next run sees them untouched."""
    if not db.exists():
        return None
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{db}{suffix}")
        if source.exists():
            shutil.copyfile(source, scratch / f"{db.name}{suffix}")
    copy = scratch / db.name
    with closing(sqlite3.connect(copy)) as conn:  # read-write: recovers the WAL, as a run would
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        integrity = conn.execute("PRAGMA integrity_check").fetchall()
        if "message" not in tables:
            return {"integrity": integrity, "messages": 0, "distinct": 0, "cursor": None}
        messages, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT message_id) FROM message"
        ).fetchone()
        row = conn.execute("SELECT value FROM sync_cursor").fetchone()
    cursor = json.loads(row[0])["last_uid"] if row else None
    return {"integrity": integrity, "messages": messages, "distinct": distinct, "cursor": cursor}


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def check_data_dir(data: Path, db: Path) -> None:
    """Only the database, its sync lock and content-addressed blobs (named by their
    sha256) may be there."""
    allowed = {db.name, f"{db.name}-wal", f"{db.name}-shm", f"{db.name}.sync.lock"}
    for path in files_under(data):
        rel = path.relative_to(data)
        if len(rel.parts) == 1:
            assert rel.name in allowed, f"unexpected file in the data dir: {rel}"
            continue
        assert len(rel.parts) == 3 and rel.parts[0] == "attachments", rel  # raw: in the store
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert rel.parts[2] == digest and rel.parts[1] == digest[:2], (
            f"not content-addressed: {rel}"
        )


# ---------------------------------------------------------------- 1a: kill -9 mid-sync

KILL_MESSAGES = 2000
KILLS = 20
KILL_BATCH = 50  # per FETCH and per transaction in the killed runs (the product default is 500)
KILL_SEED = 20261116

# The killed runs are the real CLI entry point, with the IMAP batch made smaller so that
# 20 random kills land between many commits within the time budget; nothing else differs.
_SMALL_BATCH = (
    "import runpy, sys\n"
    "import omni_tui.accounts\n"
    "omni_tui.accounts.IMAP_BATCH = int(sys.argv.pop(1))\n"
    "runpy.run_module('omni_tui', run_name='__main__', alter_sys=True)\n"
)


def small_batch_argv(box: Sandbox) -> list[str]:
    argv = box.argv("sync", "--once", "--json")
    return [argv[0], "-c", _SMALL_BATCH, str(KILL_BATCH), *argv[3:]]


def kill_when_stored(proc: subprocess.Popen[bytes], db: Path, target: int, then: float) -> None:
    """SIGKILL ``proc`` ``then`` seconds after the store first holds ``target`` messages:
    a point in the mailbox, whatever the machine's speed."""
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if stored_messages(db) >= target:
            time.sleep(then)
            proc.send_signal(signal.SIGKILL)
            return
        time.sleep(0.005)


def stored_messages(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return 0  # not created yet
    try:
        return int(conn.execute("SELECT count(*) FROM message").fetchone()[0])
    except sqlite3.Error:
        return 0  # not migrated yet
    finally:
        conn.close()


def test_sync_killed_at_random_points_stores_every_message_exactly_once(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    folder = f"Kill{next(_folders)}"
    bulk_load(dovecot, folder, [plain_mail(n, folder) for n in range(KILL_MESSAGES)])
    box = Sandbox(tmp_path / "kill")
    box.config.write_text(account_toml(dovecot, folder))

    # start-up (imports, store, IMAP login) timed by a no-op run on a folder of its own
    cal = Sandbox(tmp_path / "calibration")
    bulk_load(dovecot, f"{folder}Empty", [])
    cal.config.write_text(account_toml(dovecot, f"{folder}Empty"))
    assert cal.run("sync", "--once").returncode == 0  # creates the store, untimed
    started = time.monotonic()
    assert cal.run("sync", "--once").returncode == 0
    startup = time.monotonic() - started

    rng = random.Random(KILL_SEED)
    log: list[dict[str, Any]] = []
    stored = 0
    kills = 0
    # a run that ends before its kill does not count: 20 kills must hit live processes
    while kills < KILLS and len(log) < 3 * KILLS:
        proc = subprocess.Popen(
            small_batch_argv(box),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=box.root / "cwd",
            env=box.env(),
        )
        # once nearly all is stored, a later point may never come: kill a start-up then
        nearly_done = KILL_MESSAGES - stored <= 2 * KILL_BATCH
        if kills % 5 == 0 or nearly_done:  # during start-up: imports, store, IMAP login
            point: float = round(rng.uniform(0.0, startup), 2)  # seconds
            try:
                proc.wait(timeout=point)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
        else:  # a random moment after a random point of the mailbox, leaving some for later
            share = max(1, (KILL_MESSAGES - stored) // (KILLS - kills + 1))
            point = stored + rng.randint(1, 2 * share)  # messages
            kill_when_stored(proc, box.db, point, then=rng.uniform(0.0, 0.05))
        code = proc.wait()
        state = snapshot_state(box.db, tmp_path / "snapshot")
        killed = code == -signal.SIGKILL
        kills += killed
        log.append({"at": point, "killed": killed, "state": state, "from": stored})
        if state is None:
            continue
        assert state["integrity"] == [("ok",)], log
        assert state["messages"] == state["distinct"], log  # never a message twice
        assert state["messages"] >= stored, log  # a commit is never lost
        # each batch is committed together with its cursor: never one without the other
        assert state["messages"] == (state["cursor"] or 0), log
        stored = state["messages"]

    killed_mid_sync = sum(
        1 for e in log if e["killed"] and e["state"] and 0 < e["state"]["messages"] < KILL_MESSAGES
    )
    brief = [(e["at"], e["killed"], (e["state"] or {}).get("messages")) for e in log]
    assert kills == KILLS, brief  # the kills hit live processes
    assert killed_mid_sync >= KILLS // 2, log  # and most of them mid-way through the mailbox
    # some were killed after committing batches of their own, i.e. between two commits
    between_commits = sum(
        1 for e in log if e["killed"] and e["state"] and e["from"] < e["state"]["messages"]
    )
    assert between_commits >= 3, log

    done = box.run("sync", "--once", "--json")  # the real thing, default batch
    assert done.returncode == 0, done.stderr
    [report] = json.loads(done.stdout)["accounts"]
    assert (report["state"], report["new"]) == ("ok", KILL_MESSAGES - stored), (report, log)
    assert scalar(box.db, "SELECT count(*) FROM message") == KILL_MESSAGES
    assert scalar(box.db, "SELECT count(DISTINCT message_id) FROM message") == KILL_MESSAGES
    with connect(box.db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # every message keeps its raw bytes, and they are the bytes their hash names
        raw = dict(conn.execute("SELECT sha256, data FROM raw_message"))
        shas = [sha for (sha,) in conn.execute("SELECT raw_sha256 FROM message")]
    assert shas and all(sha in raw for sha in shas)
    assert all(hashlib.sha256(data).hexdigest() == sha for sha, data in raw.items())
    # a kill inside blobs.put may leave a ".tmp-" file behind: garbage, never a wrong blob
    stored_files = files_under(box.db.parent / "attachments")
    leftovers = [p for p in stored_files if p.name.startswith(".tmp-")]
    for path in stored_files:
        if not path.name.startswith(".tmp-"):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
    print(
        f"\nkill test: startup {startup:.2f}s,"
        f" {sum(e['killed'] for e in log)} kills hit a live process, {killed_mid_sync} mid-sync,"
        f" {between_commits} after a commit of their own,"
        f" {stored} stored before the final run, {len(leftovers)} leftover .tmp files"
    )


# ------------------------------------------------------ 1b: server down, auth, TLS failure


@pytest.fixture(scope="module")
def failing_folder(dovecot: Dovecot) -> str:
    folder = f"Failing{next(_folders)}"
    dovecot.deliver(plain_mail(1, folder), plain_mail(2, folder), folder=folder)
    return folder


FAILURES = {
    # name: (config overrides, expected state, words the error must contain)
    "server down": ({"port": "closed"}, "error", ["cannot reach", "127.0.0.1"]),
    "wrong password": ({"password": "wrong"}, "auth", ["login refused"]),
    "tls on the plain port": ({"security": "tls"}, "error", ["cannot reach"]),
    "untrusted certificate (tls)": (
        {"security": "tls", "port": "tls", "host": "localhost"},
        "error",
        ["certificate"],
    ),
    "untrusted certificate (starttls)": (
        {"security": "starttls", "host": "localhost"},
        "error",
        ["certificate"],
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_failing_account_exits_1_with_one_clear_line_and_writes_no_mail(
    dovecot: Dovecot, failing_folder: str, tmp_path: Path, case: str
) -> None:
    overrides, expected_state, words = FAILURES[case]
    settings: dict[str, Any] = dict(overrides)
    if settings.get("port") == "closed":
        settings["port"] = free_port()
    elif settings.get("port") == "tls":
        settings["port"] = dovecot.tls_port
    box = Sandbox(tmp_path)
    box.config.write_text(account_toml(dovecot, failing_folder, **settings))
    done = box.run("sync", "--once", "--json", timeout=60)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    [report] = json.loads(done.stdout)["accounts"]
    assert report["state"] == expected_state, report
    assert report["new"] == 0 and len(report["errors"]) == 1, report
    error = report["errors"][0]
    assert "\n" not in error and len(error) < 300, error
    assert error.startswith("support: "), error
    assert all(w.lower() in error.lower() for w in words), error
    for table in ("message", "conversation", "customer", "identity", "sync_cursor"):
        assert scalar(box.db, f"SELECT count(*) FROM {table}") == 0, table
    with connect(box.db) as conn:
        health = conn.execute(
            "SELECT state, last_error, last_success_at FROM account_health WHERE account = ?",
            ("support",),
        ).fetchall()
    assert health == [(expected_state, error, None)]


async def test_a_password_fixed_in_the_password_command_is_read_again_after_a_refused_login(
    dovecot: Dovecot, failing_folder: str, tmp_path: Path
) -> None:
    """The command ran once per process: a daemon started with a wrong password kept
    failing after the password store was fixed, until someone restarted it."""
    from omni_tui.config import parse_config
    from omni_tui.store import Store
    from omni_tui.sync import sync_once

    secret = tmp_path / "password"
    secret.write_text("wrong\n")
    text = account_toml(dovecot, failing_folder).replace(
        f'password = "{dovecot.password}"', f'password_command = ["cat", "{secret}"]'
    )
    config = parse_config(text, tmp_path / "config.toml")
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        [refused] = await sync_once(store, config)
        assert refused.state == "auth"
        secret.write_text(dovecot.password + "\n")
        [pulled] = await sync_once(store, config)
        assert (pulled.state, pulled.new) == ("ok", 2)
