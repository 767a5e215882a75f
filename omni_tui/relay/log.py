"""The relay's durable log: events for consoles, chat transcripts, replies to deliver.

Every write is committed, and the WAL synced, before its caller's webhook gets a
2xx. One writer thread commits whatever arrived while the last commit ran in a
single transaction (group commit), so many concurrent senders share one fsync;
if one write fails, the group is run again with a savepoint per write, so it fails alone.
"""

from __future__ import annotations

import asyncio
import json
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
GROUP_LIMIT = 2000  # writes per transaction at most

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    dedupe TEXT UNIQUE,
    received_at TEXT NOT NULL,
    data TEXT NOT NULL,
    raw BLOB
);
CREATE INDEX IF NOT EXISTS events_received ON events(received_at);
CREATE TABLE IF NOT EXISTS transcript (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    visitor TEXT NOT NULL,
    direction TEXT NOT NULL,
    text TEXT NOT NULL,
    author TEXT,
    sent_at TEXT NOT NULL,
    key TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS transcript_visitor ON transcript(visitor, id);
CREATE TABLE IF NOT EXISTS outbound (
    key TEXT PRIMARY KEY,
    conversation TEXT NOT NULL,
    text TEXT NOT NULL,
    author TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    next_attempt_at REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbound_due ON outbound(status, next_attempt_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    type: str
    received_at: str
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "received_at": self.received_at,
            "data": self.data,
        }


def append_event(
    db: sqlite3.Connection,
    type_: str,
    data: dict[str, Any],
    *,
    dedupe: str | None = None,
    raw: bytes | None = None,
) -> int | None:
    """The new event's id, or None when ``dedupe`` was seen before."""
    cur = db.execute(
        "INSERT OR IGNORE INTO events(type, dedupe, received_at, data, raw) VALUES (?,?,?,?,?)",
        (type_, dedupe, now_iso(), json.dumps(data, ensure_ascii=False), raw),
    )
    return cur.lastrowid if cur.rowcount else None


class _Retry(Exception):
    """A write in a group failed; the group is rolled back and run write by write."""


#: Visitors whose last change is remembered (a few MB at most).
MAX_VISITOR_MARKS = 50_000


class EventLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._writes: queue.SimpleQueue[tuple[Callable[[sqlite3.Connection], Any], Any] | None]
        self._writes = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="relay-read")
        self._read_db: sqlite3.Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tick = asyncio.Event()
        self.stopping = False  # set when the server stops: long polls answer at once
        self.instance = ""  # this log's random id: a new one means a new (or wiped) log
        # visitor → when their transcript last changed (a count of such changes): a
        # widget stream reads the log only when its visitor's mark moves
        self._visitor_marks: dict[str, int] = {}
        self._marks = 0

    # -- lifecycle -------------------------------------------------------------

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = self._connect()
        db.executescript(SCHEMA)
        db.execute("INSERT OR IGNORE INTO meta VALUES ('instance', ?)", (secrets.token_hex(8),))
        self.instance = db.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()[0]
        db.close()
        ready = threading.Event()
        self._writer = threading.Thread(target=self._write_loop, args=(ready,), daemon=True)
        self._writer.start()
        await asyncio.to_thread(ready.wait)

    async def close(self) -> None:
        if self._writer is not None:
            self._writes.put(None)
            await asyncio.to_thread(self._writer.join)
            self._writer = None
        if self._read_db is not None:
            db, self._read_db = self._read_db, None
            await asyncio.get_running_loop().run_in_executor(self._reader, db.close)
        self._reader.shutdown()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the 2xx
        db.execute("PRAGMA busy_timeout=5000")
        return db

    # -- writes ----------------------------------------------------------------

    async def write(self, change: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``change`` in the next group transaction; return once it is durable."""
        assert self._loop is not None, "open() first"
        future: asyncio.Future[T] = self._loop.create_future()
        self._writes.put((change, future))
        return await future

    def _write_loop(self, ready: threading.Event) -> None:
        db = self._connect()
        ready.set()
        stopping = False
        while not stopping:
            first = self._writes.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < GROUP_LIMIT:
                try:
                    item = self._writes.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self._commit(db, batch)
        db.close()

    def _commit(self, db: sqlite3.Connection, batch: list[Any]) -> None:
        try:
            try:
                outcomes = self._run(db, batch, isolated=False)
            except _Retry:  # one write failed: run each in a savepoint, so it fails alone
                outcomes = self._run(db, batch, isolated=True)
        except sqlite3.Error as exc:  # the commit itself failed: nothing in it happened
            outcomes = [(future, False, exc) for _, future in batch]
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._settle, outcomes)

    def _run(self, db: sqlite3.Connection, batch: list[Any], *, isolated: bool) -> list[Any]:
        outcomes: list[tuple[Any, bool, Any]] = []
        db.execute("BEGIN IMMEDIATE")
        try:
            for change, future in batch:
                if not isolated:
                    try:
                        outcomes.append((future, True, change(db)))
                    except Exception:
                        raise _Retry from None
                    continue
                db.execute("SAVEPOINT one")
                try:
                    outcomes.append((future, True, change(db)))
                    db.execute("RELEASE one")
                except Exception as exc:
                    db.execute("ROLLBACK TO one")
                    db.execute("RELEASE one")
                    outcomes.append((future, False, exc))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return outcomes

    def _settle(self, outcomes: list[tuple[Any, bool, Any]]) -> None:
        for future, ok, value in outcomes:
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        self.wake()

    def release_waiters(self) -> None:
        """The server is stopping: every long poll and stream answers now."""
        self.stopping = True
        self.wake()

    def wake(self) -> None:
        """Wake every long poll and stream waiting for a commit."""
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    def visitor_wrote(self, visitor: str) -> None:
        """A line was added to ``visitor``'s transcript (committed): their stream reads it."""
        self._marks += 1
        self._visitor_marks.pop(visitor, None)
        self._visitor_marks[visitor] = self._marks
        if len(self._visitor_marks) > MAX_VISITOR_MARKS:  # the least recent go; their
            for old in list(self._visitor_marks)[: MAX_VISITOR_MARKS // 4]:  # streams
                del self._visitor_marks[old]  # read again at the next keepalive
        self.wake()

    def visitor_mark(self, visitor: str) -> int:
        return self._visitor_marks.get(visitor, 0)

    # -- reads -----------------------------------------------------------------

    async def read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            if self._read_db is None:
                self._read_db = self._connect()
            return query(self._read_db)

        return await asyncio.get_running_loop().run_in_executor(self._reader, run)

    @property
    def tick(self) -> asyncio.Event:
        """Set by the next commit; take it before a read so no commit slips between."""
        return self._tick

    async def changed(self, tick: asyncio.Event, timeout: float) -> bool:
        """Wait until ``tick``'s commit, at most ``timeout`` seconds."""
        try:
            await asyncio.wait_for(tick.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def events_after(self, after: int, limit: int, wait: float = 0) -> list[Event]:
        deadline = time.monotonic() + wait
        while True:
            tick = self._tick  # taken before the read: a commit in between still wakes us
            found = await self.read(lambda db: _events_after(db, after, limit))
            left = deadline - time.monotonic()
            if found or left <= 0 or self.stopping:
                return found
            try:
                await asyncio.wait_for(tick.wait(), left)
            except TimeoutError:
                return []

    async def last_id(self) -> int:
        row = await self.read(lambda db: db.execute("SELECT max(id) FROM events").fetchone())
        return int(row[0] or 0)

    async def high_water(self) -> int:
        """The last id this log ever gave, pruned or not (a restored log's is lower)."""
        sql = (
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),"
            " coalesce((SELECT max(id) FROM events), 0))"
        )
        row = await self.read(lambda db: db.execute(sql).fetchone())
        return int(row[0] or 0)

    async def prune(self, older_than_days: int) -> int:
        cutoff = datetime.fromtimestamp(time.time() - older_than_days * 86400, UTC)
        mark = cutoff.isoformat(timespec="milliseconds").replace("+00:00", "Z")

        def drop(db: sqlite3.Connection) -> int:
            gone = db.execute("DELETE FROM events WHERE received_at < ?", (mark,)).rowcount
            db.execute("DELETE FROM transcript WHERE sent_at < ?", (mark,))
            db.execute("DELETE FROM outbound WHERE created_at < ? AND status != 'queued'", (mark,))
            return gone

        return await self.write(drop)


def _events_after(db: sqlite3.Connection, after: int, limit: int) -> list[Event]:
    rows = db.execute(
        "SELECT id, type, received_at, data FROM events WHERE id > ? ORDER BY id LIMIT ?",
        (after, limit),
    ).fetchall()
    return [Event(r[0], r[1], r[2], json.loads(r[3])) for r in rows]
