"""Routing a new case as it is created, inside ingest's transaction.

So no console ever sees a new case before the rules have given it a team, an
assignee, tags and a priority; the acknowledgement a rule asks for is queued
in the outbox by the same transaction, and the ``route`` event says which
rules fired.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.email.automated import is_robot
from omni_tui import events, presence
from omni_tui.routing import Case, Decision, Rules, Team
from omni_tui.store import (
    Conversation,
    ConversationTag,
    CustomerTag,
    Event,
    Message,
    utcnow,
)


async def newest_conversation_id(session: AsyncSession) -> int:
    """Taken at the start of ingest: every conversation above it is new."""
    return int((await session.exec(select(func.max(Conversation.id)))).one() or 0)


async def triage_new(
    session: AsyncSession, rules: Rules, conversation_ids: Iterable[int], after: int
) -> list[tuple[int, Decision]]:
    """Route each conversation created in this transaction (id above ``after``)."""
    routed = []
    for conversation_id in sorted({c for c in conversation_ids if c > after}):
        decision = await _triage(session, rules, conversation_id)
        if decision is not None:
            routed.append((conversation_id, decision))
    return routed


async def _triage(session: AsyncSession, rules: Rules, conversation_id: int) -> Decision | None:
    first = (
        await session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.direction == "in")
            .order_by(col(Message.sent_at), col(Message.id))
            .limit(1)
        )
    ).first()
    conversation = await session.get(Conversation, conversation_id)
    if first is None or conversation is None:
        return None  # our own outbound mail seen again, not a customer's case
    tags = await session.exec(
        select(CustomerTag.tag).where(CustomerTag.customer_id == conversation.customer_id)
    )
    case = Case(
        channel=first.channel,
        account=first.account,
        sender=first.sender,
        recipients=list(first.recipients or ()),
        subject=first.subject or "",
        text=first.text,
        customer_tags=list(tags.all()),
        at=first.sent_at,
    )
    decision = rules.decide(case)
    if not decision.rules:
        return None
    assignee = decision.assignee
    if assignee == "auto":
        team = rules.teams.get(decision.team or "")
        assignee = await pick_agent(session, team) if team else None
    conversation.team = decision.team or conversation.team
    conversation.assignee = assignee or conversation.assignee
    conversation.priority = decision.priority or conversation.priority
    session.add(conversation)
    for tag in decision.tags:
        if await session.get(ConversationTag, (conversation_id, tag)) is None:
            session.add(ConversationTag(conversation_id=conversation_id, tag=tag))
    events.record(
        session,
        "route",
        actor="rules",
        conversation_id=conversation_id,
        rules=list(decision.rules),
        team=conversation.team,
        assignee=conversation.assignee,
        tags=list(decision.tags),
        priority=conversation.priority,
        auto=decision.assignee == "auto",
    )
    return Decision(
        decision.rules,
        conversation.team,
        assignee,
        decision.tags,
        decision.priority,
        None if _from_a_machine(first) else decision.acknowledge,
    )


def _from_a_machine(message: Message) -> bool:
    """A bounce, an out-of-office, a list: acknowledging it would start a robots' chat."""
    if (message.context or {}).get("automated"):
        return True
    return message.channel == "email" and is_robot(message.sender)


async def pick_agent(session: AsyncSession, team: Team) -> str | None:
    """Among the team's agents online now: the next in turn, or the one with fewest open cases."""
    online = await presence.online(session, within=presence.ONLINE_FOR)
    candidates = [a for a in team.agents if a in online]
    if not candidates:
        return None  # the case waits for the team, unassigned
    if team.assign == "least-open":
        counts = dict(
            (
                await session.exec(
                    select(Conversation.assignee, func.count())
                    .where(
                        col(Conversation.assignee).in_(candidates),
                        col(Conversation.status).in_(("open", "pending")),
                    )
                    .group_by(Conversation.assignee)
                )
            ).all()
        )
        return min(candidates, key=lambda a: (counts.get(a, 0), team.agents.index(a)))
    last = await _last_auto_assignee(session, team.name)
    if last not in team.agents:
        return candidates[0]
    order = team.agents[team.agents.index(last) + 1 :] + team.agents[: team.agents.index(last) + 1]
    return next(a for a in order if a in candidates)


async def _last_auto_assignee(session: AsyncSession, team: str) -> str | None:
    """Whom this team's round-robin picked last (however busy the other teams were)."""
    since = utcnow() - timedelta(days=30)
    data = col(Event.data)
    last = await session.exec(
        select(func.json_extract(data, "$.assignee"))
        .where(
            Event.kind == "route",
            col(Event.at) >= since,
            func.json_extract(data, "$.team") == team,
            func.json_extract(data, "$.auto") == 1,
            func.json_extract(data, "$.assignee").is_not(None),
        )
        .order_by(col(Event.id).desc())
        .limit(1)
    )
    found = last.first()
    return str(found) if found is not None else None
