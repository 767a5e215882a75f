"""Play the demo script through the real ingest, action and outbox APIs.

Every timestamp is an offset from an anchor (``now``, or the start of the
current UTC hour), and every id the script needs is derived from the script
itself, so seeding twice with the same ``now`` gives the same rows.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, text
from sqlmodel import col, select

from adapters.base import AttachmentData, InboundMessage
from omni_tui import actions, outbox
from omni_tui.demo import steps
from omni_tui.demo.script import CUSTOMERS
from omni_tui.demo.steps import (
    Assign,
    Call,
    Case,
    Chat,
    Customer,
    Email,
    Note,
    Reply,
    Sms,
    Status,
    Step,
    Tag,
)
from omni_tui.errors import Refused
from omni_tui.ingest import ingest
from omni_tui.store import Store
from omni_tui.store.models import Conversation, Message
from omni_tui.store.models import Customer as CustomerRow
from omni_tui.store.models import Outbox as OutboxRow
from omni_tui.text import reply_subject

_SHOP_DOMAIN = steps.SUPPORT_EMAIL.partition("@")[2]
_OFFSET = re.compile(r"(\+)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")


@dataclass(frozen=True, slots=True)
class DemoSummary:
    customers: int
    conversations: int
    messages: int
    """Messages on every channel, logged calls included, notes not."""
    notes: int


def anchor(now: datetime | None = None) -> datetime:
    """``now`` (made aware) or the start of the current UTC hour."""
    if now is None:
        return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def offset(spec: str) -> timedelta:
    """``"6d4h30m"`` is that long ago (negative); ``"+2d"`` is in the future."""
    match = _OFFSET.fullmatch(spec.strip())
    if not match or not any(match.group(2, 3, 4)):
        raise ValueError(f"bad demo time offset {spec!r}")
    future, days, hours, minutes = match.groups()
    delta = timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0))
    return delta if future else -delta


def _digest(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


# -- generated attachment bytes ----------------------------------------------


def _png(caption: str, width: int = 24, height: int = 16) -> bytes:
    """A tiny RGB PNG: a colour from the caption, crossed by a dark 'crack'."""
    seed = hashlib.sha256(caption.encode()).digest()
    base = bytes(seed[:3])
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            dark = abs(x - (y * width) // height - seed[3] % 4) <= 1
            rows += b"\x30\x28\x20" if dark else base

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def _pdf(caption: str) -> bytes:
    """A one-page PDF with the caption as its only line (xref offsets correct)."""
    line = caption.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 72 720 Td ({line}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def attachment(filename: str, caption: str) -> AttachmentData:
    ext = filename.rpartition(".")[2].lower()
    if ext == "png":
        return AttachmentData(filename, "image/png", _png(caption))
    if ext == "pdf":
        return AttachmentData(filename, "application/pdf", _pdf(caption))
    kind = "text/csv" if ext == "csv" else "text/plain"
    return AttachmentData(filename, kind, caption.encode())


# -- playing the script ------------------------------------------------------


@dataclass(slots=True)
class _Case:
    number: int
    customer: Customer
    case: Case
    conversation_id: int | None = None
    thread: list[str] = field(default_factory=list)
    """Message-IDs of the case's emails, ours included, oldest first."""
    subject: str | None = None


