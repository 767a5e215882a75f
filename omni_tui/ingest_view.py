"""What a batch of email needs to know of the store, read up front in a few queries.

Which messages are stored already (by provider id, bytes or Message-ID), the
identities of the batch's addresses, the cases its customers and its threads may join,
and the ids SQLite would hand out next. ``ingest_batch.EmailBatch`` then decides
every message against this view and keeps it up to date as it goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.base import InboundMessage
from omni_tui import identity, raw
from omni_tui.ingest_prepare import Prepared
from omni_tui.ingest_rows import (
    CONVERSATION_READ,
    BatchConversation,
    BatchIdentity,
    Copy,
    words_of,
)
from omni_tui.store import sqlite

#: Bound parameters per statement stay well under SQLite's limit.
_CHUNK = 900


class BatchView:
    """The store as a batch sees it; ``load`` fills it."""

    def __init__(self) -> None:
        self.identities: dict[str, BatchIdentity] = {}
        self.conversations: dict[int, BatchConversation] = {}
        self.by_customer: dict[int, list[BatchConversation]] = {}
        self.header_ids: dict[str, int] = {}  # message id → conversation id
        self.seen_providers: set[tuple[str | None, str | None]] = set()
        # message id → what ``a_copy`` compares of each stored message carrying it
        self.copies: dict[str, list[Copy]] = {}
        self.seen_raws: set[str] = set()  # raw messages stored, by sha256
        self.next_id: dict[str, int] = {}

    async def load(
        self,
        conn: AsyncConnection,
        messages: Sequence[InboundMessage],
        prepared: Sequence[Prepared],
    ) -> None:
        for account in sorted({i.account for i in messages}):
            providers = sorted({i.provider_id for i in messages if i.account == account})
            for part in _chunks(providers):  # by (account, provider_id): the unique index
                rows = await _rows(
                    conn,
                    "SELECT provider_id FROM message WHERE account = ? AND provider_id IN ({})",
                    part,
                    account,
                )
                self.seen_providers.update((account, p) for (p,) in rows)
        mids = sorted({p.message_id for p in prepared if p.message_id})
        for part in _chunks(mids):
            query = (
                "SELECT message_id, direction, sender, subject, text, sent_at FROM message"
                " WHERE message_id IN ({})"
            )
            for mid, direction, sender, subject, text, at in await _rows(conn, query, part):
                copy = (direction, sender, words_of(subject, text), at, text)
                self.copies.setdefault(mid, []).append(copy)
        shas = sorted({p.raw["sha256"] for p in prepared if p.raw is not None})
        for part in _chunks(shas):
            rows = await conn.exec_driver_sql(raw.stored_sql(len(part)), tuple(part))
            self.seen_raws.update(r for (r,) in rows.all())
        addresses = sorted({p.who.address for p in prepared if p.who.address} | _ours_to(messages))
        for part in _chunks(addresses):
            query = (
                "SELECT address, id, customer_id, display_name FROM identity"
                " WHERE channel = 'email' AND address IN ({})"
            )
            for address, iid, cid, name in await _rows(conn, query, part):
                self.identities[address] = BatchIdentity(iid, cid, address, name)
        keys = sorted({k for x in messages for k in (x.in_reply_to, *x.references) if k})
        for part in _chunks(keys):  # the first stored wins, as in ``threads.by_headers``
            query = (
                "SELECT message_id, conversation_id FROM message"
                " WHERE message_id IN ({}) ORDER BY id DESC"
            )
            self.header_ids.update({mid: cid for mid, cid in await _rows(conn, query, part)})
        await self._load_conversations(
            conn,
            sorted({x.customer_id for x in self.identities.values()}),
            sorted(set(self.header_ids.values())),
        )
        tables = ("customer", "identity", "conversation", "message", "attachment")
        ids = (await conn.exec_driver_sql(sqlite.next_ids_sql(tables))).one()
        self.next_id = dict(zip(tables, ids, strict=True))

    async def _load_conversations(
        self, conn: AsyncConnection, customers: list[int], ids: list[int]
    ) -> None:
        # channels are the summary's: every writer of messages refreshes it
        read = ", ".join(CONVERSATION_READ)
        for column, values in (("customer_id", customers), ("id", ids)):
            query = f"SELECT {read} FROM conversation WHERE {column} IN ({{}})"
            for part in _chunks(values):
                for *row, channels in await _rows(conn, query, part):
                    if row[0] not in self.conversations:
                        conversation = BatchConversation(*row)
                        conversation.channels.update(filter(None, channels.split(",")))
                        self.conversations[row[0]] = conversation
        for conversation in sorted(self.conversations.values(), key=lambda x: x.id):
            self.by_customer.setdefault(conversation.customer_id, []).append(conversation)


async def _rows(conn: AsyncConnection, query: str, values: list[Any], *first: Any) -> list[Any]:
    """``query``'s rows, its ``IN ({})`` taking ``values`` after the ``first`` parameters."""
    sql = query.format(", ".join("?" * len(values)))
    return list((await conn.exec_driver_sql(sql, (*first, *values))).all())


def normalised(recipients: Sequence[str]) -> list[str]:
    return [identity.normalise("email", r).address for r in recipients]


def _ours_to(messages: Sequence[InboundMessage]) -> set[str]:
    """Whom our own mail in the batch went to: a case's customer may be any of them."""
    return {a for m in messages if m.direction == "out" for a in normalised(m.recipients) if a}


def _chunks(values: list[Any]) -> list[list[Any]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]
