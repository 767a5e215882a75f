"""What does SQLite alone take to store what a first email sync stores?

Usage, on a store a first sync filled (``email_sync.py --keep`` prints where it is)::

    .venv/bin/python bench/email_sync.py --messages 10000 --skip-mbsync --keep
    .venv/bin/python bench/email_floor.py --store /tmp/omni-bench-email-…/omni/omni.db --json

It reads the messages and raw emails back out of that store, then inserts them into
a fresh database with the stdlib ``sqlite3`` module in batches of ``--batch`` (as the
sync commits them): only the message rows with two indexes, plus the raw emails,
plus the search index (the same FTS5 table as the store's), with the same pragmas.
No Python parsing, no customers, threads or summaries, no event loop: a floor for
the store's writer, not something omni-tui could reach. Each variant runs once with
SQLite checkpointing inline and once without (the sync checkpoints on a thread of
its own), as ``*_s`` and ``*_no_checkpoint_s``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

VARIANTS = ("messages", "messages+raw", "messages+search", "messages+raw+search")

SCHEMA = (
    "CREATE TABLE raw_message (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE message (id INTEGER PRIMARY KEY, conversation_id INT, customer_id INT,"
    " sender TEXT, subject TEXT, sent_at INT, raw_sha256 TEXT, text TEXT)",
    "CREATE INDEX ix_conversation ON message (conversation_id, sent_at)",
    "CREATE INDEX ix_customer ON message (customer_id, sent_at)",
    "CREATE VIRTUAL TABLE message_fts USING fts5(subject, text, sender, content='message',"
    " content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO message_fts(message_fts, rank) VALUES('hashsize', 16777216)",
)


def load(store: Path) -> tuple[list[tuple[object, ...]], dict[str, bytes]]:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
        messages = conn.execute(
            "SELECT id, conversation_id, customer_id, sender, subject, sent_at, raw_sha256, text"
            " FROM message ORDER BY id"
        ).fetchall()
        raws = dict(conn.execute("SELECT sha256, data FROM raw_message").fetchall())
    return messages, raws


def run(
    messages: list[tuple[object, ...]],
    raws: dict[str, bytes],
    variant: str,
    *,
    batch_size: int,
    checkpoint: bool,
) -> float:
    with tempfile.TemporaryDirectory(prefix="omni-floor-") as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None)
        pragmas = ["journal_mode=WAL", "synchronous=NORMAL", "cache_size=-32768"]
        for pragma in pragmas + ([] if checkpoint else ["wal_autocheckpoint=0"]):
            conn.execute(f"PRAGMA {pragma}")
        for statement in SCHEMA:
            conn.execute(statement)
        began = time.perf_counter()
        for start in range(0, len(messages), batch_size):
            batch = messages[start : start + batch_size]
            conn.execute("BEGIN IMMEDIATE")
            if "raw" in variant:
                conn.executemany(
                    "INSERT OR IGNORE INTO raw_message VALUES (?, ?)",
                    [(m[6], raws[m[6]]) for m in batch if m[6] in raws],  # type: ignore[index]
                )
            conn.executemany("INSERT INTO message VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
            if "search" in variant:
                conn.executemany(
                    "INSERT INTO message_fts (rowid, subject, text, sender) VALUES (?, ?, ?, ?)",
                    [(m[0], m[4], m[7], m[3]) for m in batch],
                )
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - began
        conn.close()
    return round(elapsed, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a store a first sync filled")
    parser.add_argument("--batch", type=int, default=500, help="messages per transaction")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()
    messages, raws = load(args.store)
    result: dict[str, object] = {
        "messages": len(messages),
        "text_mb": round(sum(len(str(m[7])) for m in messages) / 2**20, 1),
        "raw_mb": round(sum(len(r) for r in raws.values()) / 2**20, 1),
        "batch": args.batch,
    }
    for variant in VARIANTS:
        key = variant.replace("+", "_")
        for checkpoint, suffix in ((True, "_s"), (False, "_no_checkpoint_s")):
            result[key + suffix] = run(
                messages, raws, variant, batch_size=args.batch, checkpoint=checkpoint
            )
        print(f"{variant}: {result[key + '_s']} s", file=sys.stderr)
    print(json.dumps(result, indent=2) if args.json else result)


if __name__ == "__main__":
    main()
