"""Which conversation a new message belongs to.

Email threads by its headers first, then by subject within the customer.
Everything else, and email on a new channel for the case, joins the
customer's open conversation when it was active within the join window:
the case follows the customer across channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from omni_tui.store.models import Conversation, Message
from omni_tui.text import normalise_subject


async def by_headers(
    session: AsyncSession, in_reply_to: str | None, references: Sequence[str]
) -> Conversation | None:
    keys = [k for k in [in_reply_to, *reversed(references)] if k]
    if not keys:
        return None
    rows = await session.exec(
        select(Message.message_id, Message.conversation_id)
        .where(col(Message.message_id).in_(keys))
        .order_by(col(Message.id).desc())
    )
    # an id carried by several messages threads to the first one stored: a later
    # message reusing it (a broken mailer, or someone hijacking a thread) cannot
    # draw the real thread's replies into its own case
    found = {mid: conv for mid, conv in rows.all()}
    for key in keys:
        if key in found:
            return await session.get(Conversation, found[key])
    return None


def _recent(customer_id: int, since: datetime):  # type: ignore[no-untyped-def]
    active = func.coalesce(Conversation.last_message_at, Conversation.created_at)
    return (
        select(Conversation)
        .where(Conversation.customer_id == customer_id, active >= since)
        .order_by(active.desc(), col(Conversation.id).desc())
    )


async def by_subject(
    session: AsyncSession, customer_id: int, subject: str | None, since: datetime
) -> Conversation | None:
    key = normalise_subject(subject)
    if not key:
        return None
    for conversation in (await session.exec(_recent(customer_id, since))).all():
        if normalise_subject(conversation.subject) == key:
            return conversation
    return None


async def open_case(
    session: AsyncSession, customer_id: int, channel: str, since: datetime
) -> Conversation | None:
    """The customer's most recent unresolved conversation active since ``since``.

    A new email subject is a new case when the open one is already an email
    case; any other channel switch keeps the case together.
    """
    query = _recent(customer_id, since).where(Conversation.status != "resolved").limit(1)
    conversation = (await session.exec(query)).first()
    if conversation is None:
        return None
    if channel == "email" and "email" in await channels_of(session, conversation):
        return None
    return conversation


async def channels_of(session: AsyncSession, conversation: Conversation) -> set[str]:
    rows = await session.exec(
        select(Message.channel)
        .where(Message.conversation_id == conversation.id, Message.direction != "note")
        .distinct()
    )
    return set(rows.all())


async def find(
    session: AsyncSession,
    *,
    customer_id: int,
    channel: str,
    subject: str | None,
    in_reply_to: str | None,
    references: Sequence[str],
    at: datetime,
    window: timedelta,
    robot: bool = False,
) -> Conversation | None:
    """The case a message joins. A robot's mail (a bounce, a no-reply notice) joins only
    by its headers: bounces of replies to different customers share a subject and a
    sender, and would otherwise become one case."""
    since = at - window
    if channel == "email":
        found = await by_headers(session, in_reply_to, references)
        if found is None and not robot:
            found = await by_subject(session, customer_id, subject, since)
        if found is not None or robot:
            return found
    return await open_case(session, customer_id, channel, since)
