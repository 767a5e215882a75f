"""What an agent does to a case: assign, change status, tag, note, log a call.

Every action is one short write transaction and one event-log row, shared by
the console and the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import col, delete, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from omni_tui import events
from omni_tui.errors import NotFound, Refused
from omni_tui.store import Store, refresh_summaries
from omni_tui.store.models import (
    STATUSES,
    Agent,
    Conversation,
    ConversationTag,
    Customer,
    Draft,
    Event,
    Message,
    utcnow,
)
from omni_tui.text import clean, clean_line, snippet


async def get_conversation(session: AsyncSession, conversation_id: int) -> Conversation:
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("conversation", conversation_id)
    return conversation


async def ensure_agent(
    store: Store, name: str, *, team: str | None = None, email: str | None = None
) -> Agent:
    async with store.write() as session:
        return await _ensure_agent(session, name, team=team, email=email)


async def _ensure_agent(
    session: AsyncSession, name: str, *, team: str | None = None, email: str | None = None
) -> Agent:
    found = (await session.exec(select(Agent).where(Agent.name == name))).first()
    if found is None:
        found = Agent(name=name, team=team, email=email)
    else:
        found.team = team or found.team
        found.email = email or found.email
    session.add(found)
    await session.flush()
    return found


async def _agent_named(session: AsyncSession, name: str, *, new: bool = False) -> Agent:
    """The agent an assignment names: "ben" or "Ben " is Ben when Ben is known, so a
    case is never handed to a made-up spelling that nobody's "Mine" view lists."""
    name = " ".join(name.split())
    if not name:
        raise Refused("an agent's name cannot be blank — to unassign, use --nobody")
    query = select(Agent).where(func.lower(Agent.name) == name.lower()).order_by(col(Agent.id))
    found = (await session.exec(query)).first()
    if found is not None:
        return found
    known = [] if new else (await session.exec(select(Agent.name))).all()
    if meant := next((k for k in known if _one_slip(name.lower(), k.lower())), None):
        raise Refused(
            f"no agent is called {name!r} — did you mean {meant!r}? (a new colleague: --new-agent)"
        )
    return await _ensure_agent(session, name)  # a new colleague, not a slip of the keys


def _one_slip(typed: str, name: str) -> bool:
    """``typed`` is ``name`` with two neighbouring letters swapped ("Bne"). Other slips
    make other real names too often (Sam and Pam, Jon and John) to be refused."""
    if len(typed) != len(name) or len(name) < 3:
        return False
    wrong = [i for i, (a, b) in enumerate(zip(typed, name, strict=True)) if a != b]
    return (
        len(wrong) == 2
        and wrong[1] == wrong[0] + 1
        and (typed[wrong[0]], typed[wrong[1]]) == (name[wrong[1]], name[wrong[0]])
    )


async def add_note(
    store: Store, conversation_id: int, body: str, *, agent: str, at: datetime | None = None
) -> int:
    """A private note: visible to agents, never sent to the customer."""
    body = clean(body).strip()
    if not body:
        raise Refused("a note needs a body")
    at = at or utcnow()
    async with store.write() as session:
        conversation = await get_conversation(session, conversation_id)
        message = Message(
            conversation_id=conversation_id,
            customer_id=conversation.customer_id,
            channel="note",
            direction="note",
            sender=agent,
            author=agent,
            text=body,
            sent_at=at,
            status="note",
        )
        session.add(message)
        await session.flush()
        events.record(
            session,
            "note",
            actor=agent,
            conversation_id=conversation_id,
            at=at,
            message_id=message.id,
            snippet=snippet(body, 80),
        )
        await refresh_summaries(session, [conversation_id])
        assert message.id is not None
        return message.id


async def claim(store: Store, conversation_id: int, *, agent: str) -> bool:
    """Take an unassigned case (False: it was already ``agent``'s). The check and the
    change share one write transaction (``BEGIN IMMEDIATE``), so of two agents
    claiming at once exactly one wins; the other is told who has it (``Refused``)."""
    async with store.write() as session:
        conversation = await get_conversation(session, conversation_id)
        holder = conversation.assignee
        if holder == agent:
            return False
        if holder is not None:
            raise Refused(f"conversation {conversation_id} is already {holder}'s")
        await _assign_in(session, conversation, agent, None, actor=agent, at=utcnow())
        return True


