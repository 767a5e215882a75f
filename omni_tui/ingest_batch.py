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
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.base import InboundMessage
from adapters.email.automated import is_robot
from omni_tui import blobs, events, identity, ingest_prepare, ingest_summary
from omni_tui.ingest_prepare import Prepared
from omni_tui.ingest_rows import (
    CONVERSATION_CHANGED_SQL,
    CONVERSATION_COLUMNS,
    IDENTITY_COLUMNS,
    IDENTITY_RENAMED_SQL,
    BatchConversation,
    BatchIdentity,
    a_copy,
    insert_sql,
    our_answer_in,
    words_of,
)
from omni_tui.ingest_view import BatchView, normalised
from omni_tui.store import sqlite
from omni_tui.store.models import Message
from omni_tui.text import case_title, clean_line, normalise_subject
from omni_tui.timestamps import to_ms, utcnow

# Every statement is SQL of its own, with values as SQL keeps them (times in epoch
# milliseconds): a batch reads and writes thousands of rows, and building each
# statement and converting each value through the ORM's types cost more than the
# statements themselves.
_COLUMNS = tuple(c.name for c in Message.__table__.columns)  # type: ignore[attr-defined]
_INSERT_MESSAGE = insert_sql("message", _COLUMNS)
_INSERT_CUSTOMER = insert_sql(
    "customer", ("id", "name", "note", "created_at", "merged_into", "opted_out_at")
)
_INSERT_IDENTITY = insert_sql("identity", IDENTITY_COLUMNS)
_INSERT_CONVERSATION = insert_sql("conversation", CONVERSATION_COLUMNS)
_ATTACHMENT_COLUMNS = (
    "id", "message_id", "filename", "content_type", "size", "sha256", "inline", "skipped_reason"
)  # fmt: skip
_INSERT_ATTACHMENT = insert_sql("attachment", _ATTACHMENT_COLUMNS)
_ID, _SUBJECT, _TEXT, _SENDER = (_COLUMNS.index(c) for c in ("id", "subject", "text", "sender"))

#: A customer writing into a case in one of these opens it again: they are waiting
#: now, and only open cases show in the agents' views (pending has its own).
WAKES_ON_REPLY = ("resolved", "snoozed", "pending")


