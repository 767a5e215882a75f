"""Everything SQLite-specific lives here (and its tables in ``schema``): pragmas,
migrations, FTS5, summary and report SQL.

Keeping it in one module is what lets a PostgreSQL backend be added later for
teams that outgrow one server.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omni_tui.errors import StoreError
from omni_tui.store import schema
from omni_tui.store.failures import disk_failure, store_error

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

#: The most the WAL file keeps once a checkpoint has emptied it: a long read (an
#: export, a report) lets it grow while the daemon writes, and it is cut back after.
WAL_KEEP_BYTES = 64 * 1024 * 1024

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA journal_size_limit={WAL_KEEP_BYTES}",
)

#: A writer's page cache, 32 MB (SQLite's default is 2 MB): a batch of mail rewrites
#: tens of megabytes of pages (rows, indexes, search segments), and the summaries
#: it then refreshes read them back. Pages are allocated only as they are used.
WRITER_SETUP = ("PRAGMA cache_size=-32768",)

SQLITE_MAGIC = b"SQLite format 3\x00"

#: The author of messages omni-tui sends by itself (acknowledgements): they are not
#: an answer, so they neither stop a case's waiting clock nor count as first response.
AUTO_AUTHOR = "auto-reply"

#: Reports count messages per UTC day of this many milliseconds.
DAY_MS = 86_400_000

#: a reply that counts as an answer: not one cancelled, nor one that failed to go out
ANSWERED = "coalesce(m.status, '') NOT IN ('cancelled', 'failed')"

# the case's first inbound message: when and on which channel the customer wrote first
REFRESH_FIRST_INBOUND_SQL = """
UPDATE conversation SET
  first_inbound_at = (SELECT min(sent_at) FROM message m
                      WHERE m.conversation_id = conversation.id AND m.direction = 'in'),
  first_inbound_channel = (SELECT m.channel FROM message m
                           WHERE m.conversation_id = conversation.id AND m.direction = 'in'
                           ORDER BY m.sent_at, m.id LIMIT 1)
WHERE id IN ({ids})
"""

# the first agent answer to it, and how often the customer changed channel
REFRESH_FIRST_REPLY_SQL = """
UPDATE conversation SET
  first_reply_at = (SELECT min(sent_at) FROM message m
                    WHERE m.conversation_id = conversation.id AND m.direction = 'out'
                    AND coalesce(m.author, '') != '{auto}' AND {answered}
                    AND m.sent_at >= conversation.first_inbound_at),
  first_reply_channel = (SELECT m.channel FROM message m
                         WHERE m.conversation_id = conversation.id AND m.direction = 'out'
                         AND coalesce(m.author, '') != '{auto}' AND {answered}
                         AND m.sent_at >= conversation.first_inbound_at
                         ORDER BY m.sent_at, m.id LIMIT 1),
  channel_switches = (SELECT count(*) FROM (
                        SELECT m.channel AS channel,
                               lag(m.channel) OVER (ORDER BY m.sent_at, m.id) AS previous
                        FROM message m
                        WHERE m.conversation_id = conversation.id AND m.direction = 'in')
                      WHERE previous != channel)
WHERE id IN ({ids})
"""


# the case's channel switches, pair by pair (the reports' "between which channels")
REFRESH_SWITCHES_SQL = (
    "DELETE FROM channel_switch WHERE conversation_id IN ({ids})",
    """
INSERT INTO channel_switch (conversation_id, previous, channel, n)
SELECT conversation_id, previous, channel, count(*) FROM (
  SELECT m.conversation_id, m.channel,
         lag(m.channel) OVER (PARTITION BY m.conversation_id ORDER BY m.sent_at, m.id)
           AS previous
  FROM message m WHERE m.conversation_id IN ({ids}) AND m.direction = 'in')