@dataclass(slots=True)
class _Player:
    store: Store
    base: datetime
    customer_ids: dict[str, int] = field(default_factory=dict)
    counter: int = 0

    def at(self, spec: str) -> datetime:
        return self.base + offset(spec)

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    async def play(self, state: _Case, step: Step) -> None:
        at = self.at(step.at)
        if isinstance(step, Email | Sms | Chat):
            await self.inbound(state, step, at)
            return
        if isinstance(step, Call):
            await self.call(state, step, at)
            return
        conversation_id = state.conversation_id
        if conversation_id is None:
            raise ValueError(f"{state.customer.key}: {type(step).__name__} before the case began")
        await actions.mark_read(self.store, conversation_id, at=at)
        if isinstance(step, Reply):
            await self.reply(state, conversation_id, step, at)
        elif isinstance(step, Note):
            await actions.add_note(self.store, conversation_id, step.text, agent=step.agent, at=at)
        elif isinstance(step, Assign):
            await actions.assign(
                self.store, conversation_id, step.to, agent=step.agent, team=step.team, at=at
            )
        elif isinstance(step, Status):
            until = self.at(step.until) if step.until else None
            await actions.set_status(
                self.store, conversation_id, step.status, agent=step.agent, until=until, at=at
            )
        elif isinstance(step, Tag):
            await actions.add_tags(self.store, conversation_id, step.tags, agent=step.agent, at=at)

    def message(self, state: _Case, step: Email | Sms | Chat, at: datetime) -> InboundMessage:
        who = state.customer
        key = _digest(who.key, state.number, step.at, step.text[:40])
        received = at + timedelta(seconds=4)
        if isinstance(step, Sms):
            if not who.phone:
                raise ValueError(f"{who.key} texts but has no phone")
            return InboundMessage(
                channel="sms",
                account=steps.SMS_ACCOUNT,
                provider_id=f"SM{key[:32]}",
                sender=who.phone,
                text=step.text,
                recipients=[steps.SMS_NUMBER],
                sent_at=at,
                received_at=received,
            )
        if isinstance(step, Chat):
            if not who.chat:
                raise ValueError(f"{who.key} chats but has no chat handle")
            return InboundMessage(
                channel="chat",
                account=steps.CHAT_ACCOUNT,
                provider_id=f"wc_{key[:20]}",
                sender=who.chat,
                sender_name=who.name,
                text=step.text,
                sent_at=at,
                received_at=received,
                context=dict(step.context),
            )
        if not who.email:
            raise ValueError(f"{who.key} emails but has no address")
        if step.fresh or state.subject is None:
            subject, in_reply_to, references = step.subject or state.case.subject, None, []
        else:
            subject = step.subject or reply_subject(state.subject)
            in_reply_to, references = state.thread[-1], state.thread[-10:]
        domain = who.email.partition("@")[2]
        return InboundMessage(
            channel="email",
            account=steps.EMAIL_ACCOUNT,
            provider_id=f"INBOX:{4100 + self.next_id()}",
            sender=f"{who.name} <{who.email}>" if who.name else who.email,
            sender_name=who.name,
            recipients=[steps.SUPPORT_EMAIL],
            subject=subject,
            text=step.text,
            html=step.html,
            sent_at=at,
            received_at=received,
            message_id=f"<{key[:24]}@mail.{domain}>",
            in_reply_to=in_reply_to,
            references=references,
            attachments=[attachment(name, caption) for name, caption in step.attach],
        )

    async def inbound(self, state: _Case, step: Email | Sms | Chat, at: datetime) -> None:
        inbound = self.message(state, step, at)
        result = await ingest(self.store, [inbound])
        conversation_id, message_id = result.conversation_ids[0], result.message_ids[0]
        if conversation_id is None or message_id is None:
            raise ValueError(f"{state.customer.key}: demo message at {step.at} was a duplicate")
        state.conversation_id = conversation_id
        if inbound.message_id:
            state.thread.append(inbound.message_id)
            state.subject = inbound.subject
        async with self.store.read() as session:
            row = await session.get(Message, message_id)
            assert row is not None
            self.customer_ids[state.customer.key] = row.customer_id

    async def call(self, state: _Case, step: Call, at: datetime) -> None:
        customer_id = self.customer_ids.get(state.customer.key)
        if customer_id is None:
            raise ValueError(f"{state.customer.key}: a call before we know the customer")
        if state.conversation_id is not None:
            await actions.mark_read(self.store, state.conversation_id, at=at)
        state.conversation_id, _ = await actions.log_call(
            self.store,
            customer_id,
            step.text,
            agent=step.agent,
            direction=step.direction,
            conversation_id=state.conversation_id,
            at=at,
        )

    async def reply(self, state: _Case, conversation_id: int, step: Reply, at: datetime) -> None:
        queued = await outbox.queue_reply(
            self.store,
            conversation_id,
            step.text,
            agent=step.agent,
            channel=step.channel,
            to=step.to,
            at=at,
            domains={None: _SHOP_DOMAIN},
        )
        key = _digest("reply", state.number, step.at, step.agent)
        # queue_reply mints a random Message-ID and idempotency key; pin both so
        # the demo is the same every time and customers' replies thread to it
        async with self.store.write() as session:
            message = await session.get(Message, queued.message_id)
            box = await session.get(OutboxRow, queued.outbox_id)
            assert message is not None and box is not None
            box.idempotency_key = f"demo-{key[:32]}"
            if queued.channel == "email":
                message.message_id = f"<{key[:24]}@{_SHOP_DOMAIN}>"
                state.thread.append(message.message_id)
                state.subject = message.subject or state.subject
            session.add_all([message, box])
        if not step.queued:
            provider_id = {
                "email": f"<{key[:24]}@{_SHOP_DOMAIN}>",
                "sms": f"SM{key[32:64]}",
            }.get(queued.channel, f"wc_{key[32:52]}")
            await outbox.mark_delivered(
                self.store, queued.outbox_id, provider_id=provider_id, at=at + timedelta(seconds=3)
            )