class EmailBatch(BatchView):
    """One write transaction's worth of email; ``run`` returns (message, conversation) ids."""

    def __init__(
        self, session: AsyncSession, data_dir: Path, region: str, window: timedelta
    ) -> None:
        self.session = session
        self.attachments_dir = data_dir / "attachments"
        self.region = region
        self.window_ms = int(window.total_seconds() * 1000)
        super().__init__()
        self.new_customers: set[int] = set()  # made by this batch, for a new address
        self.pending: dict[str, list[tuple[Any, ...]]] = {
            "customer": [],
            "message": [],
            "attachment": [],
            "raw": [],
        }
        self.wrote_blobs = False
        #: the messages of each case this batch opened, for its summary
        self.opened: dict[int, list[ingest_summary.Line]] = {}
        #: the cases whose summary the batch wrote (``ingest_summary``)
        self.summarised: set[int] = set()

    async def run(
        self, messages: Sequence[InboundMessage], prepared: Sequence[Prepared] | None = None
    ) -> list[tuple[int, int] | None]:
        """``prepared`` is ``ingest_prepare.prepare(messages)``, if it was done ahead."""
        if prepared is None:
            prepared = ingest_prepare.prepare(messages, self.region)
        conn = await self.session.connection()
        await self.load(conn, messages, prepared)
        out: list[tuple[int, int] | None] = []
        for inbound, ready in zip(messages, prepared, strict=True):
            out.append(await self._one(conn, inbound, ready))
        await self._flush(conn)
        await self._summarise(conn)
        return out

    async def _summarise(self, conn: AsyncConnection) -> None:
        rows = [ingest_summary.row(case, lines) for case, lines in self.opened.items()]
        done = [r for r in rows if r is not None]
        if done:
            await conn.exec_driver_sql(ingest_summary.UPDATE_SQL, done)
        self.summarised = {r[-1] for r in done}

    # -- one message ---------------------------------------------------------

    def _take_id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def _new_customer(self, name: str) -> int:
        cid = self._take_id("customer")
        self.pending["customer"].append((cid, name, "", to_ms(utcnow()), None, None))
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
            self._take_id("identity"), cid, who.address, who.display_name, False, False,
            to_ms(utcnow()),
        )  # fmt: skip
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

    def _recent(self, customer_id: int, floor: int) -> list[BatchConversation]:
        found = [c for c in self.by_customer.get(customer_id, ()) if c.active_ms() >= floor]
        found.sort(key=lambda c: (c.active_ms(), c.id), reverse=True)
        return found

    def _by_headers(self, inbound: InboundMessage) -> BatchConversation | None:
        keys = [k for k in [inbound.in_reply_to, *reversed(inbound.references)] if k]
        for key in keys:
            if key in self.header_ids:  # the first known key decides (``threads.by_headers``)
                return self.conversations.get(self.header_ids[key])
        return None

    def _answering(self, inbound: InboundMessage) -> tuple[BatchConversation, int] | None:
        """Our mail (from the Sent folder) in a case's thread, to any address of that
        case's customer (their second one, or copied after a colleague): the case and
        that address's identity."""
        case = self._by_headers(inbound) if inbound.direction == "out" else None
        for address in () if case is None else normalised(inbound.recipients):
            known = self.identities.get(address)
            if case is not None and known is not None and known.customer_id == case.customer_id:
                return case, known.id
        return None

    def _thread(
        self, inbound: InboundMessage, customer_id: int, subject: str | None, at: int
    ) -> BatchConversation | None:
        """``threads.find`` over the batch's view of the store."""
        if (found := self._by_headers(inbound)) is not None:
            return found
        if is_robot(inbound.sender):
            return None  # by its headers only, as in ``threads.find``
        recent = self._recent(customer_id, at - self.window_ms)
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
        if (inbound.account, inbound.provider_id) in self.seen_providers or self._stored(ready):
            return None
        sent_at, text, subject = ready.sent_at, ready.text, ready.subject
        sent_ms: int = ready.columns["sent_at"]
        answering = self._answering(inbound)
        if answering is not None:
            conversation, identity_id = answering
            customer_id = conversation.customer_id
        else:
            customer_id, identity_id = await self._customer(conn, ready.who)
            conversation = self._thread(inbound, customer_id, subject, sent_ms)
            if not our_answer_in(conversation, inbound.direction, customer_id):
                conversation = None
        if conversation is None:
            conversation = BatchConversation(
                id=self._take_id("conversation"),
                customer_id=customer_id,
                subject=case_title(subject, text, [a.filename for a in inbound.attachments]),
                status="open",
                snoozed_until=None,
                created_at=sent_ms,
                updated_at=sent_ms,
                last_message_at=None,
                stored=False,
            )
            self.conversations[conversation.id] = conversation
            self.by_customer.setdefault(customer_id, []).append(conversation)
            self.opened[conversation.id] = []
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
        if not conversation.last_message_at or conversation.last_message_at < sent_ms:
            conversation.last_message_at = sent_ms
        conversation.updated_at = max(conversation.updated_at, sent_ms)
        conversation.dirty = True
        conversation.channels.add(inbound.channel)

        message_id = self._take_id("message")
        stored_mid = ready.message_id
        row = {
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
        self.pending["message"].append(tuple(row[c] for c in _COLUMNS))
        if (lines := self.opened.get(conversation.id)) is not None:
            first = inbound.attachments[0].filename if inbound.attachments else None
            lines.append(
                ingest_summary.Line(
                    sent_ms,
                    message_id,
                    inbound.direction,
                    inbound.channel,
                    text,
                    None if first is None else clean_line(first) or "attachment",
                )  # fmt: skip
            )
        self.seen_providers.add((inbound.account, inbound.provider_id))
        if stored_mid:
            sender = ready.columns["sender"]
            copy = (inbound.direction, sender, words_of(subject, text), sent_ms, text)
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
                (
                    self._take_id("attachment"),
                    message_id,
                    clean_line(part.filename) or "attachment",
                    clean_line(part.content_type) or "application/octet-stream",
                    part.size if part.size is not None else len(part.data or b""),
                    sha,
                    part.inline,
                    clean_line(problem or part.skipped_reason) or None,
                )
            )
        if ready.phones:
            await self._flush(conn)
            await identity.remember_phones(self.session, customer_id, ready.phones)
            await identity.suggest_from_phones(
                self.session, customer_id, ready.phones, where="an email's text"
            )
            await self.session.flush()
        return message_id, conversation.id

    def _stored(self, ready: Prepared) -> bool:
        """Another copy of a stored message: its very bytes (a UIDVALIDITY resync, a
        second folder), or by its Message-ID (``ingest_rows.a_copy``)."""
        if ready.raw is not None and ready.raw["sha256"] in self.seen_raws:
            return True
        copies = self.copies.get(ready.message_id or "", ())
        sender, at = ready.columns["sender"], ready.columns["sent_at"]
        return a_copy(copies, sender, words_of(ready.subject, ready.text), at, ready.text)

    def _raw(self, values: dict[str, Any]) -> str:
        self.pending["raw"].append((values["sha256"], values["data"]))
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
            durable = asyncio.ensure_future(asyncio.to_thread(blobs.flush, self.attachments_dir))
        try:
            await self._write(conn)
        finally:
            if durable is not None:
                await durable

    async def _write(self, conn: AsyncConnection) -> None:
        await self._insert(conn, _INSERT_CUSTOMER, "customer")
        identities = [i for i in self.identities.values() if not i.stored or i.dirty]
        created = [i.row() for i in identities if not i.stored]
        renamed = [(i.display_name, i.id) for i in identities if i.stored]
        if created:
            await conn.exec_driver_sql(_INSERT_IDENTITY, created)
        if renamed:
            await conn.exec_driver_sql(IDENTITY_RENAMED_SQL, renamed)
        for known in identities:
            known.stored, known.dirty = True, False
        conversations = [c for c in self.conversations.values() if not c.stored or c.dirty]
        created = [c.new_row() for c in conversations if not c.stored]
        changed = [c.changed_row() for c in conversations if c.stored]
        if created:
            await conn.exec_driver_sql(_INSERT_CONVERSATION, created)
        if changed:
            await conn.exec_driver_sql(CONVERSATION_CHANGED_SQL, changed)
        for conversation in conversations:
            conversation.stored, conversation.dirty = True, False
        await self._insert(conn, sqlite.KEEP_RAW_SQL, "raw")
        if self.pending["message"]:
            await self._insert_messages(conn, self.pending["message"])
            self.pending["message"] = []
        await self._insert(conn, _INSERT_ATTACHMENT, "attachment")

    async def _insert(self, conn: AsyncConnection, statement: str, table: str) -> None:
        if self.pending[table]:
            await conn.exec_driver_sql(statement, self.pending[table])
            self.pending[table] = []

    async def _insert_messages(self, conn: AsyncConnection, rows: list[tuple[Any, ...]]) -> None:
        """The rows, and the same words in the search index in one statement (schema v8)."""
        await conn.exec_driver_sql(sqlite.BEGIN_SEARCH_BATCH_SQL)
        await conn.exec_driver_sql(_INSERT_MESSAGE, rows)
        words = [(r[_ID], r[_SUBJECT], r[_TEXT], r[_SENDER]) for r in rows]
        await conn.exec_driver_sql(sqlite.INDEX_MESSAGES_SQL, words)
        await conn.exec_driver_sql(sqlite.END_SEARCH_BATCH_SQL)
