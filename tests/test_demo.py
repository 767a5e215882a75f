"""The demo data set: a believable support week, the same every time for the same ``now``."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from omni_tui.blobs import blob_path
from omni_tui.demo import DemoSummary, seed_demo
from omni_tui.demo.script import CUSTOMERS
from omni_tui.demo.seed import anchor, offset, timeline
from omni_tui.demo.steps import AGENTS, Email, Reply
from omni_tui.errors import Refused
from omni_tui.store import (
    Attachment,
    Conversation,
    ConversationTag,
    Customer,
    Identity,
    LinkSuggestion,
    Message,
    Outbox,
    Store,
)

NOW = datetime(2025, 3, 7, 15, 0, tzinfo=UTC)
FICTIONAL_PHONE = re.compile(r"^\+1\d{3}5550\d{3}$|^\+447700900\d{3}$|^\+49(3023125|6990009)\d{3}$")
EXAMPLE_DOMAIN = re.compile(r"@([\w-]+\.)*example\.(com|org|net)$")


async def _seed(path: Path, now: datetime = NOW) -> DemoSummary:
    async with await Store.open(path, create=True) as store:
        return await seed_demo(store, now=now)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    """One demo store for the whole module: seeding takes a few seconds."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    summary = asyncio.run(_seed(path))
    return path, summary


@pytest.fixture
async def store(seeded: tuple[Path, DemoSummary]) -> AsyncIterator[Store]:
    opened = await Store.open(seeded[0])
    try:
        yield opened
    finally:
        await opened.close()


async def _messages(store: Store) -> list[Message]:
    async with store.read() as session:
        rows = await session.exec(select(Message).order_by(col(Message.id)))
        return list(rows.all())


async def test_summary_counts_a_real_week(seeded: tuple[Path, DemoSummary], store: Store) -> None:
    _, summary = seeded
    assert summary.customers >= 40
    assert summary.messages >= 300
    assert summary.notes >= 10
    messages = await _messages(store)
    assert summary.messages == sum(m.direction != "note" for m in messages)
    assert {m.channel for m in messages} >= {"email", "sms", "chat", "phone", "note"}
    async with store.read() as session:
        customers = (await session.exec(select(Customer))).all()
        conversations = (await session.exec(select(Conversation))).all()
    assert summary.customers == len(customers)
    assert summary.conversations == len(conversations)


async def test_conversations_cover_every_channel_and_some_span_several(store: Store) -> None:
    by_conversation: dict[int, set[str]] = defaultdict(set)
    inbound: dict[int, set[str]] = defaultdict(set)
    for m in await _messages(store):
        if m.direction != "note":
            by_conversation[m.conversation_id].add(m.channel)
        if m.direction == "in":
            inbound[m.conversation_id].add(m.channel)
    assert set().union(*by_conversation.values()) >= {"email", "sms", "chat", "phone"}
    assert sum(len(channels) >= 2 for channels in by_conversation.values()) >= 4
    # customers who themselves moved channel within one case
    assert sum(len(channels) >= 2 for channels in inbound.values()) >= 4


async def test_one_reply_is_still_waiting_in_the_outbox(store: Store) -> None:
    async with store.read() as session:
        boxes = (await session.exec(select(Outbox))).all()
        queued = [b for b in boxes if b.status == "queued"]
        assert len(queued) == 1
        message = await session.get(Message, queued[0].message_id)
    assert message is not None and message.status == "queued" and message.provider_id is None
    assert all(b.status == "sent" and b.sent_at is not None for b in boxes if b not in queued)
    replies = [m for m in await _messages(store) if m.direction == "out" and m.channel != "phone"]
    assert sum(m.status == "delivered" for m in replies) == len(replies) - 1


async def test_an_unknown_texter_is_suggested_as_the_customer_who_emailed(store: Store) -> None:
    async with store.read() as session:
        pending = (
            await session.exec(select(LinkSuggestion).where(LinkSuggestion.status == "pending"))
        ).all()
        by_address = {s.address: s for s in pending}
        assert "+14155550134" in by_address
        suggestion = by_address["+14155550134"]
        emailer = await session.get(Customer, suggestion.customer_id)
        texter = await session.get(Customer, suggestion.other_customer_id)
        assert emailer is not None and emailer.name == "Helen Park"
        assert texter is not None and texter.name == "" and texter.merged_into is None
        identities = (
            await session.exec(select(Identity).where(Identity.customer_id == texter.id))
        ).all()
    assert [(i.channel, i.address) for i in identities] == [("sms", "+14155550134")]


async def test_html_only_emails_get_text_at_ingest(store: Store) -> None:
    html_only = [
        m for m in await _messages(store) if m.channel == "email" and m.html_text is not None
    ]
    assert len(html_only) >= 5
    assert all(m.text.strip() and "<" not in m.text for m in html_only)
    scripted = [
        step
        for customer in CUSTOMERS
        for case in customer.cases
        for step in case.steps
        if isinstance(step, Email) and step.html
    ]
    assert scripted and all(step.text == "" for step in scripted)


async def test_attachments_are_stored_with_their_bytes(store: Store) -> None:
    async with store.read() as session:
        attachments = (await session.exec(select(Attachment))).all()
    kinds = {a.content_type for a in attachments}
    assert {"image/png", "application/pdf", "text/csv"} <= kinds
    for a in attachments:
        assert a.sha256 and a.size > 0
        data = blob_path(store.attachments_dir, a.sha256).read_bytes()
        assert len(data) == a.size
        if a.content_type == "image/png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n")
        if a.content_type == "application/pdf":
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


