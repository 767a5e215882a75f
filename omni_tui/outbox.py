"""Replies are rows first and deliveries second.

``queue_reply`` commits the outbound message and its outbox row in one
transaction before any network is touched, so what the agent typed survives a
crash; delivery (with retries and an idempotency key) happens afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import make_msgid
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.base import AttachmentData
from adapters.sms.encoding import TextLimit
from omni_tui import blobs, events, identity, recipients
from omni_tui.actions import get_conversation
from omni_tui.errors import NotFound, Refused
from omni_tui.store import Store, refresh_summaries
from omni_tui.store.models import Attachment, Customer, Identity, Message, Outbox, utcnow
from omni_tui.text import clean, clean_line, reply_subject, snippet

#: Message-IDs' domain when no email account has an address (``accounts.reply_domains``)
FALLBACK_DOMAIN = "omni-tui.local"


@dataclass(frozen=True, slots=True)
class QueuedReply:
    message_id: int
    outbox_id: int
    channel: str
    to: str
    cc: tuple[str, ...] = ()


async def queue_reply(
    store: Store,
    conversation_id: int,
    body: str,
    *,
    agent: str,
    channel: str | None = None,
    to: str | None = None,
    at: datetime | None = None,
    default_region: str = "US",
    domains: Mapping[str | None, str] | None = None,
    attachments: Sequence[AttachmentData] = (),
    cc: Sequence[str] = (),
    reply_all: bool = False,
    own: Collection[str] = (),
    text_limits: Mapping[str | None, TextLimit] | None = None,
) -> QueuedReply:
    """Queue a reply on ``channel`` (default: where the customer last wrote);
    ``attachments`` (``attachments.read_for_reply``) go by email only; ``domains``
    (``accounts.reply_domains``) name the domain of an email's Message-ID.  An email
    is copied to ``cc``, or with ``reply_all`` to whom the customer's last email
    copied; never to ``own``, our addresses (``accounts.own_addresses``)."""
    async with store.write() as session:
        return await queue_in(
            session,
            conversation_id,
            body,
            agent=agent,
            channel=channel,
            to=to,
            at=at,
            default_region=default_region,
            domains=domains,
            attachments=attachments,
            attachments_dir=store.attachments_dir,
            cc=cc,
            reply_all=reply_all,
            own=own,
            text_limits=text_limits,
        )


async def queue_in(
    session: AsyncSession,
    conversation_id: int,
    body: str,
    *,
    agent: str,
    channel: str | None = None,
    to: str | None = None,
    at: datetime | None = None,
    default_region: str = "US",
    domains: Mapping[str | None, str] | None = None,
    attachments: Sequence[AttachmentData] = (),
    attachments_dir: Path | None = None,
    cc: Sequence[str] = (),
    reply_all: bool = False,
    own: Collection[str] = (),
    text_limits: Mapping[str | None, TextLimit] | None = None,
) -> QueuedReply:
    """:func:`queue_reply` inside the caller's transaction; ``text_limits``: what each SMS
    account's gateway takes (``accounts.text_limits``), checked now, not at send."""
    body = clean(body).strip("\n")
    if not body.strip():
        raise Refused("a reply needs a body")
    at = at or utcnow()
    conversation = await get_conversation(session, conversation_id)
    assert conversation.id is not None
    customer = await session.get(Customer, conversation.customer_id)
    if customer is None:
        raise NotFound("customer", conversation.customer_id)
    if channel is None:
        last = await recipients.last_inbound(session, conversation.id)
        channel = last.channel if last else None
    if channel is None:
        query = select(Identity.channel).where(Identity.customer_id == customer.id)
        channel = (await session.exec(query.order_by(col(Identity.id).desc()))).first()
    if channel not in recipients.REPLY_CHANNELS:
        raise Refused(
            f"cannot reply on {channel or 'no channel'!r} — use --channel email, sms or chat"
        )
    if cc and channel != "email":
        raise Refused(f"a {channel} reply goes to one address — copies go by --channel email")
    recipient = await recipients.recipient(
        session, customer.id or 0, conversation.id, channel, to, default_region
    )
    if channel == "email" and recipient.address.lower() in {a.lower() for a in own}:
        raise Refused(
            f"{recipient.address} is this team's own address: the reply would come back"
            " to the inbox — answer the customer's address (--to)"
        )
    if channel == "sms":
        if identity.is_alphanumeric_sender(recipient.address):
            raise Refused(
                f"{recipient.address} is an alphanumeric sender id; it cannot receive texts"
            )
        if customer.opted_out_at is not None:
            raise Refused(f"customer {customer.id} texted STOP; they cannot be texted")
    if attachments and channel != "email":
        raise Refused(f"a {channel} reply carries text only — send the files with --channel email")
    last_same = await recipients.last_inbound(session, conversation.id, channel)
    limit = (text_limits or {}).get(last_same.account if last_same else None)
    if channel == "sms" and limit is not None and (why := limit.refusal(body)):
        raise Refused(f"{why} — shorten it or send it by email (--channel email)")
    copies = recipients.checked_copies(cc, recipient.address, default_region, own)
    if channel == "email" and not cc and reply_all:
        every = recipients.copies_of(last_same, own)
        theirs = await recipients.addresses_of(session, customer.id or 0, "email")
        # the customer's own other addresses are the customer: one copy reaches them
        copies = [a for a in every if a != recipient.address and a not in theirs]
    message = Message(
        conversation_id=conversation.id,
        customer_id=customer.id or 0,
        identity_id=recipient.id,
        channel=channel,
        direction="out",
        account=last_same.account if last_same else None,
        sender=agent,
        recipients=[recipient.address, *copies],
        text=body,
        sent_at=at,
        status="queued",
        author=agent,
    )
    if channel == "email":
        await _thread_email(session, message, conversation.id, conversation.subject)
        domains = domains or {}
        domain = domains.get(message.account) or domains.get(None) or FALLBACK_DOMAIN
        message.message_id = make_msgid(domain=domain)
    session.add(message)
    await session.flush()
    assert message.id is not None
    outbox = Outbox(
        message_id=message.id,
        conversation_id=conversation.id,
        channel=channel,
        account=message.account,
        to_address=recipient.address,
        idempotency_key=uuid.uuid4().hex,
        created_at=at,
        next_attempt_at=at,
    )
    session.add(outbox)
    await session.flush()
    assert outbox.id is not None
    if attachments:
        assert attachments_dir is not None, "attachments need the store's attachments dir"
        await _attach(session, message.id, attachments, attachments_dir)
    events.record(
        session,
        "reply",
        actor=agent,
        conversation_id=conversation.id,
        at=at,
        channel=channel,
        to=recipient.address,
        **({"cc": copies} if copies else {}),
        message_id=message.id,
        snippet=snippet(body, 80),
        **({"attachments": [a.filename for a in attachments]} if attachments else {}),
    )
    await refresh_summaries(session, [conversation.id])
    return QueuedReply(message.id, outbox.id, channel, recipient.address, tuple(copies))


