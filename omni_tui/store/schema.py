"""The store's tables, as the SQL that creates them, one block per schema version.

``sqlite.MIGRATIONS`` applies them in order; a store is upgraded in place, and a
block, once released, never changes.
"""

from __future__ import annotations

V1_TABLES = """
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

V1_SEARCH = (
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

V2_TABLES = """
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

V2_COLUMNS = ("ALTER TABLE customer ADD COLUMN opted_out_at INTEGER",)


V3_TABLES = """
CREATE TABLE presence (
    agent VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    seen_at INTEGER NOT NULL,
    composing_conversation_id INTEGER,
    composing_since INTEGER,
    PRIMARY KEY (agent)
);
"""


# v4: report columns on the conversation summary (filled for existing cases by the
# refresh statements below) and the two indexes the reports read
V4_COLUMNS = (
    "ALTER TABLE conversation ADD COLUMN first_inbound_at INTEGER",
    "ALTER TABLE conversation ADD COLUMN first_inbound_channel VARCHAR",
    "ALTER TABLE conversation ADD COLUMN first_reply_at INTEGER",
    "ALTER TABLE conversation ADD COLUMN first_reply_channel VARCHAR",
    "ALTER TABLE conversation ADD COLUMN channel_switches INTEGER NOT NULL DEFAULT 0",
)

V4_INDEXES = """
CREATE INDEX ix_message_sent_direction_channel ON message (sent_at, direction, channel, author);
CREATE INDEX ix_conversation_report ON conversation (created_at, first_inbound_channel,
    assignee, team, status, resolved_at, first_inbound_at, first_reply_at,
    first_reply_channel, channel_switches);
"""


# v5: what the reports would otherwise aggregate from every message at report time.
# Messages per day and channel, kept by triggers in the same transaction as the
# message itself, so no writer can forget them.
V5_TABLES = """
CREATE TABLE daily_volume (
    day INTEGER NOT NULL,
    channel VARCHAR NOT NULL,
    inbound INTEGER NOT NULL DEFAULT 0,
    outbound INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, channel)
) WITHOUT ROWID;
CREATE TABLE channel_switch (
    conversation_id INTEGER NOT NULL,
    previous VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, previous, channel),
    FOREIGN KEY(conversation_id) REFERENCES conversation (id) ON DELETE CASCADE
) WITHOUT ROWID;
"""

# {day}, {auto}: the day length in ms and the author of automatic replies
_COUNT = """
INSERT INTO daily_volume (day, channel, inbound, outbound)
SELECT {row}.sent_at / {day}, {row}.channel, {sign} ({row}.direction = 'in'),
       {sign} ({row}.direction = 'out' AND coalesce({row}.author, '') != '{auto}')
WHERE {row}.direction IN ('in', 'out')
ON CONFLICT (day, channel) DO UPDATE SET
  inbound = inbound + excluded.inbound, outbound = outbound + excluded.outbound;
"""


def v5_triggers(day: int, auto: str) -> tuple[str, ...]:
    """The triggers that keep ``daily_volume`` (each is one statement for the migrator)."""
    add = _COUNT.format(row="new", sign="+", day=day, auto=auto)
    remove = _COUNT.format(row="old", sign="-", day=day, auto=auto)
    return (
        f"CREATE TRIGGER message_volume_insert AFTER INSERT ON message BEGIN {add} END",
        f"CREATE TRIGGER message_volume_delete AFTER DELETE ON message BEGIN {remove} END",
        "CREATE TRIGGER message_volume_update AFTER UPDATE OF sent_at, channel, direction,"
        f" author ON message BEGIN {remove} {add} END",
    )


def v5_backfill(day: int, auto: str) -> str:
    return f"""
INSERT INTO daily_volume (day, channel, inbound, outbound)
SELECT sent_at / {day}, channel, sum(direction = 'in'),
       sum(direction = 'out' AND coalesce(author, '') != '{auto}')
FROM message WHERE direction IN ('in', 'out') GROUP BY 1, 2
"""


# v6: each received message's raw bytes, in the store itself: written in the same
# transaction as its row (no file, no fsync of its own), so it is there exactly
# when the message is. Stores from before keep their files under raw/.
V6_TABLES = """
CREATE TABLE raw_message (
    sha256 VARCHAR NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (sha256)
);
"""


