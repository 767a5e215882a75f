"""The raw bytes of each received message, kept in the store beside its row.

One row per distinct message (by sha256), written in the message's own
transaction: a sync killed at any point leaves either both or neither, and a
first sync of ten thousand emails creates no files. Stores from before schema v6
keep their raw messages as files under ``raw/``; reads fall back to those.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from omni_tui import blobs
from omni_tui.store import RawMessage, sqlite

_TABLE = RawMessage.__table__  # type: ignore[attr-defined]

#: Keeping a message twice (a resend, a copy in two folders) keeps one row.
INSERT = sqlite.insert_or_ignore(_TABLE)


def stored_sql(n: int) -> str:
    """Which of ``n`` sha256s are stored already: identical bytes, the same message."""
    return f"SELECT sha256 FROM raw_message WHERE sha256 IN ({', '.join('?' * n)})"


async def keep(session: AsyncSession, data: bytes) -> str:
    """Store ``data`` in the session's transaction; returns its sha256."""
    values = blobs.raw_row(data)
    await (await session.connection()).execute(INSERT, [values])
    return str(values["sha256"])


#: Raw messages read per query by ``get_many`` (an export reads them all).
CHUNK = 500


async def get(session: AsyncSession, data_dir: Path, sha256: str) -> bytes | None:
    return (await get_many(session, data_dir, [sha256])).get(sha256)


async def get_many(session: AsyncSession, data_dir: Path, shas: list[str]) -> dict[str, bytes]:
    """The raw messages of ``shas`` that exist, from the store or from an old ``raw/`` file."""
    conn = await session.connection()
    query = select(_TABLE.c.sha256, _TABLE.c.data).where(_TABLE.c.sha256.in_(shas))
    found = {sha: bytes(data) for sha, data in (await conn.execute(query)).all()}
    for sha in shas:
        if sha not in found:
            path = blobs.blob_path(data_dir / "raw", sha)
            if path.exists():
                found[sha] = path.read_bytes()
    return found
