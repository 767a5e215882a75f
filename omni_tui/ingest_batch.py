"""A batch of email as rows, in a handful of statements.

The rules are ingest's own (``ingest._ingest_one``: dedupe, customer,
threading, summary); here they run over a whole batch at once.  What the batch
needs from the store is read up front, what it changes is kept in memory and
written with one ``executemany`` per table.  A mailbox arrives in batches of
hundreds of messages, and a round trip per row would cost more than the work.
Ids are handed out as SQLite would (max + 1): the writer holds the lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.base import InboundMessage
from adapters.email.automated import is_robot
from omni_tui import blobs, events, identity, ingest_prepare, raw
from omni_tui.ingest_prepare import Prepared
from omni_tui.ingest_rows import BatchConversation, BatchIdentity, a_copy
from omni_tui.store import sqlite
from omni_tui.store.models import (
    Attachment,
    Conversation,
    Customer,
    Identity,
    Message,
    to_ms,
    utcnow,
)
from omni_tui.text import case_title, clean_line, normalise_subject

_CUSTOMER: Any = Customer.__table__
_IDENTITY: Any = Identity.__table__
_CONVERSATION: Any = Conversation.__table__
_MESSAGE: Any = Message.__table__
_ATTACHMENT: Any = Attachment.__table__

# messages are inserted with values already as SQL keeps them (``ingest_prepare``)
_COLUMNS = tuple(c.name for c in _MESSAGE.columns)
_INSERT_MESSAGE = "INSERT INTO message ({}) VALUES ({})".format(
    ", ".join(f'"{c}"' for c in _COLUMNS), ", ".join("?" * len(_COLUMNS))
)

#: Bound parameters per statement stay well under SQLite's limit.
_CHUNK = 900

#: A customer writing into a case in one of these opens it again: they are waiting
#: now, and only open cases show in the agents' views (pending has its own).
WAKES_ON_REPLY = ("resolved", "snoozed", "pending")


class EmailBatch:
    """One write transaction's worth of email; ``run`` returns (message, conversation) ids."""

    def __init__(
        self, session: AsyncSession, data_dir: Path, region: str, window: timedelta
    ) -> None:
        self.session = session
        self.attachments_dir = data_dir / "attachments"
        self.region = region
        self.window = window
        self.identities: dict[str, BatchIdentity] = {}
        self.conversations: dict[int, BatchConversation] = {}
        self.by_customer: dict[int, list[BatchConversation]] = {}
        self.header_ids: dict[str, int] = {}  # message id → conversation id
        self.seen_providers: set[tuple[str | None, str | None]] = set()
        self.new_customers: set[int] = set()  # made by this batch, for a new address
        # message id → (direction, sender, sent_at ms) of each stored message carrying it
        self.copies: dict[str, list[tuple[str, str, int]]] = {}
        self.seen_raws: set[str] = set()  # raw messages stored, by sha256
        self.next_id: dict[str, int] = {}
        self.pending: dict[str, list[dict[str, Any]]] = {
            "customer": [],
            "message": [],
            "attachment": [],
            "raw": [],
        }
        self.wrote_blobs = False

    async def run(
        self, messages: Sequence[InboundMessage], prepared: Sequence[Prepared] | None = None
    ) -> list[tuple[int, int] | None]:
        """``prepared`` is ``ingest_prepare.prepare(messages)``, if it was done ahead."""
        if prepared is None:
            prepared = ingest_prepare.prepare(messages, self.region)
        conn = await self.session.connection()
        await self._load(conn, messages, prepared)
        out: list[tuple[int, int] | None] = []
        for inbound, ready in zip(messages, prepared, strict=True):
            out.append(await self._one(conn, inbound, ready))
        await self._flush(conn)
        return out

    # -- reading -----------------------------------------------------------

    async def _load(
        self,
        conn: AsyncConnection,
        messages: Sequence[InboundMessage],
        prepared: Sequence[Prepared],
    ) -> None:
        m = _MESSAGE.c
        for account in sorted({i.account for i in messages}):
            providers = sorted({i.provider_id for i in messages if i.account == account})
            for part in _chunks(providers):  # by (account, provider_id): the unique index
                rows = await conn.execute(
                    select(m.provider_id).where(m.account == account, m.provider_id.in_(part))
                )
                self.seen_providers.update((account, p) for (p,) in rows.all())
        mids = sorted({p.message_id for p in prepared if p.message_id})
        for part in _chunks(mids):
            rows = await conn.execute(
                select(m.message_id, m.direction, m.sender, m.sent_at).where(m.message_id.in_(part))
            )
            for mid, direction, sender, sent_at in rows.all():
                self.copies.setdefault(mid, []).append((direction, sender, to_ms(sent_at)))
        shas = sorted({p.raw["sha256"] for p in prepared if p.raw is not None})
        for part in _chunks(shas):
            rows = await conn.exec_driver_sql(raw.stored_sql(len(part)), tuple(part))
            self.seen_raws.update(r for (r,) in rows.all())
        addresses = sorted({p.who.address for p in prepared if p.who.address})
        i = _IDENTITY.c
        for part in _chunks(addresses):
            rows = await conn.execute(
                select(i.address, i.id, i.customer_id, i.display_name).where(
                    i.channel == "email", i.address.in_(part)
                )
            )
            for address, iid, cid, name in rows.all():
                self.identities[address] = BatchIdentity(iid, cid, address, name)
        keys = sorted({k for x in messages for k in (x.in_reply_to, *x.references) if k})
        for part in _chunks(keys):
            rows = await conn.execute(  # the first stored wins, as in ``threads.by_headers``
                select(m.message_id, m.conversation_id)
                .where(m.message_id.in_(part))
                .order_by(m.id.desc())
            )
            self.header_ids.update({mid: cid for mid, cid in rows.all()})
        await self._load_conversations(
            conn,
            sorted({x.customer_id for x in self.identities.values()}),
            sorted(set(self.header_ids.values())),
        )
        tables = ("customer", "identity", "conversation", "message", "attachment")
        ids = (await conn.execute(text(sqlite.next_ids_sql(tables)))).one()
        self.next_id = dict(zip(tables, ids, strict=True))

    async def _load_conversations(
        self, conn: AsyncConnection, customers: list[int], ids: list[int]
    ) -> None:
        c = _CONVERSATION.c
        columns = (
            c.id,
            c.customer_id,
            c.subject,
            c.status,
            c.snoozed_until,
            c.created_at,
            c.updated_at,
            c.last_message_at,
            c.channels,  # the summary's: every writer of messages refreshes it
        )
        for column, values in ((c.customer_id, customers), (c.id, ids)):
            for part in _chunks(values):
                rows = await conn.execute(select(*columns).where(column.in_(part)))
                for *row, channels in rows.all():
                    if row[0] not in self.conversations:
                        conversation = BatchConversation(*row)
                        conversation.channels.update(filter(None, channels.split(",")))
                        self.conversations[row[0]] = conversation
        for conversation in sorted(self.conversations.values(), key=lambda x: x.id):
            self.by_customer.setdefault(conversation.customer_id, []).append(conversation)

    # -- one message ---------------------------------------------------------

    def _take_id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def _new_customer(self, name: str) -> int:
        cid = self._take_id("customer")
        self.pending["customer"].append(
            {
                "id": cid,
                "name": name,
                "note": "",
                "created_at": utcnow(),
                "merged_into": None,
                "opted_out_at": None,
            }
        )
        return cid

    async def _customer(
        self, conn: AsyncConnection, who: identity.Address
    ) -> tuple[int, int | None]:
        if not who.address:
            return self._new_customer(who.display_name or ""), None
        known = self.identities.get(who.address)
        if known is not None:
            if who.display_name and not known.display_name:
                known.display_name, known.dirty = who.display_name, True
            return known.customer_id, known.id
        cid = self._new_customer(who.display_name or "")
        self.new_customers.add(cid)
        known = BatchIdentity(
            self._take_id("identity"), cid, who.address, who.display_name, False, False, utcnow()
        )
        self.identities[who.address] = known
        phone = who.address
        if phone.startswith("+") and not identity.is_alphanumeric_sender(phone):
            await self._flush(conn)
            await identity.suggest_from_phones(
                self.session, cid, [phone], where=f"a new {who.channel} identity"
            )
            await identity.suggest_from_mentions(self.session, cid, phone)
            await self.session.flush()
        return cid, known.id

    def _recent(self, customer_id: int, since: datetime) -> list[BatchConversation]:
        floor = to_ms(since)
        found = [c for c in self.by_customer.get(customer_id, ()) if c.active_ms() >= floor]
        found.sort(key=lambda c: (c.active_ms(), c.id), reverse=True)
        return found

    def _thread(
        self, inbound: InboundMessage, customer_id: int, subject: str | None, at: datetime
    ) -> BatchConversation | None:
        """``threads.find`` over the batch's view of the store."""
        keys = [k for k in [inbound.in_reply_to, *reversed(inbound.references)] if k]
        for key in keys:
            if key in self.header_ids:
                found = self.conversations.get(self.header_ids[key])
                if found is not None:
                    return found
                break  # the first known key decides, as in ``threads.by_headers``
        if is_robot(inbound.sender):
            return None  # by its headers only, as in ``threads.find``
        recent = self._recent(customer_id, at - self.window)
        key = normalise_subject(subject)
        if key:
            for conversation in recent:
                if conversation.key == key:
                    return conversation
        for conversation in recent:
            if conversation.status != "resolved":
                return None if "email" in conversation.channels else conversation
        return None

    async def _one(
        self, conn: AsyncConnection, inbound: InboundMessage, ready: Prepared
    ) -> tuple[int, int] | None:
        if (inbound.account, inbound.provider_id) in self.seen_providers or self._stored(
            ready, dated=inbound.sent_at is not None
        ):
            return None
        customer_id, identity_id = await self._customer(conn, ready.who)
        sent_at, text, subject = ready.sent_at, ready.text, ready.subject

        conversation = self._thread(inbound, customer_id, subject, sent_at)
        if conversation is None:
            conversation = BatchConversation(
                id=self._take_id("conversation"),
                customer_id=customer_id,
                subject=case_title(subject, text, [a.filename for a in inbound.attachments]),
                status="open",
                snoozed_until=None,
                created_at=sent_at,
                updated_at=sent_at,
                last_message_at=None,
                stored=False,
            )
            self.conversations[conversation.id] = conversation
            self.by_customer.setdefault(customer_id, []).append(conversation)
        else:
            theirs = conversation.customer_id == customer_id
            robot = is_robot(ready.who.address)  # a bounce joins by its headers too
            if (
                customer_id in self.new_customers
                and inbound.direction == "in"
                and not theirs
                and not robot
            ):
                await self._flush(conn)
                await identity.suggest_from_thread(
                    self.session, customer_id, conversation.customer_id, ready.who.address,
                    conversation.id,
                )  # fmt: skip
                await self.session.flush()
            if inbound.direction == "in" and conversation.status in WAKES_ON_REPLY:
                if conversation.status == "resolved":
                    events.customer_reopened(
                        self.session, conversation.id, at=sent_at, channel=inbound.channel
                    )
                conversation.status, conversation.snoozed_until = "open", None
        if not conversation.last_message_at or conversation.last_message_at < sent_at:
            conversation.last_message_at = sent_at
        conversation.updated_at = max(conversation.updated_at, sent_at)
        conversation.dirty = True
        conversation.channels.add(inbound.channel)

        message_id = self._take_id("message")
        stored_mid = ready.message_id
        self.pending["message"].append(
            {
                **ready.columns,
                "id": message_id,
                "conversation_id": conversation.id,
                "customer_id": customer_id,
                "identity_id": identity_id,
                "subject": subject,
                "text": text,
                "html_text": ready.html_text,
                "message_id": stored_mid,
                "raw_sha256": self._raw(ready.raw) if ready.raw else None,
            }
        )
        self.seen_providers.add((inbound.account, inbound.provider_id))
        if stored_mid:
            copy = (inbound.direction, ready.columns["sender"], ready.columns["sent_at"])
            self.copies.setdefault(stored_mid, []).append(copy)
            self.header_ids.setdefault(stored_mid, conversation.id)
        if ready.raw is not None:
            self.seen_raws.add(ready.raw["sha256"])
        written, problems = ready.attachment_shas, ready.attachment_problems
        if written is not None and any(written):
            self.wrote_blobs = True  # by ``prepare``: made durable before this commits
        for n, part in enumerate(inbound.attachments):
            sha, problem = (
                (written[n], problems[n] if problems else None)
                if written is not None
                else (None, None)
                if part.data is None
                else self._blob(self.attachments_dir, part.data, raw_kept=bool(inbound.raw))
            )
            self.pending["attachment"].append(
                {
                    "id": self._take_id("attachment"),
                    "message_id": message_id,
                    "filename": clean_line(part.filename) or "attachment",
                    "content_type": clean_line(part.content_type) or "application/octet-stream",
                    "size": part.size if part.size is not None else len(part.data or b""),
                    "sha256": sha,
                    "inline": part.inline,
                    "skipped_reason": clean_line(problem or part.skipped_reason) or None,
                }
            )
        if ready.phones:
            await self._flush(conn)
            await identity.remember_phones(self.session, customer_id, ready.phones)
            await identity.suggest_from_phones(
                self.session, customer_id, ready.phones, where="an email's text"
            )
            await self.session.flush()
        return message_id, conversation.id

    def _stored(self, ready: Prepared, *, dated: bool) -> bool:
        """Another copy of a stored message: its very bytes (a UIDVALIDITY resync, a
        second folder), or by its Message-ID (``ingest_rows.a_copy``)."""
        if ready.raw is not None and ready.raw["sha256"] in self.seen_raws:
            return True
        copies = self.copies.get(ready.message_id or "", ())
        return a_copy(copies, ready.columns["sender"], ready.columns["sent_at"], dated=dated)

    def _raw(self, values: dict[str, Any]) -> str:
        self.pending["raw"].append(values)
        return str(values["sha256"])

    def _blob(self, root: Path, data: bytes, *, raw_kept: bool) -> tuple[str | None, str | None]:
        self.wrote_blobs = True
        return blobs.keep(root, data, sync=False, raw_kept=raw_kept)

    # -- writing -------------------------------------------------------------

    async def _flush(self, conn: AsyncConnection) -> None:
        """Everything pending into the transaction, parents before children.

        The blobs written so far are made durable meanwhile, and awaited before
        returning: no row that names a file commits before the file is on disk.
        """
        durable = None
        if self.wrote_blobs:
            self.wrote_blobs = False
            durable = asyncio.ensure_future(asyncio.to_thread(blobs.flush))
        try:
            await self._write(conn)
        finally:
            if durable is not None:
                await durable

    async def _write(self, conn: AsyncConnection) -> None:
        if self.pending["customer"]:
            await conn.execute(insert(_CUSTOMER), self.pending["customer"])
            self.pending["customer"] = []
        identities = [i for i in self.identities.values() if not i.stored or i.dirty]
        created = [i.row() for i in identities if not i.stored]
        renamed = [{"ident": i.id, "display_name": i.display_name} for i in identities if i.stored]
        if created:
            await conn.execute(insert(_IDENTITY), created)
        if renamed:
            await conn.execute(
                update(_IDENTITY).where(_IDENTITY.c.id == bindparam("ident")), renamed
            )
        for known in identities:
            known.stored, known.dirty = True, False
        conversations = [c for c in self.conversations.values() if not c.stored or c.dirty]
        created = [c.new_row() for c in conversations if not c.stored]
        changed = [c.changed_row() for c in conversations if c.stored]
        if created:
            await conn.execute(insert(_CONVERSATION), created)
        if changed:
            statement = update(_CONVERSATION).where(_CONVERSATION.c.id == bindparam("cid"))
            await conn.execute(statement, changed)
        for conversation in conversations:
            conversation.stored, conversation.dirty = True, False
        if self.pending["raw"]:
            await conn.execute(raw.INSERT, self.pending["raw"])
            self.pending["raw"] = []
        if self.pending["message"]:
            await self._insert_messages(conn, self.pending["message"])
            self.pending["message"] = []
        if self.pending["attachment"]:
            await conn.execute(insert(_ATTACHMENT), self.pending["attachment"])
            self.pending["attachment"] = []

    async def _insert_messages(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        """The rows, and the same words in the search index in one statement (schema v8)."""
        await conn.exec_driver_sql(sqlite.BEGIN_SEARCH_BATCH_SQL)
        await conn.exec_driver_sql(_INSERT_MESSAGE, [tuple(r[c] for c in _COLUMNS) for r in rows])
        words = [(r["id"], r["subject"], r["text"], r["sender"]) for r in rows]
        await conn.exec_driver_sql(sqlite.INDEX_MESSAGES_SQL, words)
        await conn.exec_driver_sql(sqlite.END_SEARCH_BATCH_SQL)


def _chunks(values: list[Any]) -> list[list[Any]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]