WHERE previous != channel
GROUP BY conversation_id, previous, channel
""",
)


#: Tables derived from the messages for the reports: never exported, rebuilt on import.
REPORT_TABLES = ("daily_volume", "channel_switch")

REBUILD_REPORT_TABLES_SQL = (
    "DELETE FROM daily_volume",
    schema.v5_backfill(DAY_MS, AUTO_AUTHOR),
    "DELETE FROM channel_switch",
    REFRESH_SWITCHES_SQL[1].format(ids="SELECT id FROM conversation WHERE channel_switches > 0"),
)


def _v4_backfill() -> tuple[str, ...]:
    every = "SELECT id FROM conversation"
    return (
        REFRESH_FIRST_INBOUND_SQL.format(ids=every),
        REFRESH_FIRST_REPLY_SQL.format(ids=every, auto=AUTO_AUTHOR, answered=ANSWERED),
    )


MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # v1: customers, identities, conversations, messages, outbox, cursors, events
    (*schema.statements(schema.V1_TABLES), *schema.V1_SEARCH),
    # v2: drafts, account health, SMS opt-out
    (*schema.statements(schema.V2_TABLES), *schema.V2_COLUMNS),
    # v3: agent presence
    tuple(schema.statements(schema.V3_TABLES)),
    # v4: report columns and indexes
    (*schema.V4_COLUMNS, *_v4_backfill(), *schema.statements(schema.V4_INDEXES)),
    # v5: daily volume and channel-switch pairs, kept as messages arrive
    (
        *schema.statements(schema.V5_TABLES),
        *schema.v5_triggers(DAY_MS, AUTO_AUTHOR),
        *REBUILD_REPORT_TABLES_SQL,
    ),
    # v6: raw messages in the store
    tuple(schema.statements(schema.V6_TABLES)),
    # v7: the inbox's sort orders
    tuple(schema.statements(schema.V7_INDEXES)),
    # v8: bulk inserts index their messages themselves
    schema.V8_SEARCH,
    # v9: the search index writes a batch's words in one go
    schema.V9_SEARCH,
    # v10: the search index keeps words, not their places
    schema.V10_SEARCH,
    # v11: a draft per case and mode, with its attached files
    schema.V11_DRAFTS,
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrations_after(version: int) -> Iterable[tuple[int, tuple[str, ...]]]:
    """The migrations a store at ``version`` still needs, numbered from 1."""
    for number, statements in enumerate(MIGRATIONS, start=1):
        if number > version:
            yield number, statements


def set_version_sql(version: int) -> str:
    return f"PRAGMA user_version={int(version)}"


GET_VERSION_SQL = "PRAGMA user_version"
DEFER_FOREIGN_KEYS_SQL = "PRAGMA defer_foreign_keys=ON"
COUNT_TABLES_SQL = "SELECT count(*) FROM sqlite_master WHERE type='table'"


#: With checkpoints on their own thread (``checkpointer``), a writer checkpoints
#: in its commit only past this many pages, to keep the log bounded regardless.
WRITER_CHECKPOINT_PAGES = 16_384
BACKGROUND_CHECKPOINT_SETUP = (f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_PAGES}",)
PASSIVE_CHECKPOINT_SQL = "PRAGMA wal_checkpoint(PASSIVE)"

#: How a writer begins: it takes the write lock up front, so two never deadlock.
WRITE_BEGIN = "BEGIN IMMEDIATE"


def create_engine(path: Path, begin: str, pragmas: tuple[str, ...] = ()) -> AsyncEngine:
    from sqlalchemy import event  # here, not at the top: the console paints without it
    from sqlalchemy.ext.asyncio import create_async_engine

    from omni_tui.store import closing

    closing.install()
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # we issue BEGIN ourselves, so writers can take the lock up front
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS + pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


def connect_reader(path: Path) -> sqlite3.Connection:
    """A stdlib connection for ``Store.snapshot``: same pragmas, rows by name."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return conn


def probe(path: Path) -> int:
    """Open the store as every reader will and read its version (through the WAL).

    What a current store's open comes down to: a folder that is not writable or a
    damaged file fails here, as one line, not later in the first query.
    """
    conn = connect_reader(path)
    try:
        return int(conn.execute(GET_VERSION_SQL).fetchone()[0])
    finally:
        conn.close()