async def _attach(
    session: AsyncSession, message_id: int, files: Sequence[AttachmentData], root: Path
) -> None:
    """The files on disk (durably, before the rows that name them commit), then the rows."""
    for part in files:
        assert part.data is not None
        sha = await asyncio.to_thread(blobs.put, root, part.data)
        session.add(
            Attachment(
                message_id=message_id,
                filename=clean_line(part.filename) or "attachment",
                content_type=part.content_type,
                size=len(part.data),
                sha256=sha,
            )
        )


async def _thread_email(
    session: AsyncSession, message: Message, conversation_id: int, subject: str
) -> None:
    """The latest email of the case as it arrived (a customer's clock may be hours off),
    of those that exist for the customer: not a reply cancelled or failed."""
    query = (
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.channel == "email",
            col(Message.message_id).is_not(None),
            col(Message.status).not_in(("cancelled", "failed")),
        )
        .order_by(col(Message.id).desc())
    )
    parent = (await session.exec(query)).first()
    message.subject = reply_subject(parent.subject if parent and parent.subject else subject)
    if parent is not None and parent.message_id:
        message.in_reply_to = parent.message_id
        chain = [*parent.references, parent.message_id]
        first = (await session.exec(query.order_by(None).order_by(col(Message.id)))).first()
        if first is not None and first.message_id and first.message_id not in chain:  # trimmed
            chain.insert(0, first.message_id)
        # the thread's first id stays (RFC 5322 3.6.4), then the latest ones
        message.references = chain if len(chain) <= 20 else [chain[0], *chain[-19:]]


