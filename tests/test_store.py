from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import SQLModel, select

from adapters.base import InboundMessage
from omni_tui.errors import StoreError
from omni_tui.ingest import ingest
from omni_tui.store import SCHEMA_VERSION, Customer, Store
from omni_tui.store import sqlite as backend
from omni_tui.store.checkpointer import WRITER_LIMIT
from tests.conftest import T0


def _columns(path: Path) -> dict[str, set[str]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'message_fts%'"
            )
        ]
        return {t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")} for t in tables}
    finally:
        conn.close()


async def test_migrated_schema_matches_the_models(store: Store) -> None:
    on_disk = _columns(store.path)
    expected = {t.name: {c.name for c in t.columns} for t in SQLModel.metadata.sorted_tables}
    assert on_disk == expected


async def test_store_uses_wal_foreign_keys_and_a_busy_timeout(store: Store) -> None:
    async with store.read() as session:
        conn = await session.connection()
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() >= 5000


def _make_v1_store(path: Path) -> None:
    """A file exactly as the first released schema left it, with one customer."""
    conn = sqlite3.connect(path)
    for statement in backend.MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version=1")
    conn.execute("INSERT INTO customer (name, note, created_at) VALUES ('Old Timer', '', 0)")
    conn.commit()
    conn.close()


async def test_a_store_from_an_older_schema_opens_and_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _make_v1_store(path)
    async with await Store.open(path) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        async with store.read() as session:
            names = (await session.exec(select(Customer.name))).all()
        assert names == ["Old Timer"]
    assert "opted_out_at" in _columns(path)["customer"]
    assert "draft" in _columns(path)


async def test_a_store_from_a_newer_schema_is_refused_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    async with await Store.open(path, create=True):
        pass
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer"):
        await Store.open(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "content", [b"hello, I am a text file\n", b"SQLite format 3\x00garbage" * 64]
)
async def test_a_file_that_is_not_a_store_is_refused_untouched(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(StoreError) as caught:
        await Store.open(path)
    assert "\n" not in str(caught.value)
    assert path.read_bytes() == content
    assert not Path(f"{path}-wal").exists()


async def test_a_missing_store_is_not_created_by_accident(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    with pytest.raises(StoreError, match="no store here"):
        await Store.open(path)
    assert not path.exists()


async def test_full_text_index_follows_edits_and_deletes(store: Store) -> None:
    from omni_tui import queries
    from omni_tui.store import Message

    await ingest(
        store,
        [
            InboundMessage(
                "email",
                "mail",
                "1",
                "ana@example.com",
                "grinder burr broken",
                subject="Broken grinder",
                sent_at=T0,
            )
        ],
    )
    assert [h["subject"] for h in await queries.search(store, "burr")] == ["Broken grinder"]
    async with store.write() as session:
        message = (await session.exec(select(Message))).one()
        message.text = "the kettle leaks"
        session.add(message)
    assert await queries.search(store, "burr") == []
    assert len(await queries.search(store, "kettle")) == 1
    async with store.write() as session:
        await session.delete((await session.exec(select(Message))).one())
    assert await queries.search(store, "kettle") == []


async def test_drafts_saved_before_files_were_kept_open_with_no_files(tmp_path: Path) -> None:
    from omni_tui import drafts

    path = tmp_path / "v10.db"
    async with await Store.open(path, create=True) as store:
        result = await ingest(
            store, [InboundMessage("email", "mail", "1", "ana@example.com", "hi", sent_at=T0)]
        )
        [case] = result.conversation_ids
        assert case is not None
        await drafts.save_draft(store, case, "Ana", "Dear Ana,")
    with sqlite3.connect(path) as conn:  # the draft table as v10 left it
        conn.execute("ALTER TABLE draft DROP COLUMN files")
        conn.execute("PRAGMA user_version=10")
    async with await Store.open(path) as store:
        draft = await drafts.load_draft(store, case, "Ana")
        assert draft is not None and (draft.body, draft.files) == ("Dear Ana,", [])
        await drafts.save_draft(store, case, "Ana", "Dear Ana,", files=["/tmp/a.pdf"])
        draft = await drafts.load_draft(store, case, "Ana")
        assert draft is not None and draft.files == ["/tmp/a.pdf"]


async def test_a_store_indexed_with_word_places_is_reindexed_and_still_found(
    tmp_path: Path,
) -> None:
    """v10 keeps words without their places: an older store's index is rebuilt on open."""
    from omni_tui import queries

    path = tmp_path / "v9.db"
    async with await Store.open(path, create=True) as store:
        await ingest(
            store,
            [InboundMessage("email", "mail", "1", "ana@example.com", "grinder burr", sent_at=T0)],
        )
    conn = sqlite3.connect(path)  # the index as v9 left it
    conn.execute("DROP TABLE message_fts")
    conn.execute(backend.MIGRATIONS[0][-4])  # v1's CREATE VIRTUAL TABLE, with places
    conn.execute("INSERT INTO message_fts(message_fts) VALUES('rebuild')")
    conn.execute("ALTER TABLE draft DROP COLUMN files")  # v11's
    conn.execute("PRAGMA user_version=9")
    conn.commit()
    conn.close()
    async with await Store.open(path) as store:
        assert [h["snippet"] for h in await queries.search(store, "bur")] == ["grinder burr"]
        await ingest(
            store,
            [InboundMessage("email", "mail", "2", "bo@example.com", "burr again", sent_at=T0)],
        )
        assert len(await queries.search(store, "burr")) == 2
    with sqlite3.connect(path) as conn:
        table = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'message_fts'")
        assert "detail=column" in table.fetchone()[0]


async def test_a_word_with_an_underscore_is_searched_as_its_parts(store: Store) -> None:
    from omni_tui import queries

    await ingest(
        store,
        [InboundMessage("email", "mail", "1", "ana@example.com", "error SHIP_DELAY", sent_at=T0)],
    )
    assert len(await queries.search(store, "ship_delay")) == 1
    assert len(await queries.search(store, "ship_del")) == 1


async def test_a_word_inside_chinese_or_japanese_text_is_found(store: Store) -> None:
    """Written without spaces, a whole run was one word to the index: 坏了 in 水壶坏了
    found nothing, nor 壶."""
    from omni_tui import queries

    await ingest(
        store,
        [
            InboundMessage("sms", "sms", "SM1", "+8613800138000", "我的水壶坏了 order 1042"),
            InboundMessage("sms", "sms", "SM2", "+819012345678", "注文がまだ届きません"),
        ],
    )
    for query, found in (("坏了", 1), ("壶", 1), ("水壶 ORDER", 1), ("届き", 1), ("坏了 届き", 0)):
        hits = await queries.search(store, query)
        assert len(hits) == found, query
    [hit] = await queries.search(store, "坏了")
    start, end = hit["highlights"][0]
    assert "坏了" in hit["snippet"][start:end]


async def test_search_treats_fts_syntax_as_plain_words(store: Store) -> None:
    from omni_tui import queries

    await ingest(
        store,
        [
            InboundMessage(
                "sms", "sms", "SM1", "+14155550100", 'order "1042" NOT here (soon)', sent_at=T0
            )
        ],
    )
    for query in ['"1042', "NOT here", "(soon", "order AND", "*", "-"]:
        await queries.search(store, query)  # never raises
    assert len(await queries.search(store, 'NOT "here')) == 1


def test_all_sqlite_specific_sql_lives_in_one_module() -> None:
    root = Path(__file__).resolve().parents[1] / "omni_tui"
    offenders = []
    own_modules = {
        root / "store" / "sqlite.py",
        root / "store" / "schema.py",  # its tables
        root / "relay" / "log.py",  # the relay's own log
    }
    for path in root.rglob("*.py"):
        if path in own_modules:
            continue
        source = path.read_text()
        for marker in ("PRAGMA", "fts5", "MATCH ", "OR IGNORE", "group_concat", "sqlite_master"):
            if marker in source:
                offenders.append(f"{path.relative_to(root)}: {marker}")
    assert offenders == []


_KILLED_WRITER = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA wal_autocheckpoint=0")
conn.execute("CREATE TABLE late_table (x)")
conn.execute("INSERT INTO customer (name, note, created_at) VALUES ('After the kill', '', 0)")
os.kill(os.getpid(), 9)
"""


async def test_a_store_whose_writer_died_mid_checkpoint_opens_through_its_wal(
    tmp_path: Path,
) -> None:
    path = tmp_path / "omni.db"
    async with await Store.open(path, create=True):
        pass
    subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(path)], check=False)
    assert Path(f"{path}-wal").stat().st_size > 0
    # a checkpoint cut short: the main file's first page half-written, the WAL whole
    with path.open("r+b") as fh:
        fh.seek(100)
        fh.write(b"\0" * 3000)
    async with await Store.open(path) as store:
        async with store.read() as session:
            names = (await session.exec(select(Customer.name))).all()
            conn = await session.connection()
            check = (await conn.exec_driver_sql("PRAGMA integrity_check")).scalar()
    assert names == ["After the kill"] and check == "ok"


def _wal_left(path: Path) -> int:
    """Frames of the write-ahead log not yet copied into the database."""
    conn = sqlite3.connect(path)
    try:
        _, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return frames - copied
    finally:
        conn.close()


async def _writer_checkpoint_limit(store: Store) -> int:
    async with store.write() as session:
        conn = await session.connection()
        return (await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar_one()


async def test_a_syncs_store_copies_its_log_on_its_own_thread_not_in_its_commits(
    tmp_path: Path,
) -> None:
    path = tmp_path / "omni.db"
    store = await Store.open(path, create=True, background_checkpoints=True)
    checkpointer = store._checkpointer
    assert checkpointer is not None
    try:
        for i in range(8):  # 8 MB: twice what SQLite would checkpoint in a commit
            mail = [
                InboundMessage("email", "m", f"B{i}-{k}", f"c{k}@example.com", "w" * 100_000)
                for k in range(10)
            ]
            await ingest(store, mail)
        assert await _writer_checkpoint_limit(store) == WRITER_LIMIT
        for _ in range(100):
            if checkpointer.checkpoints and _wal_left(path) == 0:
                break
            await asyncio.sleep(0.02)
        assert checkpointer.checkpoints > 0 and _wal_left(path) == 0
    finally:
        await store.close()
    assert not checkpointer._thread.is_alive()


async def test_other_stores_keep_sqlites_own_checkpoints(store: Store) -> None:
    assert store._checkpointer is None
    assert await _writer_checkpoint_limit(store) == 1000