#: What an agent runs to see whether a store file is damaged (``STORE``: its path).
CHECK_COMMAND = "sqlite3 STORE 'PRAGMA integrity_check'"


def check_file(path: Path) -> None:
    """Refuse, before writing a byte, a file that is not an SQLite database."""
    if path.is_dir():
        raise StoreError(f"{path}: is a directory, not a store — pass a file path with --db")
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the store ({exc.strerror})") from None
    if head != SQLITE_MAGIC:
        raise StoreError(f"{path}: not an omni-tui store (not an SQLite database) — check --db")


def pending_upgrade(path: Path) -> int | None:
    """The schema version of the store at ``path`` when opening it will upgrade it in
    place; None when it will not (no store, current, newer or unreadable: opening it
    says which)."""
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
        version, _ = inspect_file(path)
    except (OSError, StoreError):
        return None
    return version if 0 < version < SCHEMA_VERSION else None


def inspect_file(path: Path) -> tuple[int, int]:
    """(schema version, number of tables) read without changing the file."""
    # immutable: a read that never creates -wal/-shm files next to a store we may refuse.
    # But a store whose writer was killed can hold half a checkpoint in the main file,
    # completed only by its WAL: then the WAL must be read too (its files are there).
    wal = path.with_name(path.name + "-wal")
    uri = f"file:{path}?mode=ro" if wal.exists() else f"file:{path}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            version = conn.execute(GET_VERSION_SQL).fetchone()[0]
            tables = conn.execute(COUNT_TABLES_SQL).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if disk_failure(path, exc, "cannot open the store"):  # not a damaged store
            raise store_error(path, exc, "cannot open the store") from None
        raise StoreError(f"{path}: the store is damaged or unreadable ({exc})") from None
    return int(version), int(tables)


# -- summary ---------------------------------------------------------------

REFRESH_SUMMARY_SQL = """
UPDATE conversation SET
  last_message_at = (SELECT max(sent_at) FROM message m
                     WHERE m.conversation_id = conversation.id AND m.direction != 'note'),
  last_inbound_at = (SELECT max(sent_at) FROM message m
                     WHERE m.conversation_id = conversation.id AND m.direction = 'in'),
  last_outbound_at = (SELECT max(sent_at) FROM message m
                      WHERE m.conversation_id = conversation.id AND m.direction = 'out'
                      AND coalesce(m.author, '') != '{auto}' AND {answered}),
  unread = (SELECT count(*) FROM message m WHERE m.conversation_id = conversation.id
            AND m.direction = 'in' AND m.read_at IS NULL),
  message_count = (SELECT count(*) FROM message m WHERE m.conversation_id = conversation.id),
  first_response_at = (SELECT min(sent_at) FROM message m
                       WHERE m.conversation_id = conversation.id AND m.direction = 'out'
                       AND coalesce(m.author, '') != '{auto}' AND {answered}),
  channels = coalesce((SELECT group_concat(channel, ',') FROM (
                SELECT DISTINCT channel FROM message m
                WHERE m.conversation_id = conversation.id AND m.direction != 'note'
                ORDER BY channel)), ''),
  snippet = coalesce((SELECT CASE WHEN m.text != '' THEN substr(m.text, 1, 400)
               ELSE coalesce((SELECT '📎 ' || a.filename FROM attachment a
                              WHERE a.message_id = m.id ORDER BY a.id LIMIT 1), '') END
             FROM message m
             WHERE m.conversation_id = conversation.id AND m.direction != 'note'
             ORDER BY m.sent_at DESC, m.id DESC LIMIT 1), '')
WHERE id IN ({ids})
"""

