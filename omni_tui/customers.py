"""Merging two customers who are one person, and splitting one who is two.

Both move identities, conversations and messages together and leave an event,
so the cross-channel history stays whole and the change can be undone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlmodel import col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from omni_tui import events, identity
from omni_tui.errors import NotFound, Refused
from omni_tui.ingest import OPT_IN, OPT_OUT
from omni_tui.store import Store, refresh_summaries, sqlite
from omni_tui.store.models import (
    Conversation,
    Customer,
    CustomerTag,
    Identity,
    LinkSuggestion,
    Message,
    Outbox,
    PhoneMention,
    utcnow,
)


async def live_customer(session: AsyncSession, customer_id: int) -> Customer:
    """The customer, following merges: a merged id still finds the person."""
    seen: set[int] = set()
    customer = await session.get(Customer, customer_id)
    while customer is not None and customer.merged_into is not None:
        if customer.id in seen:
            break
        seen.add(customer.id or 0)
        customer = await session.get(Customer, customer.merged_into)
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


async def merge(
    store: Store, keep_id: int, other_id: int, *, agent: str, at: datetime | None = None
) -> Customer:
    """Move everything of customer ``other_id`` into ``keep_id``."""
    at = at or utcnow()
    async with store.write() as session:
        return await _merge(session, keep_id, other_id, agent=agent, at=at)


async def _merge(
    session: AsyncSession, keep_id: int, other_id: int, *, agent: str, at: datetime
) -> Customer:
    keep = await session.get(Customer, keep_id)
    other = await session.get(Customer, other_id)
    for cid, row in ((keep_id, keep), (other_id, other)):
        if row is None:
            raise NotFound("customer", cid)
        if row.merged_into is not None:
            raise Refused(f"customer {cid} was already merged into customer {row.merged_into}")
    assert keep is not None and other is not None
    if keep_id == other_id:
        raise Refused("cannot merge a customer into itself")
    moved_identities = list(
        (await session.exec(select(Identity.id).where(Identity.customer_id == other_id))).all()
    )
    moved_conversations = list(
        (
            await session.exec(select(Conversation.id).where(Conversation.customer_id == other_id))
        ).all()
    )
    for model in (Identity, Conversation, Message):
        await session.exec(
            update(model).where(col(model.customer_id) == other_id).values(customer_id=keep_id)
        )
    params = {"keep": keep_id, "other": other_id}
    for table in (CustomerTag.__tablename__, PhoneMention.__tablename__):
        for statement in sqlite.move_customer_rows_sql(table):
            await session.exec(text(statement), params=params)  # type: ignore[call-overload]
    suggestions = await session.exec(
        select(LinkSuggestion).where(
            (col(LinkSuggestion.customer_id) == other_id)
            | (col(LinkSuggestion.other_customer_id) == other_id)
        )
    )
    for suggestion in suggestions.all():
        pair = {suggestion.customer_id, suggestion.other_customer_id}
        if pair == {keep_id, other_id}:
            if suggestion.status == "pending":
                suggestion.status, suggestion.decided_at, suggestion.decided_by = (
                    "accepted",
                    at,
                    agent,
                )
            session.add(suggestion)
            continue
        moved = (
            (keep_id, suggestion.other_customer_id)
            if suggestion.customer_id == other_id
            else (suggestion.customer_id, keep_id)
        )
        if await _same_suggestion(session, *moved, suggestion.address):
            await session.delete(suggestion)  # keep's own says the same: one is enough
            continue
        suggestion.customer_id, suggestion.other_customer_id = moved
        session.add(suggestion)
        await session.flush()  # the next one's duplicate check sees this one
    keep.name = keep.name or other.name
    if keep.opted_out_at is None or (
        other.opted_out_at is not None and other.opted_out_at < keep.opted_out_at
    ):
        keep.opted_out_at = other.opted_out_at  # a number that texted STOP stays opted out
    if other.note:
        keep.note = f"{keep.note}\n{other.note}".strip()
    other.merged_into = keep_id
    session.add_all([keep, other])
    events.record(
        session,
        "merge",
        actor=agent,
        customer_id=keep_id,
        at=at,
        merged=other_id,
        identities=moved_identities,
        conversations=moved_conversations,
    )
    await session.flush()
    return keep


async def _same_suggestion(
    session: AsyncSession, customer_id: int, other_customer_id: int, address: str
) -> bool:
    """Whether a suggestion for this pair (either way round, as ``identity.suggest``
    counts them) and address exists; one way round is UNIQUE in the table."""
    pair = [customer_id, other_customer_id]
    found = await session.exec(
        select(LinkSuggestion.id).where(
            col(LinkSuggestion.customer_id).in_(pair),
            col(LinkSuggestion.other_customer_id).in_(pair),
            LinkSuggestion.address == address,
        )
    )
    return found.first() is not None


async def find_customer_identity(
    session: AsyncSession, customer_id: int, address: str, region: str = "US"
) -> Identity:
    rows = (await session.exec(select(Identity).where(Identity.customer_id == customer_id))).all()
    for row in rows:
        if row.address == address.strip():
            return row
    for row in rows:
        if row.channel in ("email", "sms", "phone", "chat"):
            try:
                wanted = identity.normalise(row.channel, address, region).address
            except ValueError:
                continue
            if row.address == wanted:
                return row
    raise NotFound(f"identity of customer {customer_id}", address)


async def split(
    store: Store,
    customer_id: int,
    address: str,
    *,
    agent: str,
    region: str = "US",
    at: datetime | None = None,
) -> Customer:
    """Move one identity, with its messages, out into a new customer."""
    at = at or utcnow()
    async with store.write() as session:
        customer = await live_customer(session, customer_id)  # a merged id finds the person
        assert customer.id is not None
        customer_id = customer.id
        ident = await find_customer_identity(session, customer_id, address, region)
        count = await session.exec(select(Identity.id).where(Identity.customer_id == customer_id))
        if len(count.all()) < 2:
            raise Refused(f"{ident.address} is customer {customer_id}'s only identity")
        new = Customer(
            name=ident.display_name or "",
            created_at=at,
            opted_out_at=await _opt_out_of(session, customer, ident),
        )
        session.add(new)
        await session.flush()
        assert new.id is not None and ident.id is not None
        ident.customer_id = new.id
        session.add(ident)
        touched = await _move_messages(session, ident.id, customer_id, new.id, at)
        await _opt_out_again(session, customer)
        await _suggestions_follow(session, ident.address, customer_id, new.id)
        await refresh_summaries(session, touched)
        events.record(
            session,
            "split",
            actor=agent,
            customer_id=customer_id,
            at=at,
            new_customer=new.id,
            identity=ident.address,
            conversations=sorted(touched),
        )
        return new


async def _opt_out_of(
    session: AsyncSession, customer: Customer, ident: Identity
) -> datetime | None:
    """The customer's opt-out, if this number's last keyword text was STOP: ingest sets
    ``opted_out_at`` when a number texts STOP, so a split-out number keeps it."""
    if customer.opted_out_at is None or ident.channel != "sms":
        return None
    rows = await session.exec(
        select(Message.text)
        .where(
            Message.identity_id == ident.id,
            Message.channel == "sms",
            Message.direction == "in",
            func.length(Message.text) <= 40,  # a keyword, with spaces and a "!" around it
        )
        .order_by(col(Message.sent_at).desc(), col(Message.id).desc())
    )
    for body in rows.all():
        word = body.strip().strip(".!").upper()  # as ingest reads it
        if word in OPT_OUT:
            return customer.opted_out_at
        if word in OPT_IN:
            return None
    return None


async def _suggestions_follow(session: AsyncSession, address: str, old: int, new: int) -> None:
    """A suggestion made on the split-off address goes with it, decided or not: accepting
    it must not merge the wrong customers, and one dismissed must not come back."""
    suggestions = await session.exec(
        select(LinkSuggestion).where(
            LinkSuggestion.address == address,
            (col(LinkSuggestion.customer_id) == old)
            | (col(LinkSuggestion.other_customer_id) == old),
        )
    )
    for suggestion in suggestions.all():
        moved = (
            (new, suggestion.other_customer_id)
            if suggestion.customer_id == old
            else (suggestion.customer_id, new)
        )
        if await _same_suggestion(session, *moved, address):
            await session.delete(suggestion)
            continue
        suggestion.customer_id, suggestion.other_customer_id = moved
        session.add(suggestion)
        await session.flush()


async def _opt_out_again(session: AsyncSession, customer: Customer) -> None:
    """After a split: the customer stays opted out only if a number they still have
    texted STOP last (the one that did may be the number split away)."""
    if customer.opted_out_at is None:
        return
    numbers = await session.exec(
        select(Identity).where(Identity.customer_id == customer.id, Identity.channel == "sms")
    )
    for number in numbers.all():
        if await _opt_out_of(session, customer, number) is not None:
            return
    customer.opted_out_at = None
    session.add(customer)


async def _move_messages(
    session: AsyncSession, identity_id: int, old: int, new: int, at: datetime
) -> set[int]:
    """Whole conversations of this identity move; mixed ones give up its messages."""
    rows = await session.exec(
        select(Message.conversation_id).where(Message.identity_id == identity_id).distinct()
    )
    touched: set[int] = set()
    for conversation_id in rows.all():
        others = await session.exec(
            select(Message.id).where(
                Message.conversation_id == conversation_id,
                Message.direction != "note",
                (col(Message.identity_id) != identity_id) | col(Message.identity_id).is_(None),
            )
        )
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        touched.add(conversation_id)
        if others.first() is None:
            conversation.customer_id = new
            session.add(conversation)
            await session.exec(
                update(Message)
                .where(col(Message.conversation_id) == conversation_id)
                .values(customer_id=new)
            )
            continue
        fresh = Conversation(
            customer_id=new, subject=conversation.subject, created_at=at, updated_at=at
        )
        session.add(fresh)
        await session.flush()
        assert fresh.id is not None
        touched.add(fresh.id)
        await session.exec(
            update(Message)
            .where(
                col(Message.conversation_id) == conversation_id,
                col(Message.identity_id) == identity_id,
            )
            .values(customer_id=new, conversation_id=fresh.id)
        )
        moved = select(Message.id).where(Message.conversation_id == fresh.id)
        await session.exec(
            update(Outbox)  # a reply still to go out follows its message to the new case
            .where(col(Outbox.message_id).in_(moved))
            .values(conversation_id=fresh.id)
        )
    return touched


async def decide_suggestion(
    store: Store, suggestion_id: int, *, accept: bool, agent: str, at: datetime | None = None
) -> LinkSuggestion:
    at = at or utcnow()
    async with store.write() as session:
        suggestion = await session.get(LinkSuggestion, suggestion_id)
        if suggestion is None:
            raise NotFound("suggestion", suggestion_id)
        if suggestion.status != "pending":
            raise Refused(f"suggestion {suggestion_id} was already {suggestion.status}")
        if accept:
            await _merge(
                session, suggestion.customer_id, suggestion.other_customer_id, agent=agent, at=at
            )
            await session.refresh(suggestion)
        else:
            suggestion.status, suggestion.decided_at, suggestion.decided_by = (
                "dismissed",
                at,
                agent,
            )
            session.add(suggestion)
            events.record(
                session,
                "dismiss-suggestion",
                actor=agent,
                customer_id=suggestion.customer_id,
                at=at,
                other=suggestion.other_customer_id,
            )
        return suggestion
