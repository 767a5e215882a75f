"""What an agent is typing is saved as they type, so a crash or a quit loses nothing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from omni_tui.store import Draft, Store, utcnow


async def save_draft(
    store: Store,
    conversation_id: int,
    agent: str,
    body: str,
    *,
    mode: str = "reply",
    channel: str | None = None,
    to: str | None = None,
    files: Sequence[str] = (),
) -> None:
    async with store.write() as session:
        if not body.strip() and not files:
            await _delete(session, conversation_id, agent, mode)
            return
        await session.merge(
            Draft(
                conversation_id=conversation_id,
                agent=agent,
                body=body,
                mode=mode,
                channel=channel,
                to_address=to,
                updated_at=utcnow(),
                files=list(files),
            )
        )


async def load_draft(
    store: Store, conversation_id: int, agent: str, mode: str = "reply"
) -> Draft | None:
    """The agent's draft of a ``mode`` ("reply" or "note") in the case: a note and a
    reply begun in one case are two drafts, and neither ever becomes the other."""
    async with store.read() as session:
        return await session.get(Draft, (conversation_id, agent, mode))


async def delete_draft(store: Store, conversation_id: int, agent: str, mode: str = "reply") -> None:
    async with store.write() as session:
        await _delete(session, conversation_id, agent, mode)


async def _delete(session: AsyncSession, conversation_id: int, agent: str, mode: str) -> None:
    draft = await session.get(Draft, (conversation_id, agent, mode))
    if draft is not None:
        await session.delete(draft)