# waiting_since: the customer's first message since our last answer, if unanswered
REFRESH_WAITING_SQL = """
UPDATE conversation SET waiting_since = CASE
  WHEN last_inbound_at IS NULL THEN NULL
  WHEN last_outbound_at IS NOT NULL AND last_outbound_at >= last_inbound_at THEN NULL
  ELSE (SELECT min(sent_at) FROM message m WHERE m.conversation_id = conversation.id
        AND m.direction = 'in' AND (conversation.last_outbound_at IS NULL
                                    OR m.sent_at > conversation.last_outbound_at))
  END
WHERE id IN ({ids})
"""


def refresh_summary_sql(conversation_ids: Iterable[int]) -> list[str]:
    ids = ",".join(str(int(i)) for i in sorted(set(conversation_ids)))
    if not ids:
        return []
    return [
        REFRESH_SUMMARY_SQL.format(ids=ids, auto=AUTO_AUTHOR, answered=ANSWERED),
        REFRESH_WAITING_SQL.format(ids=ids),
        REFRESH_FIRST_INBOUND_SQL.format(ids=ids),
        REFRESH_FIRST_REPLY_SQL.format(ids=ids, auto=AUTO_AUTHOR, answered=ANSWERED),
        *(statement.format(ids=ids) for statement in REFRESH_SWITCHES_SQL),
    ]


#: cases an export brought without their report columns (one from before schema v4, or
#: written by hand): an import works them out from the messages
UNCOUNTED_SQL = (
    "SELECT id FROM conversation WHERE first_inbound_at IS NULL"
    " AND EXISTS (SELECT 1 FROM message m WHERE m.conversation_id = conversation.id)"
)


# a bulk insert of messages indexes them itself (schema v8, ``search_batch``)
BEGIN_SEARCH_BATCH_SQL = "INSERT INTO search_batch (active) VALUES (1)"
INDEX_MESSAGES_SQL = "INSERT INTO message_fts (rowid, subject, text, sender) VALUES (?, ?, ?, ?)"
END_SEARCH_BATCH_SQL = "DELETE FROM search_batch"
#: a raw message kept twice (a resend, a copy in two folders) is one row
KEEP_RAW_SQL = "INSERT OR IGNORE INTO raw_message (sha256, data) VALUES (?, ?)"


def next_ids_sql(tables: Iterable[str]) -> str:
    """The rowid SQLite would give the next row of each table (max + 1).

    Exact only while the caller holds the write lock, as every writer does.
    """
    parts = [f"(SELECT coalesce(max(rowid), 0) + 1 FROM {t})" for t in tables]
    return "SELECT " + ", ".join(parts)


def move_customer_rows_sql(table: str) -> list[str]:
    """Repoint a (customer_id, key) table from :other to :keep, dropping duplicates."""
    return [
        f"UPDATE OR IGNORE {table} SET customer_id = :keep WHERE customer_id = :other",
        f"DELETE FROM {table} WHERE customer_id = :other",
    ]


def insert_or_ignore(table: Any) -> Any:
    """An INSERT that keeps the row already there when the key exists."""
    from sqlalchemy import insert

    return insert(table).prefix_with("OR IGNORE")


def csv_contains(column: object, value: str) -> object:
    """SQL for: the comma-separated ``column`` holds ``value``."""
    from sqlalchemy import literal

    return (literal(",") + column + literal(",")).like(f"%,{value},%")  # type: ignore[operator]


# -- search ----------------------------------------------------------------

#: a word as the search index cuts it: "_" parts words there (not in ``\w``), and a
#: query word must be one indexed word (the index keeps no places, so no phrases)
_TOKEN = re.compile(r"[^\W_]+")


def word_list(text: str) -> list[str]:
    return _TOKEN.findall(text)


