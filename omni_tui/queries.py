"""Read models for the console and the CLI: plain dicts ready for JSON.

The inbox reads only the conversation summary columns, one indexed query per
page (keyset pagination), never every conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from omni_tui.store import Store, finding, listing, panes, sqlite
from omni_tui.store.listing import ListFilter
from omni_tui.store.listing import page_mark as page_mark  # for scripts: the next page

if TYPE_CHECKING:
    from omni_tui.store.models import LinkSuggestion

# The ORM (SQLModel, SQLAlchemy: most of a second of imports) is imported by the
# functions that query through it: `list`, `show` and `search` read plain SQL, and a
# script calling them waits for neither.

Row = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


async def list_conversations(store: Store, where: ListFilter | None = None) -> list[Row]:
    """One page of summaries, newest activity (or longest wait) first."""
    return await store.snapshot(listing.conversations, where or ListFilter())


async def show_conversation(store: Store, conversation_id: int) -> Row:
    """A case with every message and event, oldest first."""
    return await store.snapshot(panes.conversation, conversation_id)


async def list_customers(
    store: Store, query: str | None = None, limit: int = 100, *, newest_first: bool = False
) -> list[Row]:
    return await store.snapshot(listing.customers, query, limit, newest_first)


async def show_case(
    store: Store,
    conversation_id: int,
    history: tuple[int | None, int],
    first_page: int,
    messages: tuple[int | None, int | None] = (None, None),
) -> tuple[Row, Row]:
    """What opening a case shows: the case (its latest ``messages``), and its customer
    with their latest history (``panes.case``)."""
    return await store.snapshot(panes.case, conversation_id, history, first_page, messages)


async def show_customer(store: Store, customer_id: int, *, history_limit: int | None = None) -> Row:
    """The customer with their whole history, or its latest ``history_limit`` messages."""
    return await store.snapshot(panes.customer, customer_id, history_limit)


def suggestion_row(s: LinkSuggestion) -> Row:
    return {
        "id": s.id,
        "customer_id": s.customer_id,
        "other_customer_id": s.other_customer_id,
        "address": s.address,
        "reason": s.reason,
        "status": s.status,
        "created_at": iso(s.created_at),
    }


async def list_suggestions(store: Store, status: str = "pending") -> list[Row]:
    from sqlmodel import select

    from omni_tui.store.models import LinkSuggestion

    async with store.read() as session:
        rows = await session.exec(
            select(LinkSuggestion)
            .where(LinkSuggestion.status == status)
            .order_by(LinkSuggestion.id)
        )
        return [suggestion_row(s) for s in rows.all()]


async def search(store: Store, query: str, limit: int = 50) -> list[Row]:
    """Messages matching every word (the last as a prefix), newest first."""
    return await store.snapshot(finding.hits, query, limit)


UNRESOLVED = listing.UNRESOLVED
VIEW_CHANNELS = ("email", "sms", "chat", "phone")


async def view_counts(store: Store, agent: str) -> dict[str, int]:
    """Conversations per inbox view, as each view lists them: one pass over the
    unresolved rows. Mine, Unassigned and All list open cases (pending and snoozed
    ones have views of their own); a channel's view lists every unresolved case, a
    tag's view every case with the tag."""
    from sqlalchemy import case
    from sqlmodel import col, func, select

    from omni_tui.store.models import Conversation, ConversationTag

    def count_if(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    columns = (
        [count_if(Conversation.status == s) for s in UNRESOLVED]
        + [
            count_if((Conversation.status == "open") & (Conversation.assignee == agent)),
            count_if((Conversation.status == "open") & col(Conversation.assignee).is_(None)),
        ]
        + [
            count_if(sqlite.csv_contains(col(Conversation.channels), c))  # type: ignore[arg-type]
            for c in VIEW_CHANNELS
        ]
    )
    query = select(*columns).where(col(Conversation.status).in_(UNRESOLVED))
    async with store.read() as session:
        values = [int(v or 0) for v in (await session.exec(query)).one()]
        resolved = select(func.count()).where(Conversation.status == "resolved")
        counts = {"status:resolved": (await session.exec(resolved)).one()}
        tagged = select(ConversationTag.tag, func.count()).group_by(col(ConversationTag.tag))
        counts |= {f"tag:{tag}": n for tag, n in (await session.exec(tagged)).all()}
    keys = [f"status:{s}" for s in UNRESOLVED] + ["mine", "unassigned"]
    keys += [f"channel:{c}" for c in VIEW_CHANNELS]
    counts.update(zip(keys, values, strict=True))
    counts["all"] = counts["status:open"]
    return counts


async def all_tags(store: Store) -> list[str]:
    from sqlmodel import select

    from omni_tui.store.models import ConversationTag

    async with store.read() as session:
        rows = await session.exec(
            select(ConversationTag.tag).distinct().order_by(ConversationTag.tag)
        )
        return list(rows.all())


async def agent_named(store: Store, name: str) -> str:
    """The known agent ``name`` means, case and spaces aside; else ``name`` itself."""
    wanted = " ".join(name.split()).casefold()
    return next((a for a in await agents(store) if a.casefold() == wanted), name)


async def agents(store: Store) -> list[str]:
    return await store.snapshot(listing.agent_names)


async def snoozes_due(store: Store, now: datetime | None = None) -> bool:
    """A cheap look before ``actions.wake_snoozed`` (which needs the ORM)."""
    now = now or datetime.now(UTC)
    return await store.snapshot(listing.snoozes_due, int(now.timestamp() * 1000))


@dataclass(frozen=True, slots=True)
class Pulse:
    """What the console polls: a fingerprint of the store plus the status bar's figures."""

    marker: tuple[object, ...]
    last_message_id: int
    outbox: dict[str, int]
    accounts: list[Row]
    replying: dict[int, tuple[str, ...]] = field(default_factory=dict)


async def pulse(store: Store) -> Pulse:
    """One cheap read; ``marker`` moves whenever anyone ingests, acts or delivers."""
    from sqlmodel import col, func, select

    from omni_tui import presence
    from omni_tui.store.models import AccountHealth, Event, Message, Outbox

    async with store.read() as session:
        message = (await session.exec(select(func.max(Message.id)))).one() or 0
        event = (await session.exec(select(func.max(Event.id)))).one() or 0
        rows = await session.exec(
            select(Outbox.status, func.count())
            .where(col(Outbox.status).in_(["queued", "sending", "failed"]))  # indexed
            .group_by(col(Outbox.status))
        )
        outbox = {status: count for status, count in rows.all()}
        health = (await session.exec(select(AccountHealth).order_by(AccountHealth.account))).all()
        replying = await presence.composing(session)
    accounts = [
        {
            "account": h.account,
            "state": h.state,
            "last_success_at": iso(h.last_success_at),
            "last_error": h.last_error,
            "next_retry_at": iso(h.next_retry_at),
        }
        for h in health
    ]
    marker = (
        message,
        event,
        tuple(sorted(outbox.items())),
        tuple((h.account, h.state, h.updated_at) for h in health),
    )
    return Pulse(marker, message, outbox, accounts, replying)


async def new_inbound(store: Store, after_id: int, limit: int = 50) -> list[Row]:
    """Inbound messages that arrived after ``after_id``, for the console's toast; a call
    an agent logged is inbound too, but it is no news to anyone (it has an author)."""
    from sqlmodel import col, select

    from omni_tui.store.models import Customer, Message

    async with store.read() as session:
        rows = await session.exec(
            select(Message.id, Message.channel, Message.sender, Message.sender_name, Customer.name)
            .join(Customer, col(Customer.id) == Message.customer_id)
            .where(
                col(Message.id) > after_id,
                Message.direction == "in",
                col(Message.author).is_(None),
            )
            .order_by(col(Message.id))
            .limit(limit)
        )
        return [
            {"id": i, "channel": ch, "who": name or sender_name or sender}
            for i, ch, sender, sender_name, name in rows.all()
        ]
