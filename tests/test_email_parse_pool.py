"""A long first sync parses in a worker process: the same rows, and nothing lost if it dies."""

from __future__ import annotations

import asyncio
import hashlib
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from adapters.base import Cursor
from adapters.email.imap import FetchedBatch
from omni_tui import blobs, parse_batch, parse_pool
from omni_tui.store import Store
from omni_tui.sync import sync_once
from tests.servers import Dovecot
from tests.test_email import config_for, email, folder  # noqa: F401 (fixture)

MAIL = 14
BATCH = 3  # five batches: the worker starts with the first


def rows(db: Path) -> list[tuple[Any, ...]]:
    """What an agent would see of each message, in order, and the raw message kept."""
    with sqlite3.connect(db) as conn:
        conn.create_function("sha256", 1, lambda data: hashlib.sha256(data).hexdigest())
        return conn.execute(
            "SELECT m.provider_id, m.subject, m.text, m.sender, m.message_id, c.subject,"
            " (SELECT count(*) FROM attachment a WHERE a.message_id = m.id),"
            " m.raw_sha256, (SELECT sha256(r.data) FROM raw_message r"
            "  WHERE r.sha256 = m.raw_sha256)"
            " FROM message m JOIN conversation c ON c.id = m.conversation_id ORDER BY m.id"
        ).fetchall()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sync goes on only once the worker is up, so which batch it gets is known."""
    real = parse_pool.ParsePool._start

    async def and_ready(self: parse_pool.ParsePool) -> None:
        await real(self)
        assert self._ready is not None
        await asyncio.shield(self._ready)

    monkeypatch.setattr(parse_pool.ParsePool, "_start", and_ready)


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Batches the worker process answered."""
    answered: list[int] = []
    real = parse_pool.ParsePool._ask

    async def counted(self: parse_pool.ParsePool, args: tuple[object, ...]) -> Any:
        answer = await real(self, args)
        answered.append(len(answer[0][0]))
        return answer

    monkeypatch.setattr(parse_pool.ParsePool, "_ask", counted)
    return answered


async def sync_into(db: Path, dovecot: Dovecot, folder: str) -> None:  # noqa: F811
    async with await Store.open(db, create=True) as store:
        [report] = await sync_once(store, config_for(dovecot, folder))
    assert (report.state, report.new, report.skipped) == ("ok", MAIL, 0)


async def test_a_long_sync_parses_in_a_worker_and_stores_what_a_short_one_stores(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    started: None,
    asked: list[int],
) -> None:
    dovecot.deliver(*(email(n) for n in range(MAIL)), folder=folder)
    monkeypatch.setattr("omni_tui.accounts.IMAP_BATCH", BATCH)
    await sync_into(tmp_path / "worker.db", dovecot, folder)
    assert sum(asked) == MAIL - BATCH  # all but the first batch, parsed while it started

    asked.clear()
    monkeypatch.setattr(parse_pool, "WORTH_IT", 10**6)  # never worth a worker
    await sync_into(tmp_path / "here.db", dovecot, folder)
    assert asked == []
    assert rows(tmp_path / "worker.db") == rows(tmp_path / "here.db")
    assert len(rows(tmp_path / "here.db")) == MAIL
    assert all(row[-2] is not None and row[-2] == row[-1] for row in rows(tmp_path / "worker.db"))


def with_attachment(n: int) -> bytes:
    """Message ``n`` with a file; messages 0 and 1 carry the same one."""
    message = message_from_bytes(email(n), policy=email_policy.default)
    assert isinstance(message, EmailMessage)
    message.add_attachment(
        f"invoice {max(n, 1)}\n".encode() * 500,
        maintype="application",
        subtype="pdf",
        filename=f"invoice-{n}.pdf",
    )
    return message.as_bytes()


def test_a_raw_message_crosses_the_pipe_once_unless_it_was_rewritten(tmp_path: Path) -> None:
    """The sync holds what it sent; only a message kept other than it came goes back."""
    when = datetime(2026, 12, 1, tzinfo=UTC)
    items = [(1, email(1), when), (2, with_attachment(2), when)]  # the file is over the limit
    batch = FetchedBatch("INBOX", 1, items, Cursor("support", "INBOX", "1:2"), left=0)
    args = ("support", 1000, "US", tmp_path / "attachments", batch)

    answered = parse_batch.answer(*args)
    (messages, prepared), returned = answered
    assert returned == [0] and messages[0].raw is None and prepared is not None
    assert messages[1].raw is not None and b"invoice 2" not in messages[1].raw
    piped = pickle.loads(pickle.dumps(answered, protocol=pickle.HIGHEST_PROTOCOL))
    assert parse_batch.with_raw(batch, piped) == without_words(parse_batch.parse_and_prepare(*args))