async def test_cases_are_worked_on_by_agents(store: Store) -> None:
    async with store.read() as session:
        conversations = (await session.exec(select(Conversation))).all()
        tags = (await session.exec(select(ConversationTag.tag))).all()
    statuses = {c.status for c in conversations}
    assert statuses == {"open", "pending", "snoozed", "resolved"}
    assert {c.assignee for c in conversations} >= {name for name, _, _ in AGENTS}
    assert {c.team for c in conversations} >= {"support", "billing"}
    assert len(set(tags)) >= 10
    for c in conversations:
        if c.status == "snoozed":
            assert c.snoozed_until is not None and c.snoozed_until > NOW
        if c.status == "resolved":
            assert c.resolved_at is not None and c.resolved_at <= NOW
    notes = [m for m in await _messages(store) if m.direction == "note"]
    assert len(notes) >= 10 and {m.author for m in notes} == {name for name, _, _ in AGENTS}


async def test_some_customers_are_waiting_right_now(store: Store) -> None:
    async with store.read() as session:
        conversations = (await session.exec(select(Conversation))).all()
    waiting = [
        c
        for c in conversations
        if c.status == "open"
        and c.waiting_since is not None
        and c.last_inbound_at is not None
        and NOW - timedelta(hours=6) <= c.last_inbound_at <= NOW
    ]
    assert len(waiting) >= 4
    assert min(NOW - c.last_inbound_at for c in waiting if c.last_inbound_at) < timedelta(hours=1)
    assert sum(c.unread > 0 for c in waiting) >= 3


async def test_the_week_is_spread_over_seven_days_and_ends_now(store: Store) -> None:
    times = [m.sent_at for m in await _messages(store)]
    assert min(times) >= NOW - timedelta(days=7) and max(times) <= NOW
    days = {(NOW - t).days for t in times}
    assert days == set(range(7))


async def test_email_replies_thread_by_their_headers(store: Store) -> None:
    messages = await _messages(store)
    by_message_id = {m.message_id: m for m in messages if m.message_id}
    replies = [m for m in messages if m.channel == "email" and m.in_reply_to]
    assert sum(m.direction == "in" for m in replies) >= 30
    for m in replies:
        parent = by_message_id[m.in_reply_to]
        assert parent.conversation_id == m.conversation_id
        assert m.references and m.references[-1] == m.in_reply_to
        assert (m.subject or "").startswith("Re: ")


async def test_addresses_are_fictional_and_some_are_international(store: Store) -> None:
    async with store.read() as session:
        identities = (await session.exec(select(Identity))).all()
    phones = [i.address for i in identities if i.channel == "sms"]
    emails = [i.address for i in identities if i.channel == "email"]
    assert all(EXAMPLE_DOMAIN.search(e) for e in emails), emails
    alphanumeric = [p for p in phones if not p.startswith("+")]
    assert alphanumeric == ["PARCELGO"]
    assert all(FICTIONAL_PHONE.match(p) for p in phones if p not in alphanumeric), phones
    assert any(p.startswith("+44") for p in phones) and any(p.startswith("+49") for p in phones)


async def test_same_now_gives_the_same_data(
    seeded: tuple[Path, DemoSummary], store: Store, tmp_path: Path
) -> None:
    summary = await _seed(tmp_path / "again.db")
    assert summary == seeded[1]
    async with await Store.open(tmp_path / "again.db") as again:
        second = await _messages(again)

    def rows(messages: list[Message]) -> list[tuple[object, ...]]:
        return [
            (m.channel, m.direction, m.sender, m.subject, m.text, m.sent_at, m.message_id)
            for m in messages
        ]

    assert rows(await _messages(store)) == rows(second)


async def test_a_store_with_data_is_refused(store: Store) -> None:
    with pytest.raises(Refused, match="already has conversations"):
        await seed_demo(store, now=NOW)


def test_the_anchor_is_now_or_the_start_of_this_hour() -> None:
    assert anchor(NOW) == NOW
    assert anchor(NOW.replace(tzinfo=None)) == NOW
    hour = anchor()
    assert hour.tzinfo is not None and (hour.minute, hour.second, hour.microsecond) == (0, 0, 0)
    assert timedelta(0) <= datetime.now(UTC) - hour < timedelta(hours=1)


def test_offsets_read_like_the_script() -> None:
    assert offset("6d4h30m") == -timedelta(days=6, hours=4, minutes=30)
    assert offset("45m") == -timedelta(minutes=45)
    assert offset("+2d") == timedelta(days=2)
    for bad in ("", "+", "4x", "1h2d"):
        with pytest.raises(ValueError):
            offset(bad)


def test_the_script_is_consistent() -> None:
    steps = timeline()  # raises if a case's steps go back in time
    agents = {name for name, _, _ in AGENTS}
    assert all(getattr(step, "agent", None) in agents | {None} for _, _, step in steps)
    queued = [step for _, _, step in steps if isinstance(step, Reply) and step.queued]
    assert len(queued) == 1
    keys = [customer.key for customer in CUSTOMERS]
    assert len(keys) == len(set(keys))


async def test_every_inbox_view_counts_the_cases_it_lists(store: Store) -> None:
    """The number beside a view's title is the number of rows the agent can walk."""
    from omni_tui import queries
    from omni_tui.tui.inbox.views import default_views, tag_view

    counts = await queries.view_counts(store, "Ben")
    tags = await queries.all_tags(store)
    assert len(tags) >= 3
    views = default_views("Ben") + [tag_view(t) for t in tags]  # a tag's view has resolved ones
    async with store.read() as session:
        statuses = set((await session.exec(select(Conversation.status))).all())
    assert {"open", "pending", "snoozed"} <= statuses  # the views differ on this store
    for view in views:
        listed = await queries.list_conversations(store, replace(view.where, limit=10_000))
        assert counts[view.key] == len(listed), view.title