async def mark_delivered(
    store: Store,
    outbox_id: int,
    *,
    provider_id: str,
    status: str = "delivered",
    at: datetime | None = None,
) -> None:
    """Record that the provider accepted (or delivered) an outbox message."""
    at = at or utcnow()
    async with store.write() as session:
        outbox = await session.get(Outbox, outbox_id)
        if outbox is None:
            raise NotFound("outbox item", outbox_id)
        message = await session.get(Message, outbox.message_id)
        assert message is not None
        outbox.status, outbox.sent_at, outbox.last_error = "sent", at, None
        message.status, message.provider_id, message.status_reason = status, provider_id, None
        session.add_all([outbox, message])


#: How far a message has got; a late or repeated report never moves it back.
_PROGRESS = {"queued": 0, "sending": 0, "sent": 1, "delivered": 2, "failed": 2, "cancelled": 3}


async def record_delivery(
    store: Store,
    provider_id: str,
    status: str,
    reason: str | None = None,
    *,
    accounts: Sequence[str] | None = None,
) -> bool:
    """A gateway's word on a message we sent (a DLR, a status callback or a poll).

    ``provider_id`` may also be the outbox's idempotency key (what Kannel reports
    carry), so a report that beats the send's own bookkeeping is not lost. False
    when no message of ours (of ``accounts``, if given) matches."""
    reason = clean_line(reason) or None  # a gateway's or an SMSC's words: untrusted
    async with store.write() as session:
        query = select(Message).where(
            Message.provider_id == provider_id, Message.direction == "out"
        )
        message = (await session.exec(query)).first()
        if message is None:
            by_key = select(Outbox).where(Outbox.idempotency_key == provider_id)
            item = (await session.exec(by_key)).first()
            message = await session.get(Message, item.message_id) if item else None
        if message is None:
            return False
        if accounts is not None and message.account not in (None, *accounts):
            return False  # another gateway's message: not this caller's to change
        if not advances(message.status, status):
            return True  # a final word stands; an earlier step arriving late changes nothing
        if message.status != status or message.status_reason != reason:
            message.status, message.status_reason = status, reason
            session.add(message)
            events.record(
                session,
                "delivery",
                actor="gateway",
                conversation_id=message.conversation_id,
                message_id=message.id,
                status=status,
                reason=reason,
            )
            if status == "failed":  # undelivered: the customer is waiting on us again
                await session.flush()
                await refresh_summaries(session, [message.conversation_id])
        return True


def advances(current: str, new: str) -> bool:
    """Whether a report may move a message from ``current`` to ``new``."""
    if current in ("delivered", "failed") and new != current:
        return False
    return _PROGRESS.get(new, 1) >= _PROGRESS.get(current, 0)


async def awaiting_report(
    store: Store, account: str, *, since: datetime, limit: int = 100
) -> list[str]:
    """Provider ids of messages the gateway took but has not yet called final."""
    async with store.read() as session:
        query = (
            select(Message.provider_id)
            .where(
                Message.account == account,
                Message.direction == "out",
                Message.status == "sent",
                col(Message.provider_id).is_not(None),
                col(Message.sent_at) >= since,
            )
            .order_by(col(Message.id).desc())
            .limit(limit)
        )
        return [pid for pid in (await session.exec(query)).all() if pid]


async def pending(store: Store, limit: int | None = 100) -> list[Outbox]:
    """Replies not gone out yet: queued, failed, and sending (in doubt until the next
    sync settles it, if the one sending it was killed); ``limit=None``: all of them.

    A reply the gateway took and then reported undelivered is listed as failed, with
    the gateway's words as its last error: it waits on the agent like any failure.
    """
    async with store.read() as session:
        query = (
            select(Outbox, Message.status, Message.status_reason)
            .join(Message, col(Message.id) == col(Outbox.message_id))
            .where(
                col(Outbox.status).in_(["queued", "sending", "failed"])
                | ((col(Outbox.status) == "sent") & (col(Message.status) == "failed"))
            )
            .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
        )
        if limit is not None:
            query = query.limit(limit)
        found = []
        for item, status, reason in (await session.exec(query)).all():
            if item.status == "sent":  # a copy for the listing, never written back
                item = Outbox.model_validate(item.model_dump() | {"status": status})
                item.last_error = reason
            found.append(item)
        return found