def without_words(parsed: parse_batch.Parsed) -> parse_batch.Parsed:
    messages, prepared = parsed
    return [replace(m, text="", html=None) for m in messages], prepared


def with_body(n: int, words: str, subtype: str) -> bytes:
    message = message_from_bytes(email(n), policy=email_policy.default)
    assert isinstance(message, EmailMessage)
    message.set_content(words if subtype == "plain" else f"<p>{words}</p>", subtype=subtype)
    return message.as_bytes()


def test_the_words_of_a_prepared_batch_cross_the_pipe_once(tmp_path: Path) -> None:
    """The store takes a message's words from its prepared row: the answer holds them once."""
    words = "the grinder burr squeaks after the descaling cycle " * 400
    items = [(1, with_body(1, words, "plain"), None), (2, with_body(2, words, "html"), None)]
    batch = FetchedBatch("INBOX", 1, items, Cursor("support", "INBOX", "1:2"), left=0)
    answered = parse_batch.answer("support", 1 << 20, "US", tmp_path / "attachments", batch)
    (messages, prepared), _ = answered
    assert prepared is not None and all("descaling" in p.text for p in prepared)
    assert all(m.text == "" and m.html is None for m in messages)
    assert len(pickle.dumps(answered)) < 1.5 * len(words) * 2


async def test_attachments_written_by_the_worker_are_on_disk_before_their_rows_commit(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    started: None,
    asked: list[int],
) -> None:
    dovecot.deliver(*(with_attachment(n) for n in range(MAIL)), folder=folder)
    monkeypatch.setattr("omni_tui.accounts.IMAP_BATCH", BATCH)
    db = tmp_path / "worker" / "omni.db"
    db.parent.mkdir()
    flushes: list[int] = []  # attachment rows committed when each flush ran
    real_flush = blobs.flush

    def counted_flush(root: Path) -> None:
        real_flush(root)
        with sqlite3.connect(db) as conn:
            flushes.append(conn.execute("SELECT count(*) FROM attachment").fetchone()[0])

    monkeypatch.setattr(blobs, "flush", counted_flush)
    await sync_into(db, dovecot, folder)
    assert sum(asked) == MAIL - BATCH
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT sha256, size FROM attachment ORDER BY id").fetchall()
    assert len(stored) == MAIL and len({sha for sha, _ in stored}) == MAIL - 1  # 0 and 1 share
    for sha, size in stored:
        data = blobs.get(db.parent / "attachments", sha)
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha
    # one flush per batch, each before that batch's rows were committed
    assert flushes == [n * BATCH for n in range(len(flushes))] and len(flushes) == 5


async def test_a_worker_that_dies_mid_sync_loses_and_duplicates_nothing(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    started: None,
) -> None:
    dovecot.deliver(*(email(n) for n in range(MAIL)), folder=folder)
    monkeypatch.setattr("omni_tui.accounts.IMAP_BATCH", BATCH)
    real, calls = parse_pool.ParsePool._ask, []

    async def dies_on_the_second_batch(self: parse_pool.ParsePool, args: Any) -> Any:
        calls.append(1)
        if len(calls) == 2 and self._worker is not None:
            self._worker.kill()  # as the OOM killer would
            await self._worker.wait()
        return await real(self, args)

    monkeypatch.setattr(parse_pool.ParsePool, "_ask", dies_on_the_second_batch)
    await sync_into(tmp_path / "omni.db", dovecot, folder)
    stored = rows(tmp_path / "omni.db")
    assert len(stored) == MAIL and len({r[0] for r in stored}) == MAIL
    assert len(calls) == 2  # after the failure, the rest was parsed in the sync itself


async def test_a_worker_that_never_starts_keeps_no_batch_waiting(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    asked: list[int],
) -> None:
    dovecot.deliver(*(email(n) for n in range(MAIL)), folder=folder)
    monkeypatch.setattr("omni_tui.accounts.IMAP_BATCH", BATCH)
    stuck = (sys.executable, "-c", "import time; time.sleep(60)")  # as a swapping machine would
    monkeypatch.setattr(parse_pool.ParsePool, "command", stuck)
    began = time.monotonic()
    await sync_into(tmp_path / "omni.db", dovecot, folder)
    assert time.monotonic() - began < 5  # a started worker gets 5 s to exit; this one none
    assert asked == []
    assert len(rows(tmp_path / "omni.db")) == MAIL


