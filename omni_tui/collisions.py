"""What colleagues did in a case while an agent was writing a reply to it.

Presence says who is writing right now; this says who answered, resolved or took
the case since the agent's composer opened, so a customer does not get two
answers (or an answer to a case a colleague closed) without the agent choosing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from omni_tui.store import Event, Message, Store
from omni_tui.store.sqlite import AUTO_AUTHOR


@dataclass(frozen=True, slots=True)
class Mark:
    """Where the case stood when the composer opened: its last message and event."""

    case: int
    message: int
    event: int


async def mark(store: Store, case: int) -> Mark:
    async with store.read() as session:
        last_message = await session.exec(
            select(func.max(Message.id)).where(Message.conversation_id == case)
        )
        last_event = await session.exec(
            select(func.max(Event.id)).where(Event.conversation_id == case)
        )
        return Mark(case, last_message.one() or 0, last_event.one() or 0)


async def since(store: Store, at: Mark, *, agent: str) -> list[str]:
    """One line for each thing a colleague did in the case after ``at``."""
    me = agent.strip().casefold()
    found: list[str] = []
    async with store.read() as session:
        replies = await session.exec(
            select(Message.author, Message.channel)
            .where(
                Message.conversation_id == at.case,
                Message.id > at.message,
                Message.direction == "out",
                col(Message.status).not_in(("cancelled", "failed")),
            )
            .order_by(col(Message.id))
        )
        for author, channel in replies.all():
            if author and author != AUTO_AUTHOR and author.strip().casefold() != me:
                line = f"{author} replied here by {channel}"
                if line not in found:
                    found.append(line)
        events = await session.exec(
            select(Event)
            .where(
                Event.conversation_id == at.case,
                Event.id > at.event,
                col(Event.kind).in_(("status", "reopen", "assign")),
            )
            .order_by(col(Event.id))
        )
        for event in events.all():
            actor = event.actor or "someone"
            if actor.strip().casefold() == me:
                continue
            line = _event_line(event, actor, me)
            if line and line not in found:
                found.append(line)
    return found


def _event_line(event: Event, actor: str, me: str) -> str | None:
    data = event.data or {}
    if event.kind == "assign":
        assignee = data.get("assignee")
        before = (data.get("before") or {}).get("assignee")
        if assignee == before:
            team = data.get("team")
            return f"{actor} handed the case to team {team}" if team else None
        if not assignee:
            return f"{actor} unassigned the case"
        if assignee.strip().casefold() == me:
            return None  # given to this agent: theirs to answer
        if assignee == actor:
            return f"{actor} took the case"
        return f"{actor} gave the case to {assignee}"
    status = data.get("status")
    if status == "resolved":
        return f"{actor} resolved the case"
    if status == "snoozed":
        return f"{actor} snoozed the case"
    if status == "pending":
        return f"{actor} set the case to pending"
    if event.kind == "reopen" or status == "open":
        return f"{actor} reopened the case"
    return None
