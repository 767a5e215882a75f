"""A case a batch of email opens has the summary the store's own refresh would give it."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from adapters.base import AttachmentData, InboundMessage
from omni_tui.ingest import ingest
from omni_tui.ingest_summary import COLUMNS
from omni_tui.store import Store, refresh_summaries
from omni_tui.timestamps import to_ms
from tests.conftest import T0

CUSTOMERS = [f"customer{n}@example.com" for n in range(8)]
SUBJECTS = [*(f"Order #{n}" for n in range(20)), "Re: Order #1", "Refund", ""]


def mail(n: int, rng: random.Random, step: timedelta) -> InboundMessage:
    """One email of a tangled mailbox: out of order, replies both ways, some of them
    with a photo and no words, now and then our own reply seen in the Sent folder.
    A coarse ``step`` dates many at the same time: ties are where the rules differ."""
    customer = rng.choice(CUSTOMERS)
    ours = rng.random() < 0.3
    kw: dict[str, Any] = {}
    if rng.random() < 0.4 and n > 1:
        kw["in_reply_to"] = f"<m{rng.randrange(1, n)}@example.com>"
    if rng.random() < 0.2:
        kw["attachments"] = [AttachmentData(rng.choice(["lid.jpg", "", "bon\x1b.pdf"]), data=b"x")]
    return InboundMessage(
        "email",
        "support",
        str(n),
        "help@shop.example" if ours else customer,
        text="" if rng.random() < 0.2 else rng.choice(["Where is it?", "Thanks!", "é" * 600]),
        recipients=[customer] if ours else ["help@shop.example"],
        subject=rng.choice(SUBJECTS),
        sent_at=T0 + step * rng.randrange(0, timedelta(days=30) // step),
        message_id=f"<m{n}@example.com>",
        direction="out" if ours else "in",
        raw=f"Message-ID: <m{n}@example.com>\r\n\r\n{n}".encode(),
        **kw,
    )


def _ties() -> list[InboundMessage]:
    """A case whose reply came the same minute as the customer's first and second words."""
    at, steps = T0 + timedelta(days=60), [("in", 0), ("out", 0), ("in", 5), ("out", 5), ("in", 9)]
    return [
        InboundMessage(
            "email",
            "support",
            f"tie{n}",
            "help@shop.example" if way == "out" else "tie@example.com",
            text=f"words {n}",
            recipients=["tie@example.com"] if way == "out" else [],
            subject="Same minute",
            sent_at=at + timedelta(minutes=minute),
            message_id=f"<tie{n}@example.com>",
            direction=way,  # type: ignore[arg-type]
            in_reply_to=f"<tie{n - 1}@example.com>" if n else None,
        )  # fmt: skip
        for n, (way, minute) in enumerate(steps)
    ]


async def _summaries(store: Store) -> dict[int, tuple[Any, ...]]:
    async with store.read() as session:
        rows = await session.exec(text(f"SELECT id, {', '.join(COLUMNS)} FROM conversation"))  # type: ignore[call-overload]
        return {row[0]: tuple(row[1:]) for row in rows.all()}


@pytest.mark.parametrize("step", [timedelta(minutes=1), timedelta(days=1)])
async def test_the_summary_of_a_case_a_batch_opened_is_the_stores_own(
    store: Store, step: timedelta
) -> None:
    rng = random.Random(7)
    numbers = iter(range(1, 10_000))
    for size in (150, 1, 100, 250):  # later batches add to cases the earlier ones opened
        await ingest(store, [mail(next(numbers), rng, step) for _ in range(size)])
    await ingest(store, _ties())
    by_batch = await _summaries(store)
    assert len(by_batch) > 20 and any(row[7].startswith("📎") for row in by_batch.values())
    async with store.write() as session:
        await refresh_summaries(session, list(by_batch))
    assert await _summaries(store) == by_batch


def _email(pid: str, subject: str, days: int, **kw: Any) -> InboundMessage:
    return InboundMessage(
        "email", "support", pid, "maria@example.com", text="hello", subject=subject,
        sent_at=T0 + timedelta(days=days), message_id=f"<m{pid}@example.com>", **kw,
    )  # fmt: skip


async def test_a_batch_sums_up_the_cases_it_opened_and_refreshes_the_others(
    store: Store, monkeypatch: Any
) -> None:
    """The store's refresh runs only for cases that were there before the batch."""
    first = await ingest(store, [_email("1", "Order #1042", 0)])
    refreshed: list[set[int]] = []

    async def spy(session: Any, ids: Any) -> None:
        refreshed.append(set(ids))
        await refresh_summaries(session, ids)

    monkeypatch.setattr("omni_tui.ingest.refresh_summaries", spy)
    second = await ingest(
        store,
        [
            _email("2", "A new question", 30),
            _email("3", "Re: x", 1, in_reply_to="<m1@example.com>"),
        ],
    )
    old_case, new_case = first.conversation_ids[0], second.conversation_ids[0]
    assert second.conversation_ids[1] == old_case and new_case != old_case
    assert refreshed == [{old_case}]


@pytest.mark.parametrize("before", [timedelta(hours=1), timedelta(0)])
async def test_mail_dated_at_or_before_1970_is_stored_and_summed_up_as_the_store_would(
    store: Store, before: timedelta
) -> None:
    """A "Date: Thu, 01 Jan 1970 00:00:00 +0100" (a broken client) is before the epoch:
    the batch's summary failed on it, and the account's sync stopped there for good."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC) - before
    mails = [_email("e1", "Order", 0), _email("e2", "Re", 0, in_reply_to="<me1@example.com>")]
    mails = [replace(m, sent_at=epoch + timedelta(seconds=n)) for n, m in enumerate(mails)]
    ours = replace(
        mails[1], provider_id="o1", message_id="<o1@example.com>", direction="out",
        sender="help@shop.example", recipients=["maria@example.com"], sent_at=epoch,
    )  # fmt: skip
    alone = replace(mails[0], provider_id="a1", message_id="<a1@example.com>", sender="li@x.org")
    result = await ingest(store, [mails[0], ours, mails[1], alone])
    assert result.new == 4
    by_batch = await _summaries(store)
    async with store.write() as session:
        await refresh_summaries(session, list(by_batch))
    assert await _summaries(store) == by_batch
    waiting = [row[COLUMNS.index("waiting_since")] for row in by_batch.values()]
    assert waiting == [to_ms(mails[1].sent_at), to_ms(alone.sent_at)]  # nobody answered them