async def assign(
    store: Store,
    conversation_id: int,
    assignee: str | None,
    *,
    agent: str,
    team: str | None = None,
    at: datetime | None = None,
    new_agent: bool = False,
) -> None:
    """``new_agent``: ``assignee`` is a colleague not yet known, whatever their name
    looks like (else "Mia" when Mai is known is taken for a slip of the keys)."""
    async with store.write() as session:
        conversation = await get_conversation(session, conversation_id)
        await _assign_in(
            session, conversation, assignee, team, actor=agent, at=at or utcnow(), new=new_agent
        )


async def hand_to_team(
    store: Store, conversation_id: int, team: str, *, agent: str, at: datetime | None = None
) -> None:
    """Give the case to ``team``; whoever holds it now keeps it. The assignee is read
    in the same transaction, so a colleague's claim since the agent's screen was
    drawn is not undone."""
    async with store.write() as session:
        conversation = await get_conversation(session, conversation_id)
        holder = conversation.assignee
        await _assign_in(session, conversation, holder, team, actor=agent, at=at or utcnow())


async def _assign_in(
    session: AsyncSession,
    conversation: Conversation,
    assignee: str | None,
    team: str | None,
    *,
    actor: str,
    at: datetime,
    new: bool = False,
) -> None:
    if assignee:  # an agent naming themselves (a claim, --me) is never a slip
        new = new or " ".join(assignee.split()).lower() == actor.lower()
        assignee = (await _agent_named(session, assignee, new=new)).name
    before = {"assignee": conversation.assignee, "team": conversation.team}
    conversation.assignee = assignee or None
    if team is not None:
        conversation.team = team or None
    conversation.updated_at = at
    session.add(conversation)
    events.record(
        session,
        "assign",
        actor=actor,
        conversation_id=conversation.id,
        at=at,
        before=before,
        assignee=conversation.assignee,
        team=conversation.team,
    )


async def set_status(
    store: Store,
    conversation_id: int,
    status: str,
    *,
    agent: str,
    until: datetime | None = None,
    at: datetime | None = None,
) -> None:
    if status not in STATUSES:
        raise Refused(f"unknown status {status!r} — use one of {', '.join(STATUSES)}")
    if status == "snoozed" and until is None:
        raise Refused("snoozing needs a time to wake up (--until)")
    at = at or utcnow()
    async with store.write() as session:
        conversation = await get_conversation(session, conversation_id)
        before = conversation.status
        conversation.status = status
        conversation.snoozed_until = until if status == "snoozed" else None
        if status == "resolved":
            conversation.resolved_at = at
        conversation.updated_at = at
        session.add(conversation)
        # back to work in any way (open, pending, snoozed): the reopen rate counts it
        kind = "reopen" if before == "resolved" and status != "resolved" else "status"
        events.record(
            session,
            kind,
            actor=agent,
            conversation_id=conversation_id,
            at=at,
            before=before,
            status=status,
            until=until.isoformat() if until else None,
        )


async def add_tags(
    store: Store,
    conversation_id: int,
    tags: Iterable[str],
    *,
    agent: str,
    remove: bool = False,
    at: datetime | None = None,
) -> list[str]:
    """Add (or remove) tags; returns the conversation's tags afterwards."""
    wanted = sorted({clean_line(t).lower().lstrip("#") for t in tags} - {""})
    at = at or utcnow()
    async with store.write() as session:
        await get_conversation(session, conversation_id)
        current = set(await tags_of(session, conversation_id))
        changed = (current & set(wanted)) if remove else (set(wanted) - current)
        for tag in sorted(changed):
            if remove:
                row = await session.get(ConversationTag, (conversation_id, tag))
                if row is not None:
                    await session.delete(row)
            else:
                session.add(ConversationTag(conversation_id=conversation_id, tag=tag))
        if changed:
            events.record(
                session,
                "untag" if remove else "tag",
                actor=agent,
                conversation_id=conversation_id,
                at=at,
                tags=sorted(changed),
            )
        return sorted(current - changed if remove else current | changed)


async def tags_of(session: AsyncSession, conversation_id: int) -> list[str]:
    rows = await session.exec(
        select(ConversationTag.tag).where(ConversationTag.conversation_id == conversation_id)
    )
    return sorted(rows.all())


