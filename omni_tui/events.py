"""The event log: who did what when, for the timeline, audits and reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from omni_tui.store.models import Event, utcnow


def record(
    session: AsyncSession,
    kind: str,
    *,
    actor: str | None,
    conversation_id: int | None = None,
    customer_id: int | None = None,
    at: datetime | None = None,
    **data: Any,
) -> Event:
    event = Event(
        kind=kind,
        actor=actor,
        conversation_id=conversation_id,
        customer_id=customer_id,
        at=at or utcnow(),
        data=data,
    )
    session.add(event)
    return event


def customer_reopened(
    session: AsyncSession, conversation_id: int, *, at: datetime, channel: str
) -> Event:
    """A customer wrote into a resolved case: logged like an agent's reopen, so reports
    count it even after the case is resolved again."""
    return record(
        session,
        "reopen",
        actor="customer",
        conversation_id=conversation_id,
        at=at,
        before="resolved",
        status="open",
        channel=channel,
    )
