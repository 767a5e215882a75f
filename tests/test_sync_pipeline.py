"""A sync stores each batch with its cursor while it pulls the next: in order, all or
nothing per batch, and the pull read ahead is closed however the sync ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from adapters.base import ChannelError, Cursor, PullResult
from omni_tui import ingest_batch, sync
from omni_tui.ingest import IngestOptions
from omni_tui.store import Store, SyncCursor
from tests.test_ingest import _messages, email


async def _pull(log: list[str], fail_at: int | None = None) -> AsyncIterator[PullResult]:
    try:
        for n in range(4):
            log.append(f"pulled {n}")
            if n == fail_at:
                raise ChannelError("the server went away")
            batch = [email(f"P{n}-{i}", f"c{n}{i}@example.com") for i in range(3)]
            yield PullResult(batch, Cursor("support-mail", "INBOX", f"after-{n}"))
    finally:
        log.append("closed")


async def _cursor(store: Store) -> str | None:
    async with store.read() as session:
        found = (await session.exec(select(SyncCursor))).first()
    return found.value if found else None


async def test_a_sync_stores_batches_in_order_while_it_pulls_the_next(store: Store) -> None:
    log: list[str] = []
    report = sync.AccountReport("support-mail", "email")

    def note(account: str, done: int, total: int | None) -> None:
        log.append(f"stored {done}")

    await sync._store_batches(
        store, sync._prepared(_pull(log), IngestOptions()), report, IngestOptions(), note
    )
    assert report.new == 12 and await _cursor(store) == "after-3"
    assert log.index("pulled 1") < log.index("stored 3")  # the next was pulled meanwhile
    assert log.count("closed") == 1 and log.index("stored 9") < log.index("closed")


async def test_a_pull_that_fails_midway_keeps_the_batches_before_it(store: Store) -> None:
    log: list[str] = []
    report = sync.AccountReport("support-mail", "email")
    with pytest.raises(ChannelError):
        await sync._store_batches(
            store,
            sync._prepared(_pull(log, fail_at=2), IngestOptions()),
            report,
            IngestOptions(),
            None,
        )
    assert await _cursor(store) == "after-1"
    assert len(await _messages(store)) == 6 and log[-1] == "closed"


async def test_a_batch_that_fails_to_store_closes_the_pull_it_was_reading_ahead(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    log: list[str] = []
    real = ingest_batch.EmailBatch.run
    calls = 0

    async def second_fails(self: ingest_batch.EmailBatch, *args: object) -> object:
        nonlocal calls
        calls += 1
        if calls >= 2:  # and so every message of it, and its stand-in: nothing stores
            raise RuntimeError("disk on fire")
        return await real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_batch.EmailBatch, "run", second_fails)
    report = sync.AccountReport("support-mail", "email")
    with pytest.raises(RuntimeError, match="disk on fire"):
        await sync._store_batches(
            store, sync._prepared(_pull(log), IngestOptions()), report, IngestOptions(), None
        )
    assert await _cursor(store) == "after-0" and report.new == 3
    assert log[-1] == "closed"


async def test_a_stop_asked_for_mid_pull_ends_it_after_the_batch_being_stored(
    store: Store,
) -> None:
    """SIGTERM on a long first sync: it stops between two transactions, at once."""
    log: list[str] = []
    stop = asyncio.Event()
    stop.set()  # asked while the first batch is on its way
    report = sync.AccountReport("support-mail", "email")
    pulled = sync._prepared(_pull(log), IngestOptions())
    await sync._store_batches(store, pulled, report, IngestOptions(), None, stop)
    assert (report.new, await _cursor(store)) == (3, "after-0")
    assert log[-1] == "closed"  # the pull read ahead is closed too


async def test_a_message_whose_date_the_store_cannot_take_is_kept_undated_and_the_sync_goes_on(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its stand-in kept the same date and failed the same way: the account stopped on
    that batch for good, and no later mail of the folder was ever stored."""
    real = ingest_batch.EmailBatch.run

    async def no_dates(self: ingest_batch.EmailBatch, messages: Any, *args: Any) -> Any:
        if any(m.sent_at is not None and m.provider_id == "P1-1" for m in messages):
            raise ValueError("a date this store cannot take")
        return await real(self, messages, *args)

    monkeypatch.setattr(ingest_batch.EmailBatch, "run", no_dates)
    report = sync.AccountReport("support-mail", "email")
    pulled = sync._prepared(_pull([]), IngestOptions())
    await sync._store_batches(store, pulled, report, IngestOptions(), None)
    assert report.new == 12 and await _cursor(store) == "after-3"
    kept = [m for m in await _messages(store) if m.provider_id == "P1-1"]
    assert len(kept) == 1 and kept[0].context["ingest_error"].startswith("ValueError")
    assert any("P1-1: kept as a stand-in" in e for e in report.errors)


async def test_a_batch_stored_one_by_one_that_stops_midway_counts_what_it_stored(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk on its third message: the two before it are committed, and a report
    of "new 0" sends an admin looking for mail that is there."""
    real = ingest_batch.EmailBatch.run

    async def failing(self: ingest_batch.EmailBatch, messages: Any, *args: Any) -> Any:
        if len(messages) > 1:
            raise ValueError("the batch will not store")  # one by one, then
        if messages[0].provider_id == "P0-2":
            raise sync.StoreError("the disk is full")
        return await real(self, messages, *args)

    monkeypatch.setattr(ingest_batch.EmailBatch, "run", failing)
    report = sync.AccountReport("support-mail", "email")
    with pytest.raises(sync.StoreError):
        await sync._store_batches(
            store, sync._prepared(_pull([]), IngestOptions()), report, IngestOptions(), None
        )
    assert report.new == 2 and len(await _messages(store)) == 2
