"""Who is at a console, and who is writing in which case.

Each console writes a heartbeat every ``activity.HEARTBEAT_EVERY`` seconds (and when its
agent starts or stops composing, or comes back); an agent is online while their
last heartbeat is recent, away when it says no key was pressed for ``activity.AWAY_AFTER``
seconds (auto-assignment skips them), offline when the heartbeats stop. Another
agent opening a case someone is answering sees "Ana is replying" and is asked
before sending.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from omni_tui.store import Presence, Store, utcnow

ONLINE_FOR = timedelta(minutes=2)  # three missed heartbeats and more: offline
UNCHANGED = -1  # ``composing`` left as it was


async def heartbeat(
    store: Store,
    agent: str,
    *,
    status: str = "online",
    composing: int | None = UNCHANGED,
    at: datetime | None = None,
) -> None:
    at = at or utcnow()
    async with store.write() as session:
        row = await session.get(Presence, agent) or Presence(agent=agent, seen_at=at)
        row.status, row.seen_at = status, at
        if composing != UNCHANGED and composing != row.composing_conversation_id:
            row.composing_conversation_id = composing
            row.composing_since = at if composing is not None else None
        session.add(row)


async def leave(store: Store, agent: str, *, within: float) -> None:
    """Colleagues see ``agent`` offline and writing nowhere at once, not two minutes later
    (auto-assignment would go on handing them cases). A store busy for longer than
    ``within`` seconds is not waited out for it: the heartbeat then just goes stale."""
    leaving = heartbeat(store, agent, status="offline", composing=None)
    await asyncio.wait([asyncio.ensure_future(leaving)], timeout=within)


async def online(session: AsyncSession, *, within: timedelta = ONLINE_FOR) -> set[str]:
    rows = await session.exec(
        select(Presence.agent).where(
            Presence.status == "online", col(Presence.seen_at) >= utcnow() - within
        )
    )
    return set(rows.all())


async def replying(store: Store, conversation_id: int, *, besides: str) -> list[str]:
    """The other agents composing in this case right now."""
    async with store.read() as session:
        rows = await session.exec(
            select(Presence.agent)
            .where(
                Presence.composing_conversation_id == conversation_id,
                Presence.agent != besides,
                col(Presence.seen_at) >= utcnow() - ONLINE_FOR,
            )
            .order_by(col(Presence.composing_since))
        )
        return list(rows.all())


async def composing(session: AsyncSession) -> dict[int, tuple[str, ...]]:
    """Every case someone is writing in right now, with who (for the console's poll)."""
    rows = await session.exec(
        select(Presence.composing_conversation_id, Presence.agent)
        .where(
            col(Presence.composing_conversation_id).is_not(None),
            col(Presence.seen_at) >= utcnow() - ONLINE_FOR,
        )
        .order_by(col(Presence.composing_since))
    )
    out: dict[int, tuple[str, ...]] = {}
    for conversation_id, agent in rows.all():
        out[conversation_id] = (*out.get(conversation_id, ()), agent)
    return out


async def roster(store: Store) -> list[dict[str, object]]:
    """Every agent a console has seen, with their state now (for ``omni-tui agents``)."""
    now = utcnow()
    async with store.read() as session:
        rows = (await session.exec(select(Presence).order_by(col(Presence.agent)))).all()
    out = []
    for row in rows:
        fresh = now - row.seen_at <= ONLINE_FOR
        out.append(
            {
                "agent": row.agent,
                "state": row.status if fresh else "offline",
                "seen_at": row.seen_at.isoformat().replace("+00:00", "Z"),  # as every --json
                "composing": row.composing_conversation_id if fresh else None,
            }
        )
    return out