# v7: the inbox's two orders, indexed exactly as the listing writes them, so a page
# of any view is a range read, not a sort of every case in it (the Resolved view
# sorted 300,000 cases for each page: 2.4 s).
WAITING_KEY = "coalesce({t}waiting_since, 4611686018427387904)"  # never waited: last
ACTIVITY_KEY = "coalesce({t}last_message_at, {t}created_at)"
_WAITING, _ACTIVITY = WAITING_KEY.format(t=""), ACTIVITY_KEY.format(t="")
V7_INDEXES = f"""
CREATE INDEX ix_conversation_status_waiting ON conversation (status, {_WAITING}, id);
CREATE INDEX ix_conversation_status_activity ON conversation (status, {_ACTIVITY}, id);
CREATE INDEX ix_conversation_activity ON conversation ({_ACTIVITY}, id);
CREATE INDEX ix_conversation_waiting ON conversation ({_WAITING}, id);
"""

# v8: a batch of messages can index itself in one go. Indexing row by row from the
# trigger costs FTS5 a flush per row (each trigger statement is a savepoint); a
# bulk insert marks its transaction in ``search_batch`` and adds the same values to
# the index itself before it commits. The mark is never seen outside that
# transaction, so every other writer (the sqlite3 shell too) keeps the trigger.
V8_SEARCH = (
    "CREATE TABLE search_batch (active INTEGER NOT NULL PRIMARY KEY)",
    "DROP TRIGGER message_fts_insert",
    """CREATE TRIGGER message_fts_insert AFTER INSERT ON message
    WHEN NOT EXISTS (SELECT 1 FROM search_batch) BEGIN
        INSERT INTO message_fts(rowid, subject, text, sender)
        VALUES (new.id, new.subject, new.text, new.sender);
    END""",
)


# v9: the search index flushes a batch's words once, not every megabyte: a first
# sync writes batches of hundreds of emails, and FTS5's default (1 MB) cut each
# into several small segments that it then merged again.
V9_SEARCH = ("INSERT INTO message_fts(message_fts, rank) VALUES('hashsize', 16777216)",)


# v10: the search index keeps which messages (and fields) hold each word, not where
# in them (``detail=column``). Search asks for words and prefixes only
# (``sqlite.fts_query``), never phrases, NEAR or ranking. For 10,000 emails the
# index is 14 MB instead of 40 and a first sync fills it in two thirds of the time;
# prefix searches are as fast as before (``detail=none`` would be smaller still, but
# its prefix searches take twice as long). The triggers name the table, so they
# index into the new one.
V10_SEARCH = (
    "DROP TABLE message_fts",
    """CREATE VIRTUAL TABLE message_fts USING fts5(
        subject, text, sender,
        content='message', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', detail=column)""",
    *V9_SEARCH,
    "INSERT INTO message_fts(message_fts) VALUES('rebuild')",
)


# v11: an agent keeps a draft per case *and mode*, so a private note begun while a
# reply waits (or the other way round) never takes the other's text (a note opened
# on a reply draft used to go to the customer); and a draft keeps its attached files,
# so a console that crashed or quit brings them back with the text.
V11_DRAFTS = (
    """CREATE TABLE draft_v11 (
    conversation_id INTEGER NOT NULL,
    agent VARCHAR NOT NULL,
    mode VARCHAR NOT NULL,
    channel VARCHAR,
    to_address VARCHAR,
    body VARCHAR NOT NULL,
    updated_at INTEGER NOT NULL,
    files VARCHAR NOT NULL DEFAULT '[]',
    PRIMARY KEY (conversation_id, agent, mode),
    FOREIGN KEY(conversation_id) REFERENCES conversation (id)
)""",
    "INSERT INTO draft_v11 (conversation_id, agent, mode, channel, to_address, body, updated_at)"
    " SELECT conversation_id, agent, mode, channel, to_address, body, updated_at FROM draft",
    "DROP TABLE draft",
    "ALTER TABLE draft_v11 RENAME TO draft",
)


def statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
