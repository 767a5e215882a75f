"""Everything SQLite-specific lives here: pragmas, migrations, FTS5, summary SQL.

Keeping it in one module is what lets a PostgreSQL backend be added later for
teams that outgrow one server.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from omni_tui.errors import StoreError

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA synchronous=NORMAL",
)

SQLITE_MAGIC = b"SQLite format 3\x00"

_V1_TABLES = """
CREATE TABLE agent (
    id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    email VARCHAR,
    team VARCHAR,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (name)
);
CREATE TABLE customer (
    id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    note VARCHAR NOT NULL,
    created_at INTEGER NOT NULL,
    merged_into INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY(merged_into) REFERENCES customer (id)
);
CREATE TABLE event (
    id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor VARCHAR,
    kind VARCHAR NOT NULL,
    conversation_id INTEGER,
    customer_id INTEGER,
    data TEXT NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX ix_event_customer ON event (customer_id, at);
CREATE INDEX ix_event_kind_at ON event (kind, at);
CREATE INDEX ix_event_conversation ON event (conversation_id, at);
CREATE TABLE sync_cursor (
    account VARCHAR NOT NULL,
    folder VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account, folder)
);
CREATE TABLE conversation (
    id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    subject VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    assignee VARCHAR,
    team VARCHAR,
    priority VARCHAR NOT NULL,
    snoozed_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    first_response_at INTEGER,
    resolved_at INTEGER,
    last_message_at INTEGER,
    last_inbound_at INTEGER,
    last_outbound_at INTEGER,
    waiting_since INTEGER,
    unread INTEGER NOT NULL,
    message_count INTEGER NOT NULL,
    channels VARCHAR NOT NULL,
    snippet VARCHAR NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(customer_id) REFERENCES customer (id)
);
CREATE INDEX ix_conversation_status_last ON conversation (status, last_message_at);
CREATE INDEX ix_conversation_assignee_last ON conversation (assignee, last_message_at);
CREATE INDEX ix_conversation_last ON conversation (last_message_at);
CREATE INDEX ix_conversation_customer_id ON conversation (customer_id);
CREATE TABLE customer_tag (
    customer_id INTEGER NOT NULL,
    tag VARCHAR NOT NULL,
    PRIMARY KEY (customer_id, tag),
    FOREIGN KEY(customer_id) REFERENCES customer (id)
);
CREATE TABLE identity (
    id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    channel VARCHAR NOT NULL,
    address VARCHAR NOT NULL,
    display_name VARCHAR,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (channel, address),
    FOREIGN KEY(customer_id) REFERENCES customer (id)
);
CREATE INDEX ix_identity_customer_id ON identity (customer_id);
CREATE TABLE phone_mention (
    address VARCHAR NOT NULL,
    customer_id INTEGER NOT NULL,
    PRIMARY KEY (address, customer_id),
    FOREIGN KEY(customer_id) REFERENCES customer (id)
);
CREATE TABLE link_suggestion (
    id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    other_customer_id INTEGER NOT NULL,
    address VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    created_at INTEGER NOT NULL,
    decided_at INTEGER,
    decided_by VARCHAR,
    PRIMARY KEY (id),
    UNIQUE (customer_id, other_customer_id, address),
    FOREIGN KEY(customer_id) REFERENCES customer (id),
    FOREIGN KEY(other_customer_id) REFERENCES customer (id)
);
CREATE INDEX ix_link_suggestion_other_customer_id ON link_suggestion (other_customer_id);
CREATE INDEX ix_link_suggestion_customer_id ON link_suggestion (customer_id);
CREATE TABLE conversation_tag (
    conversation_id INTEGER NOT NULL,
    tag VARCHAR NOT NULL,
    PRIMARY KEY (conversation_id, tag),
    FOREIGN KEY(conversation_id) REFERENCES conversation (id)
);
CREATE INDEX ix_conversation_tag_tag ON conversation_tag (tag);
CREATE TABLE message (
    id INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    identity_id INTEGER,
    channel VARCHAR NOT NULL,
    direction VARCHAR NOT NULL,
    account VARCHAR,
    provider_id VARCHAR,
    sender VARCHAR NOT NULL,
    sender_name VARCHAR,
    recipients TEXT NOT NULL,
    subject VARCHAR,
    text VARCHAR NOT NULL,
    html_text VARCHAR,
    message_id VARCHAR,
    in_reply_to VARCHAR,
    "references" TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    received_at INTEGER,
    status VARCHAR NOT NULL,
    status_reason VARCHAR,
    author VARCHAR,
    read_at INTEGER,
    context TEXT NOT NULL,
    raw_sha256 VARCHAR,
    PRIMARY KEY (id),
    FOREIGN KEY(conversation_id) REFERENCES conversation (id),
    FOREIGN KEY(customer_id) REFERENCES customer (id),
    FOREIGN KEY(identity_id) REFERENCES identity (id)
);
CREATE UNIQUE INDEX ux_message_account_provider ON message (account, provider_id)
    WHERE provider_id IS NOT NULL;