def timeline(customers: tuple[Customer, ...] = CUSTOMERS) -> list[tuple[str, _Case, Step]]:
    """Every step of every case, in the order it happened."""
    entries: list[tuple[timedelta, int, int, _Case, Step]] = []
    number = 0
    for customer in customers:
        for case in customer.cases:
            number += 1
            state = _Case(number, customer, case)
            last: timedelta | None = None
            for index, step in enumerate(case.steps):
                when = offset(step.at)
                if last is not None and when < last:
                    raise ValueError(f"{customer.key}: step {step.at} goes back in time")
                last = when
                entries.append((when, number, index, state, step))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    return [(step.at, state, step) for _, _, _, state, step in entries]


_BACKDATE = (
    # rows the APIs stamp with the wall clock get the time the story gives them
    """UPDATE customer SET created_at = coalesce(
         (SELECT min(m.sent_at) FROM message m WHERE m.customer_id = customer.id), created_at)""",
    """UPDATE identity SET created_at = coalesce(
         (SELECT min(m.sent_at) FROM message m WHERE m.identity_id = identity.id),
         (SELECT c.created_at FROM customer c WHERE c.id = identity.customer_id))""",
    """UPDATE link_suggestion SET created_at = (SELECT max(c.created_at) FROM customer c
         WHERE c.id IN (link_suggestion.customer_id, link_suggestion.other_customer_id))""",
    "UPDATE agent SET created_at = :agents_since",
)


async def seed_demo(store: Store, *, now: datetime | None = None) -> DemoSummary:
    """Fill an empty store with Larkspur Coffee's support week, ending at ``now``."""
    async with store.read() as session:
        if (await session.exec(select(Conversation.id).limit(1))).first() is not None:
            raise Refused(f"{store.path}: the store already has conversations — seed an empty one")
    base = anchor(now)
    for name, team, email in steps.AGENTS:
        await actions.ensure_agent(store, name, team=team, email=email)
    player = _Player(store, base)
    for _, state, step in timeline():
        await player.play(state, step)
    since = int((base - timedelta(days=90)).timestamp() * 1000)
    async with store.write() as session:
        for statement in _BACKDATE:
            await session.exec(text(statement), params={"agents_since": since})  # type: ignore[call-overload]
    return await summarise(store)


async def summarise(store: Store) -> DemoSummary:
    async with store.read() as session:
        customers = await session.exec(
            select(func.count())
            .select_from(CustomerRow)
            .where(col(CustomerRow.merged_into).is_(None))
        )
        conversations = await session.exec(select(func.count()).select_from(Conversation))
        messages = await session.exec(
            select(func.count()).select_from(Message).where(Message.direction != "note")
        )
        notes = await session.exec(
            select(func.count()).select_from(Message).where(Message.direction == "note")
        )
        return DemoSummary(
            customers=customers.one(),
            conversations=conversations.one(),
            messages=messages.one(),
            notes=notes.one(),
        )