def fts_query(text: str) -> str | None:
    """Turn what an agent typed into a safe FTS5 query: every word must match,
    the last one as a prefix, and no FTS syntax is ever interpreted."""
    words = _TOKEN.findall(text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    if len(words[-1]) >= 2:  # a one-letter prefix matches half the store
        quoted[-1] += "*"
    return " ".join(quoted)


#: Scripts written without spaces between words (Chinese, Japanese, Thai…): the
#: index's tokenizer keeps a whole run as one word, so a word inside it is never found.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)


def needs_substring_search(text: str) -> bool:
    return _UNSPACED.search(text) is not None


def substring_search_sql(words: int) -> str:
    """Messages holding every word anywhere (a scan: for the scripts above only)."""
    each = "(instr(lower(m.text), ?) > 0 OR instr(lower(coalesce(m.subject, '')), ?) > 0)"
    where = " AND ".join([each] * words)
    return f"SELECT m.id FROM message m WHERE {where} ORDER BY m.id DESC LIMIT ?"


# newest matches first: ranking every match by bm25 costs ~10x on a large store,
# and for support the recent case is nearly always the one wanted
SEARCH_IDS_SQL = """
SELECT rowid FROM message_fts WHERE message_fts MATCH :query
ORDER BY rowid DESC LIMIT :limit
"""


# -- reports (omni_tui.reports fills in the keys, durations and filters) ---------------

REPORT_CASES_SQL = """
SELECT {key} AS key, count(*) AS cases,
  group_concat(CASE WHEN c.first_reply_at IS NOT NULL THEN {response} END) AS response,
  group_concat(CASE WHEN c.status = 'resolved' AND c.resolved_at IS NOT NULL
               THEN {resolution} END) AS resolution,
  count(c.resolved_at) AS resolved,
  coalesce(sum(c.resolved_at IS NOT NULL AND (c.status != 'resolved'
      OR c.id IN (SELECT conversation_id FROM event WHERE kind = 'reopen'))), 0) AS reopened,
  coalesce(sum(c.channel_switches), 0) AS switches,
  coalesce(sum(c.channel_switches > 0), 0) AS switched,
  coalesce(sum(c.first_reply_at IS NOT NULL
      AND c.first_reply_channel != c.first_inbound_channel), 0) AS other_channel
FROM conversation c {join}
WHERE c.created_at >= :since AND c.created_at < :until {where}
GROUP BY key
"""

# kept by triggers on message; {channel}: an optional channel filter
REPORT_DAILY_VOLUME_SQL = """
SELECT day, channel, inbound, outbound FROM daily_volume
WHERE day BETWEEN :first_day AND :last_day {channel} AND (inbound OR outbound)
ORDER BY day, channel
"""

# volume of a subset of cases (agent or team filter): per day, one range scan of
# ix_message_sent_direction_channel, grouped by channel
REPORT_VOLUME_SQL = """
WITH RECURSIVE day(d) AS (
  SELECT :first_day UNION ALL SELECT d + 1 FROM day WHERE d < :last_day)
SELECT d, (SELECT json_group_array(json_array(channel, inbound, outbound)) FROM (
  SELECT m.channel AS channel, sum(m.direction = 'in') AS inbound,
         sum(m.direction = 'out' AND coalesce(m.author, '') != '{auto}') AS outbound
  FROM message m
  WHERE m.sent_at >= d * {day} AND m.sent_at < (d + 1) * {day}
    AND m.direction IN ('in', 'out') {scope}
  GROUP BY m.channel))
FROM day
"""

# channel_switch is kept with the case's summary; it is small (only cases that
# switched), so it drives the join: 3x faster than probing it for every case
REPORT_PAIRS_SQL = """
SELECT s.previous, s.channel, sum(s.n) FROM channel_switch s
CROSS JOIN conversation c ON c.id = s.conversation_id {join}
WHERE c.created_at >= :since AND c.created_at < :until {where}
GROUP BY s.previous, s.channel
ORDER BY sum(s.n) DESC, s.previous, s.channel
"""

REPORT_BACKLOG_SQL = """
SELECT c.assignee, count(*), {buckets}
FROM conversation c {join}
WHERE c.status IN ('open', 'pending', 'snoozed') AND c.created_at <= {now} {where}
GROUP BY c.assignee
ORDER BY count(*) DESC, c.assignee
"""