CREATE INDEX ix_message_message_id ON message (message_id);
CREATE INDEX ix_message_identity ON message (identity_id);
CREATE INDEX ix_message_conversation_sent ON message (conversation_id, sent_at);
CREATE INDEX ix_message_customer_sent ON message (customer_id, sent_at);
CREATE TABLE attachment (
    id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    filename VARCHAR NOT NULL,
    content_type VARCHAR NOT NULL,
    size INTEGER NOT NULL,
    sha256 VARCHAR,
    inline BOOLEAN NOT NULL,
    skipped_reason VARCHAR,
    PRIMARY KEY (id),
    FOREIGN KEY(message_id) REFERENCES message (id)
);
CREATE INDEX ix_attachment_message_id ON attachment (message_id);
CREATE TABLE outbox (
    id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    channel VARCHAR NOT NULL,
    account VARCHAR,
    to_address VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_error VARCHAR,
    idempotency_key VARCHAR NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    PRIMARY KEY (id),
    UNIQUE (message_id),
    FOREIGN KEY(message_id) REFERENCES message (id),
    FOREIGN KEY(conversation_id) REFERENCES conversation (id),
    UNIQUE (idempotency_key)
);
CREATE INDEX ix_outbox_status_next ON outbox (status, next_attempt_at);
"""

_V1_SEARCH = (
    """CREATE VIRTUAL TABLE message_fts USING fts5(
        subject, text, sender,
        content='message', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER message_fts_insert AFTER INSERT ON message BEGIN
        INSERT INTO message_fts(rowid, subject, text, sender)
        VALUES (new.id, new.subject, new.text, new.sender);
    END""",
    """CREATE TRIGGER message_fts_delete AFTER DELETE ON message BEGIN
        INSERT INTO message_fts(message_fts, rowid, subject, text, sender)
        VALUES ('delete', old.id, old.subject, old.text, old.sender);
    END""",
    """CREATE TRIGGER message_fts_update AFTER UPDATE OF subject, text, sender ON message BEGIN
        INSERT INTO message_fts(message_fts, rowid, subject, text, sender)
        VALUES ('delete', old.id, old.subject, old.text, old.sender);
        INSERT INTO message_fts(rowid, subject, text, sender)
        VALUES (new.id, new.subject, new.text, new.sender);
    END""",
)

_V2_TABLES = """
CREATE TABLE account_health (
    account VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    last_success_at INTEGER,
    last_error VARCHAR,
    next_retry_at INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account)
);
CREATE TABLE draft (
    conversation_id INTEGER NOT NULL,
    agent VARCHAR NOT NULL,
    channel VARCHAR,
    to_address VARCHAR,
    mode VARCHAR NOT NULL,
    body VARCHAR NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, agent),
    FOREIGN KEY(conversation_id) REFERENCES conversation (id)
);
"""

_V2_COLUMNS = ("ALTER TABLE customer ADD COLUMN opted_out_at INTEGER",)


_V3_TABLES = """
CREATE TABLE presence (
    agent VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    seen_at INTEGER NOT NULL,
    composing_conversation_id INTEGER,
    composing_since INTEGER,
    PRIMARY KEY (agent)
);
"""


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


#: The author of messages omni-tui sends by itself (acknowledgements): they are not
#: an answer, so they neither stop a case's waiting clock nor count as first response.
AUTO_AUTHOR = "auto-reply"

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # v1: customers, identities, conversations, messages, outbox, cursors, events
    (*_statements(_V1_TABLES), *_V1_SEARCH),
    # v2: drafts, account health, SMS opt-out
    (*_statements(_V2_TABLES), *_V2_COLUMNS),
    # v3: agent presence
    tuple(_statements(_V3_TABLES)),
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


def create_engine(path: Path, begin: str) -> AsyncEngine:
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # we issue BEGIN ourselves, so writers can take the lock up front
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


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


def inspect_file(path: Path) -> tuple[int, int]:
    """(schema version, number of tables) read without changing the file."""
    # immutable: a read that never creates -wal/-shm files next to a store we may refuse
    uri = f"file:{path}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            version = conn.execute(GET_VERSION_SQL).fetchone()[0]
            tables = conn.execute(COUNT_TABLES_SQL).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
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
                      AND coalesce(m.author, '') != '{auto}'),
  unread = (SELECT count(*) FROM message m WHERE m.conversation_id = conversation.id
            AND m.direction = 'in' AND m.read_at IS NULL),
  message_count = (SELECT count(*) FROM message m WHERE m.conversation_id = conversation.id),
  first_response_at = (SELECT min(sent_at) FROM message m
                       WHERE m.conversation_id = conversation.id AND m.direction = 'out'
                       AND coalesce(m.author, '') != '{auto}'),
  channels = coalesce((SELECT group_concat(channel, ',') FROM (
                SELECT DISTINCT channel FROM message m
                WHERE m.conversation_id = conversation.id AND m.direction != 'note'
                ORDER BY channel)), ''),
  snippet = coalesce((SELECT substr(m.text, 1, 400) FROM message m
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
        AND m.direction = 'in' AND m.sent_at > coalesce(conversation.last_outbound_at, -1))
  END
WHERE id IN ({ids})
"""


def refresh_summary_sql(conversation_ids: Iterable[int]) -> list[str]:
    ids = ",".join(str(int(i)) for i in sorted(set(conversation_ids)))
    if not ids:
        return []
    return [
        REFRESH_SUMMARY_SQL.format(ids=ids, auto=AUTO_AUTHOR),
        REFRESH_WAITING_SQL.format(ids=ids),
    ]


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


def csv_contains(column: object, value: str) -> object:
    """SQL for: the comma-separated ``column`` holds ``value``."""
    from sqlalchemy import literal

    return (literal(",") + column + literal(",")).like(f"%,{value},%")  # type: ignore[operator]


# -- search ----------------------------------------------------------------

_TOKEN = re.compile(r"\w+", re.UNICODE)


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


# newest matches first: ranking every match by bm25 costs ~10x on a large store,
# and for support the recent case is nearly always the one wanted
SEARCH_IDS_SQL = """
SELECT rowid FROM message_fts WHERE message_fts MATCH :query
ORDER BY rowid DESC LIMIT :limit
"""