async def retry(store: Store, message_id: int, *, agent: str) -> None:
    """Put a failed delivery back in the queue, due now."""
    async with store.write() as session:
        item = (await session.exec(select(Outbox).where(Outbox.message_id == message_id))).first()
        if item is None:
            raise NotFound("outbox item for message", message_id)
        message = await session.get(Message, message_id)
        assert message is not None
        if item.status != "failed" and not _failed_after_sending(item, message):
            raise Refused(f"message {message_id} is {item.status}, not failed")
        earlier = _send_afresh(item, message) if _failed_after_sending(item, message) else None
        # a fresh start: the configured retries and backoff apply again
        item.status, item.next_attempt_at, item.attempts = "queued", utcnow(), 0
        message.status, message.status_reason = "queued", None
        session.add_all([item, message])
        await session.flush()
        await refresh_summaries(session, [item.conversation_id])  # an answer again
        events.record(
            session,
            "retry",
            actor=agent,
            conversation_id=item.conversation_id,
            message_id=message_id,
            **({"previous_provider_id": earlier} if earlier else {}),
        )


async def _undelivered(session: AsyncSession, message_id: int) -> tuple[Outbox, Message]:
    """An outbox item nobody is sending now: queued (waiting or backing off), failed,
    or taken by the gateway and then reported undelivered."""
    item = (await session.exec(select(Outbox).where(Outbox.message_id == message_id))).first()
    if item is None:
        raise NotFound("outbox item for message", message_id)
    message = await session.get(Message, message_id)
    assert message is not None
    if item.status not in ("queued", "failed") and not _failed_after_sending(item, message):
        raise Refused(f"message {message_id} is {item.status}: it can no longer be changed")
    return item, message


def _failed_after_sending(item: Outbox, message: Message) -> bool:
    """The gateway took it, then reported it undelivered (a DLR, a relay's failure)."""
    return item.status == "sent" and message.status == "failed"


def _send_afresh(item: Outbox, message: Message) -> str | None:
    """A new key and no provider id: the gateway's record of the failed try (a relay's
    row under the old key, a late report on the old id) is never taken for the new one.
    Returns the old id, for the event: recovery must never take it for the new send."""
    earlier = message.provider_id
    item.idempotency_key = uuid.uuid4().hex
    item.sent_at = None
    message.provider_id = None
    return earlier


async def cancel(store: Store, message_id: int, *, agent: str) -> None:
    """Take a reply out of the queue; it stays in the conversation, marked cancelled."""
    async with store.write() as session:
        item, message = await _undelivered(session, message_id)
        item.status = "cancelled"
        message.status, message.status_reason = "cancelled", f"cancelled by {agent}"
        session.add_all([item, message])
        events.record(
            session, "cancel", actor=agent, conversation_id=item.conversation_id,
            message_id=message_id,
        )  # fmt: skip
        await refresh_summaries(session, [item.conversation_id])  # the inbox shows the mark


async def edit(
    store: Store,
    message_id: int,
    body: str,
    *,
    agent: str,
    text_limits: Mapping[str | None, TextLimit] | None = None,
) -> None:
    """Change a reply that has not gone out, and queue it again, due now; a text is
    held to its gateway's limit (``text_limits``), as when it was first queued."""
    body = clean(body).strip("\n")
    if not body.strip():
        raise Refused("a reply needs a body")
    async with store.write() as session:
        item, message = await _undelivered(session, message_id)
        limit = (text_limits or {}).get(item.account or message.account)
        if item.channel == "sms" and limit is not None and (why := limit.refusal(body)):
            raise Refused(f"{why} — shorten it")
        before, earlier = message.text, None
        if _failed_after_sending(item, message):
            earlier = _send_afresh(item, message)
        elif item.attempts:
            # a try may have reached the gateway with the old words: under the old key
            # the relay (or Kannel's reports) would take the new ones for that one
            item.idempotency_key = uuid.uuid4().hex
        item.status, item.next_attempt_at, item.attempts = "queued", utcnow(), 0
        message.text, message.status, message.status_reason = body, "queued", None
        session.add_all([item, message])
        events.record(
            session, "edit", actor=agent, conversation_id=item.conversation_id,
            message_id=message_id, before=snippet(before, 80), snippet=snippet(body, 80),
            **({"previous_provider_id": earlier} if earlier else {}),
        )  # fmt: skip
        await refresh_summaries(session, [item.conversation_id])  # the inbox shows the new text