async def log_call(
    store: Store,
    customer_id: int,
    body: str,
    *,
    agent: str,
    channel: str = "phone",
    direction: str = "in",
    conversation_id: int | None = None,
    at: datetime | None = None,
) -> tuple[int, int]:
    """Record a phone call or visit as a message; it joins the customer's open case."""
    if channel not in ("phone", "in-person"):
        raise Refused(f"unknown channel {channel!r} for a logged call — use phone or in-person")
    body = clean(body).strip()
    if not body:
        raise Refused("a logged call needs a body")
    at = at or utcnow()
    from omni_tui.customers import live_customer

    async with store.write() as session:
        customer = await live_customer(session, customer_id)  # a merged id finds the person
        assert customer.id is not None
        customer_id = customer.id
        conversation = None
        if conversation_id is not None:
            conversation = await get_conversation(session, conversation_id)
            if conversation.customer_id != customer_id:  # a typo must not file it elsewhere
                raise Refused(
                    f"conversation {conversation_id} is customer {conversation.customer_id}'s,"
                    f" not customer {customer_id}'s — log the call for customer"
                    f" {conversation.customer_id} or leave out --conversation"
                )
        else:
            conversation = (
                await session.exec(
                    select(Conversation)
                    .where(
                        Conversation.customer_id == customer_id, Conversation.status != "resolved"
                    )
                    .order_by(col(Conversation.last_message_at).desc())
                )
            ).first()
        if conversation is None:
            label = "Phone call" if channel == "phone" else "Visit"
            conversation = Conversation(
                customer_id=customer_id,
                subject=f"{label}: {snippet(body, 60)}",
                created_at=at,
                updated_at=at,
            )
            session.add(conversation)
            await session.flush()
        assert conversation.id is not None
        message = Message(
            conversation_id=conversation.id,
            customer_id=customer_id,
            channel=channel,
            direction=direction,
            sender=agent if direction == "out" else (customer.name or "customer"),
            author=agent,
            text=body,
            sent_at=at,
            status="logged",
            read_at=at,
        )
        session.add(message)
        await session.flush()
        events.record(
            session,
            "log-call",
            actor=agent,
            conversation_id=conversation.id,
            customer_id=customer_id,
            at=at,
            channel=channel,
            message_id=message.id,
        )
        await refresh_summaries(session, [conversation.id])
        assert message.id is not None
        return conversation.id, message.id


async def mark_read(store: Store, conversation_id: int, at: datetime | None = None) -> None:
    async with store.write() as session:
        await session.exec(
            update(Message)
            .where(
                col(Message.conversation_id) == conversation_id,
                col(Message.direction) == "in",
                col(Message.read_at).is_(None),
            )
            .values(read_at=at or utcnow())
        )
        await refresh_summaries(session, [conversation_id])


async def wake_snoozed(store: Store, now: datetime | None = None) -> int:
    """Snoozed cases whose time has come are open again."""
    now = now or utcnow()
    async with store.read() as session:  # a cheap look first: most polls find nothing due
        found = await session.exec(
            select(Conversation.id)
            .where(Conversation.status == "snoozed", col(Conversation.snoozed_until) <= now)
            .limit(1)
        )
        if found.first() is None:
            return 0
    async with store.write() as session:
        due = (
            await session.exec(
                select(Conversation).where(
                    Conversation.status == "snoozed", col(Conversation.snoozed_until) <= now
                )
            )
        ).all()
        for conversation in due:
            conversation.status, conversation.snoozed_until = "open", None
            session.add(conversation)
            events.record(session, "wake", actor=None, conversation_id=conversation.id, at=now)
        return len(due)


async def new_conversation(
    store: Store, customer_id: int, subject: str, *, agent: str, at: datetime | None = None
) -> int:
    """An empty case we start ourselves; the first reply goes out through the outbox."""
    at = at or utcnow()
    async with store.write() as session:
        customer = await session.get(Customer, customer_id)
        if customer is None or customer.merged_into is not None:
            raise NotFound("customer", customer_id)
        conversation = Conversation(
            customer_id=customer_id,
            subject=clean_line(subject),
            assignee=agent,
            created_at=at,
            updated_at=at,
            last_message_at=at,
        )
        session.add(conversation)
        await session.flush()
        assert conversation.id is not None
        events.record(session, "create", actor=agent, conversation_id=conversation.id, at=at)
        return conversation.id


async def drop_if_empty(store: Store, conversation_id: int) -> bool:
    """Delete a case an agent started and left without writing a word (no message, no
    draft of anyone's): it would wait in everyone's inbox with nothing in it."""
    async with store.write() as session:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            return False
        for table in (Message, Draft):
            found = await session.exec(
                select(table).where(table.conversation_id == conversation_id).limit(1)
            )
            if found.first() is not None:
                return False
        for table in (Event, ConversationTag):
            await session.exec(delete(table).where(table.conversation_id == conversation_id))
        await session.delete(conversation)
        return True