async def test_a_sync_started_beside_another_omni_tui_checkout_parses_with_its_own_code(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    started: None,
    asked: list[int],
) -> None:
    """The console is often started in a project folder; the worker never imports from it."""
    impostor = tmp_path / "checkout" / "omni_tui"
    impostor.mkdir(parents=True)
    (impostor / "__init__.py").write_text("")
    (impostor / "parse_worker.py").write_text("raise SystemExit('not this one')\n")
    monkeypatch.chdir(impostor.parent)
    dovecot.deliver(*(email(n) for n in range(MAIL)), folder=folder)
    monkeypatch.setattr("omni_tui.accounts.IMAP_BATCH", BATCH)
    await sync_into(tmp_path / "omni.db", dovecot, folder)
    assert sum(asked) == MAIL - BATCH  # omni-tui's own worker parsed them


async def test_closing_while_the_worker_holds_a_batch_does_not_wait_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync stopped mid-batch (the console quits) ends now, not after the worker's grace."""
    holds = "import sys, time; sys.stdout.write('R'); sys.stdout.flush(); time.sleep(60)"
    monkeypatch.setattr(parse_pool.ParsePool, "command", (sys.executable, "-c", holds))
    pool = parse_pool.ParsePool("support", 1 << 20, "US", tmp_path)
    await pool._start()
    assert pool._ready is not None and await pool._ready == parse_pool.READY
    asking = asyncio.ensure_future(pool._ask(("a batch",)))
    await asyncio.sleep(0.2)
    asking.cancel()
    began = time.monotonic()
    await pool.close()
    assert time.monotonic() - began < 2  # a worker with nothing in hand gets 5 s
    assert pool._worker is None


def long_email(n: int) -> bytes:
    """A message whose parsed form is far bigger than a pipe's 64 KB."""
    message = message_from_bytes(email(n), policy=email_policy.default)
    assert isinstance(message, EmailMessage)
    message.set_content(f"line {n} of a long log the customer pasted\n" * 20_000)
    return message.as_bytes()


async def test_a_worker_stopped_and_resumed_mid_answer_still_answers_whole(
    tmp_path: Path, asked: list[int]
) -> None:
    """ctrl+z and fg on a long first sync: every answer arrives whole, no sync hangs."""
    pool = parse_pool.ParsePool("support", 1 << 20, "US", tmp_path / "attachments")
    items = [(n + 1, long_email(n), None) for n in range(3)]
    batch = FetchedBatch("INBOX", 1, items, Cursor("support", "INBOX", "1:3"), left=9)
    first = (await pool.parse(batch))[1]  # parsed here; starts the worker
    assert first is not None
    expected = [p.text for p in first]
    assert pool._ready is not None and await pool._ready == parse_pool.READY
    assert pool._worker is not None
    worker, done = pool._worker.pid, threading.Event()

    def stop_and_resume() -> None:
        while not done.is_set():
            os.kill(worker, signal.SIGSTOP)
            time.sleep(0.002)
            os.kill(worker, signal.SIGCONT)
            time.sleep(0.005)

    flicker = threading.Thread(target=stop_and_resume)
    flicker.start()
    try:
        for _ in range(12):
            _messages, prepared = await asyncio.wait_for(pool.parse(batch), 20)
            assert prepared is not None and [p.text for p in prepared] == expected
    finally:
        done.set()
        flicker.join()
        await pool.close()
    assert asked == [3] * 12  # all of them by the worker, none parsed here after a failure


def test_the_parsing_worker_is_ready_without_loading_the_store() -> None:
    """The worker starts while the first batch is parsed in the sync: what it imports
    decides how many batches the sync parses itself. The store's ORM is not among it."""
    loaded = subprocess.run(
        [*parse_pool.ParsePool.command[:-2], "-c", WORKER_IMPORTS],
        capture_output=True,
        text=True,
        check=True,
        env=parse_pool._worker_env(),
    ).stdout.split()
    assert "omni_tui.parse_batch" in loaded
    assert not [m for m in loaded if m.split(".")[0] in ("sqlalchemy", "sqlmodel", "aiosqlite")]


WORKER_IMPORTS = """
import sys
import omni_tui.parse_worker, omni_tui.parse_batch
print(*sys.modules)
"""
