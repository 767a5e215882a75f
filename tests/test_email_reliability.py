"""Email reliability against a real Dovecot: kill -9 mid-sync, dead servers, hostile mail.

Everything here goes through the real CLI (``python -m omni_tui sync --once``) in
subprocesses, against a private Dovecot on loopback (tests/servers.py), and reads the
store back with the stdlib ``sqlite3`` module, so what is checked is what is on disk.
"""

from __future__ import annotations

import base64
import grp
import hashlib
import itertools
import json
import os
import pwd
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from omni_tui.attachments import save_attachment
from omni_tui.errors import Refused
from omni_tui.store import Store
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


# ------------------------------------------------------------- 1c: hostile and broken mail


def mail(*headers: str | bytes, body: bytes = b"") -> bytes:
    lines = [h.encode() if isinstance(h, str) else h for h in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _part(*headers: str, body: bytes) -> bytes:
    return "\r\n".join(headers).encode() + b"\r\n\r\n" + body + b"\r\n"


def _multipart(boundary: str, *parts: bytes) -> bytes:
    chunks = [b"This is a multi-part message in MIME format.\r\n"]
    for part in parts:
        chunks.append(f"--{boundary}\r\n".encode() + part)
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def _attachment(
    filename_params: str, data: bytes, ctype: str = "application/octet-stream"
) -> bytes:
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return _part(
        f"Content-Type: {ctype}",
        f"Content-Disposition: attachment; {filename_params}",
        "Content-Transfer-Encoding: base64",
        body=encoded,
    )


def _text(text: str, charset: str = "utf-8") -> bytes:
    return _part(f"Content-Type: text/plain; charset={charset}", body=text.encode())


BIG_ATTACHMENT = 20 * 1024 * 1024
MAX_ATTACHMENT = 1024 * 1024


def hostile_corpus(pixel_url: str) -> dict[str, bytes]:
    """Name → raw message; each carries a marker word its stored text must contain."""
    to = "To: support@larkspur.example"
    date = "Date: Tue, 17 Nov 2026 10:00:00 +0100"
    utf8 = "Content-Type: text/plain; charset=utf-8"

    def common(name: str) -> list[str]:
        return [
            f"From: {name} <{name}@hostile.example>",
            to,
            date,
            f"Message-ID: <{name}@h.example>",
        ]

    inner = mail(
        "From: Inner <inner@example.com>",
        "Subject: the forwarded one",
        'Content-Type: multipart/mixed; boundary="inner"',
        body=_multipart(
            "inner",
            _text("marker-inner-text"),
            _part(
                "Content-Type: message/rfc822",
                body=mail(
                    "From: Deepest <deep@example.com>",
                    "Subject: deeper still",
                    utf8,
                    body=b"marker-innermost-text",
                ),
            ),
        ),
    )
    html = (
        "<html><head><style>p{color:red}</style><script>alert('xss')</script></head><body>"
        "<p>marker-html text <b>bold</b></p><script src=http://evil.example/x.js></script>"
        f'<img src="{pixel_url}" width="1" height="1" alt="">'
        '<img src="x" onerror="alert(1)"><a href="https://shop.example/track">track</a>'
        "</body></html>"
    )
    return {
        "no-date": mail(
            "From: Nora <no-date@hostile.example>",
            to,
            "Subject: no date",
            "Message-ID: <no-date@h.example>",
            utf8,
            body=b"marker-no-date",
        ),
        "no-from": mail(
            to,
            date,
            "Subject: nobody sent this",
            "Message-ID: <no-from@h.example>",
            utf8,
            body=b"marker-no-from",
        ),
        "no-message-id": mail(
            "From: Nils <no-message-id@hostile.example>",
            to,
            date,
            "Subject: no id",
            utf8,
            body=b"marker-no-message-id",
        ),
        "no-headers": b"marker-no-headers just a body with no header lines\r\n",
        "duplicate-first": mail(
            "From: Dana <dup@hostile.example>",
            to,
            date,
            "Subject: first of two",
            "Message-ID: <same-id@h.example>",
            utf8,
            body=b"marker-duplicate-first",
        ),
        "duplicate-second": mail(
            "From: Dana <dup@hostile.example>",
            to,
            date,
            "Subject: second, same Message-ID",
            "Message-ID: <same-id@h.example>",
            utf8,
            body=b"marker-duplicate-second",
        ),
        "broken-boundary": mail(
            *common("broken-boundary"),
            "Subject: wrong boundary",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="declared"',
            body=b"--actual\r\nContent-Type: text/plain\r\n\r\nmarker-broken-boundary\r\n"
            b"--actual--\r\n",
        ),
        "truncated-multipart": mail(
            *common("truncated-multipart"),
            "Subject: cut short",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="b1"',
            body=b"--b1\r\nContent-Type: text/plain\r\n\r\nmarker-truncated-multipart\r\n"
            b"--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="cut.pdf"\r\n\r\nJVBERi0xLjQK$$$',
        ),
        "unknown-charset": mail(
            *common("unknown-charset"),
            "Subject: =?x-klingon?Q?Qapla=27?=",
            "Content-Type: text/plain; charset=x-klingon",
            body="marker-unknown-charset ¡Qapla’!".encode(),
        ),
        "lying-ascii": mail(
            *common("lying-ascii"),
            "Subject: says ascii",
            "Content-Type: text/plain; charset=us-ascii",
            body="marker-lying-ascii café crème".encode(),
        ),
        "lying-utf8": mail(
            *common("lying-utf8"),
            "Subject: says utf-8",
            utf8,
            body="marker-lying-utf8 café".encode("latin-1"),
        ),
        "raw-8bit": mail(
            "From: José Müller <raw-8bit@hostile.example>".encode(),
            to,
            date,
            "Message-ID: <raw-8bit@h.example>",
            "Subject: Grüße aus Köln".encode(),
            utf8,
            body="marker-raw-8bit grüße".encode(),
        ),
        "rfc2047": mail(
            "From: =?UTF-8?Q?Jos=C3=A9_Garc=C3=ADa?= <rfc2047@hostile.example>",
            to,
            date,
            "Message-ID: <rfc2047@h.example>",
            "Subject: =?ISO-8859-1?Q?Caf=E9?= =?UTF-8?B?4pyT?=",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="r"',
            body=_multipart(
                "r",
                _text("marker-rfc2047"),
                _attachment('filename="=?UTF-8?B?0YDQtdC30Y7QvNC1LnBkZg==?="', b"%PDF-1.4 cv"),
                _attachment("filename*=UTF-8''na%C3%AFve%20plan.txt", b"plan", "text/plain"),
            ),
        ),
        "rfc822-nesting": mail(
            *common("rfc822-nesting"),
            "Subject: Fwd: the forwarded one",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="outer"',
            body=_multipart(
                "outer",
                _text("marker-rfc822-nesting, see the forwarded message"),
                _part("Content-Type: message/rfc822", body=inner),
            ),
        ),
        "empty-body": mail(
            *common("empty-body"),
            "Subject: marker-empty-body",
            utf8,
            body=b"",
        ),
        "big-attachment": mail(
            *common("big-attachment"),
            "Subject: big file",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="big"',
            body=_multipart(
                "big",
                _text("marker-big-attachment"),
                _attachment('filename="video.mp4"', os.urandom(BIG_ATTACHMENT), "video/mp4"),
            ),
        ),
        "evil-filenames": mail(
            *common("evil-filenames"),
            "Subject: files",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="evil"',
            body=_multipart(
                "evil",
                _text("marker-evil-filenames"),
                _attachment('filename="../../etc/passwd"', b"root:x:0:0::/root:/bin/sh\n"),
                _attachment('filename="CON.txt"', b"device name"),
                _attachment('filename="..\\\\..\\\\windows\\\\evil.bat"', b"@echo off"),
                _attachment('filename="/etc/cron.d/evil"', b"* * * * * root sh"),
                _attachment('filename=".."', b"dots"),
            ),
        ),
        "html": mail(
            *common("html"),
            "Subject: newsletter",
            "MIME-Version: 1.0",
            "Content-Type: text/html; charset=utf-8",
            body=html.encode(),
        ),
        "terminal-escapes": mail(
            *common("terminal-escapes"),
            "Subject: \x1b[2J\x1b]0;owned\x07invoice \u202egpj.exe".encode(),
            utf8,
            body=b"\x1b[31mmarker-terminal-escapes\x1b[0m \x1b]8;;http://evil.example\x07x",
        ),
    }


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    return sock


@dataclass
class Hostile:
    box: Sandbox
    report: dict[str, Any]
    messages: list[dict[str, Any]]
    corpus: dict[str, bytes]
    pixel_hits: int
    stderr: str

    def by_marker(self, name: str) -> dict[str, Any]:
        marker = f"marker-{name}"
        found = [
            m
            for m in self.messages
            if marker in (m["text"] or "") or marker in (m["subject"] or "")
        ]
        assert len(found) == 1, (name, [m["text"][:80] for m in self.messages])
        return found[0]


@pytest.fixture(scope="module")
def hostile(dovecot: Dovecot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    folder = f"Hostile{next(_folders)}"
    tracker = _listening_socket()
    try:
        corpus = hostile_corpus(f"http://127.0.0.1:{tracker.getsockname()[1]}/pixel.gif")
        dovecot.deliver(*corpus.values(), folder=folder)
        box = Sandbox(tmp_path_factory.mktemp("hostile"))
        box.config.write_text(
            account_toml(dovecot, folder, max_attachment_bytes=str(MAX_ATTACHMENT))
        )
        done = box.run("sync", "--once", "--json")
        assert done.returncode == 0, done.stderr
        [report] = json.loads(done.stdout)["accounts"]
        listed = box.run("list", "--json", "--limit", "1000")
        assert listed.returncode == 0, listed.stderr
        ids = [str(c["id"]) for c in json.loads(listed.stdout)]
        with ThreadPoolExecutor(4) as pool:
            shown = list(pool.map(lambda i: box.run("show", i, "--json"), ids))
        messages = []
        for done_show in shown:
            assert done_show.returncode == 0, done_show.stderr
            assert "Traceback" not in done_show.stderr
            messages.extend(json.loads(done_show.stdout)["messages"])
        hits = 0
        try:
            while True:
                tracker.accept()[0].close()
                hits += 1
        except BlockingIOError:
            pass
        yield Hostile(box, report, messages, corpus, hits, done.stderr)
    finally:
        tracker.close()


def test_hostile_mail_is_all_stored_and_shown_as_safe_text(hostile: Hostile) -> None:
    report, messages = hostile.report, hostile.messages
    assert "Traceback" not in hostile.stderr
    # the second message with an already-seen Message-ID is dropped as a duplicate
    assert (report["state"], report["errors"]) == ("ok", [])
    assert (report["new"], report["skipped"]) == (len(hostile.corpus) - 1, 1)
    assert len(messages) == len(hostile.corpus) - 1
    assert scalar(hostile.box.db, "SELECT count(*) FROM message") == len(hostile.corpus) - 1
    for name in hostile.corpus:
        if name == "duplicate-second":
            assert not [m for m in messages if "marker-duplicate-second" in m["text"]]
            continue
        hostile.by_marker(name)  # stored, shown, and its text is there
    for m in messages:
        for value in strings(m):
            assert "<script" not in value.lower() and "alert(" not in value, m
            assert not set(value) & {"\x1b", "\x07", "\u202e", "\x00"}, m
        assert "\ufffd" not in (m["subject"] or ""), m


def strings(value: object) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_hostile_headers_and_charsets_are_decoded(hostile: Hostile) -> None:
    m = hostile.by_marker
    assert m("no-date")["sent_at"]  # falls back to the server's INTERNALDATE
    assert m("no-from")["text"] == "marker-no-from"
    assert m("no-message-id")["message_id"] is None
    assert m("duplicate-first")["message_id"] == "<same-id@h.example>"
    assert m("no-headers")["context"].get("parse_error") == "no headers"
    assert "marker-broken-boundary" in m("broken-boundary")["text"]
    assert "¡Qapla" in m("unknown-charset")["text"]
    assert m("lying-ascii")["text"] == "marker-lying-ascii café crème"
    assert m("lying-utf8")["text"].startswith("marker-lying-utf8 caf")
    raw8 = m("raw-8bit")
    assert (raw8["sender_name"], raw8["subject"]) == ("José Müller", "Grüße aus Köln")
    assert raw8["text"] == "marker-raw-8bit grüße"
    rfc = m("rfc2047")
    assert (rfc["sender_name"], rfc["subject"]) == ("José García", "Café✓")
    assert [a["filename"] for a in rfc["attachments"]] == ["резюме.pdf", "naïve plan.txt"]
    nested = m("rfc822-nesting")
    assert [a["filename"] for a in nested["attachments"]] == ["the forwarded one.eml"]
    assert m("empty-body")["text"] == ""
    escapes = m("terminal-escapes")
    assert escapes["subject"].startswith("invoice") and "marker-terminal-escapes" in escapes["text"]


def test_messages_without_a_sender_do_not_share_one_customer(hostile: Hostile) -> None:
    no_from, no_headers = hostile.by_marker("no-from"), hostile.by_marker("no-headers")
    assert no_from["sender"] == no_headers["sender"] == ""
    assert no_from["customer_id"] != no_headers["customer_id"]


def test_an_attachment_over_the_limit_is_kept_as_metadata_only(hostile: Hostile) -> None:
    [big] = hostile.by_marker("big-attachment")["attachments"]
    assert big["filename"] == "video.mp4" and big["content_type"] == "video/mp4"
    assert big["sha256"] is None and "1 MB" in big["skipped_reason"]
    assert abs(big["size"] - BIG_ATTACHMENT) < 16, big
    stored = [p.stat().st_size for p in files_under(hostile.box.db.parent / "attachments")]
    assert all(size <= MAX_ATTACHMENT for size in stored)


def test_a_skipped_attachment_does_not_take_its_size_on_disk(hostile: Hostile) -> None:
    total = sum(p.stat().st_size for p in files_under(hostile.box.db.parent))
    assert total < BIG_ATTACHMENT, f"{total / 2**20:.1f} MiB under the data dir"


def test_html_is_text_and_nothing_is_fetched(hostile: Hostile) -> None:
    html = hostile.by_marker("html")
    assert "marker-html text" in html["text"] and "bold" in html["text"]
    assert "pixel.gif" not in html["text"] and "onerror" not in html["text"]
    assert hostile.pixel_hits == 0  # the tracking pixel was never requested


def test_nothing_is_written_outside_the_data_dir(hostile: Hostile) -> None:
    box = hostile.box
    check_data_dir(box.db.parent, box.db)
    assert files_under(box.root / "cwd") == [] and files_under(box.root / "home") == []
    assert sorted(p.name for p in box.root.iterdir()) == ["config.toml", "cwd", "data", "home"]


async def test_saving_hostile_attachments_stays_inside_the_directory(
    hostile: Hostile, tmp_path: Path
) -> None:
    target = tmp_path / "saved" / "downloads"
    parts = hostile.by_marker("evil-filenames")["attachments"]
    assert [a["filename"] for a in parts] == [
        "../../etc/passwd",
        "CON.txt",
        "..\\..\\windows\\evil.bat",
        "/etc/cron.d/evil",
        "..",
    ]
    store = await Store.open(hostile.box.db)
    try:
        saved = [await save_attachment(store, a["id"], target) for a in parts]
        saved.append(await save_attachment(store, parts[0]["id"], target))  # no clobbering
        with pytest.raises(Refused):
            big = hostile.by_marker("big-attachment")["attachments"][0]
            await save_attachment(store, big["id"], target)
    finally:
        await store.close()
    assert [p.name for p in saved] == [
        "passwd",
        "_CON.txt",
        "evil.bat",
        "evil",
        "attachment",
        "passwd (1)",
    ]
    assert all(p.parent == target.resolve() for p in saved)
    assert sorted(files_under(tmp_path)) == sorted(saved)
    assert saved[0].read_bytes() == b"root:x:0:0::/root:/bin/sh\n"


WINDOWS_DEVICE_NAMES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10)
}


async def test_saving_never_uses_a_windows_device_name(hostile: Hostile, tmp_path: Path) -> None:
    [con] = [
        a for a in hostile.by_marker("evil-filenames")["attachments"] if a["filename"] == "CON.txt"
    ]
    store = await Store.open(hostile.box.db)
    try:
        saved = await save_attachment(store, con["id"], tmp_path)
    finally:
        await store.close()
    assert saved.name.split(".")[0].upper() not in WINDOWS_DEVICE_NAMES
