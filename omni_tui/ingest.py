"""The one place where inbound messages become rows.

Every batch from an adapter is committed in one transaction together with the
adapter's cursor: a crash leaves either both or neither, so a restart pulls
again from the old cursor and the duplicates it sees are dropped here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.base import Cursor, InboundMessage
from adapters.email.automated import is_robot
from omni_tui import (
    accounts,
    addresses,
    blobs,
    events,
    identity,
    ingest_batch,
    ingest_prepare,
    ingest_rows,
    outbox,
    raw,
    threads,
    triage,
)
from omni_tui.errors import OmniError
from omni_tui.ingest_prepare import aware
from omni_tui.routing import Rules, RulesFile
from omni_tui.store import Store, refresh_summaries
from omni_tui.store.models import (
    Attachment,
    Conversation,
    Customer,
    Event,
    Message,
    SyncCursor,
    to_ms,
    utcnow,
)
from omni_tui.store.sqlite import AUTO_AUTHOR
from omni_tui.text import case_title, clean, clean_line

if TYPE_CHECKING:
    from omni_tui.config import Config

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IngestOptions:
    default_region: str = "US"
    join_window: timedelta = timedelta(days=7)
    #: Routing rules for new cases; the file is read again when it changes.
    rules: RulesFile | None = None
    #: Message-ID domains of automatic acknowledgements (``accounts.reply_domains``).
    reply_domains: dict[str | None, str] = field(default_factory=dict)
    #: the team's own email addresses: never acknowledged (``accounts.own_addresses``)
    own: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: Config) -> IngestOptions:
        return cls(
            default_region=config.identity.default_region,
            join_window=timedelta(days=config.conversation.join_window_days),
            rules=RulesFile(config.routing.rules_path(config.source)),
            reply_domains=accounts.reply_domains(config.accounts),
            own=accounts.own_addresses(config.accounts),
        )


@dataclass(slots=True)
class IngestResult:
    new: int = 0
    duplicates: int = 0
    message_ids: list[int | None] = field(default_factory=list)
    conversation_ids: list[int | None] = field(default_factory=list)


def prepare(
    messages: Sequence[InboundMessage], options: IngestOptions
) -> list[ingest_prepare.Prepared] | None:
    """The part of ingesting ``messages`` that needs no store, for a worker thread;
    None for a batch the bulk path does not take (it has nothing to prepare)."""
    if not ingest_prepare.fits(messages):
        return None
    return ingest_prepare.prepare(messages, options.default_region)


async def ingest(
    store: Store,
    messages: Sequence[InboundMessage],
    cursor: Cursor | None = None,
    *,
    options: IngestOptions | None = None,
    prepared: Sequence[ingest_prepare.Prepared] | None = None,
) -> IngestResult:
    """Store ``messages`` and advance ``cursor``, all or nothing; ``prepared`` is
    ``prepare(messages, options)`` when a caller did it ahead."""
    options = options or IngestOptions()
    result = IngestResult()
    touched: set[int] = set()
    rules = options.rules.current() if options.rules else None
    async with store.write() as session:
        before = await triage.newest_conversation_id(session) if rules and rules.rules else None
        batch = None
        if ingest_prepare.fits(messages):
            batch = ingest_batch.EmailBatch(
                session, store.data_dir, options.default_region, options.join_window
            )
            rows = await batch.run(messages, prepared)
        else:
            rows = [await _ingest_one(session, store, inbound, options) for inbound in messages]
        for row in rows:
            result.message_ids.append(row[0] if row else None)
            result.conversation_ids.append(row[1] if row else None)
            if row is None:
                result.duplicates += 1
            else:
                result.new += 1
                touched.add(row[1])
        stale = touched - batch.summarised if batch is not None else set(touched)
        for inbound, row in zip(messages, rows, strict=True):
            if row is not None and inbound.in_reply_to and "bounced" in inbound.context:
                await _bounced(session, inbound.in_reply_to, inbound.context["bounced"], row[1])
                stale.add(row[1])  # a reply of a case the batch summed up failed
        await refresh_summaries(session, stale)
        if rules is not None and before is not None:
            await _route(session, rules, touched, before, options)
        if cursor is not None:
            await session.merge(
                SyncCursor(account=cursor.account, folder=cursor.folder, value=cursor.value)
            )
    return result


async def _bounced(session: AsyncSession, message_id: str, why: str, case: int) -> None:
    """A delivery report returned our reply: it did not reach the customer, who waits on
    us again (the summary refresh that follows says so)."""
    query = select(Message).where(
        Message.message_id == message_id,
        Message.direction == "out",
        Message.conversation_id == case,
    )
    reply = (await session.exec(query)).first()
    if reply is None or not outbox.advances(reply.status, "failed"):
        return
    reply.status, reply.status_reason = "failed", clean_line(f"bounced: {why}")
    session.add(reply)
    events.record(
        session, "delivery", actor="gateway", conversation_id=case, message_id=reply.id,
        status="failed", reason=reply.status_reason,
    )  # fmt: skip


async def _route(
    session: AsyncSession, rules: Rules, touched: set[int], before: int, options: IngestOptions
) -> None:
    for conversation_id, decision in await triage.triage_new(session, rules, touched, before):
        if decision.acknowledge:
            try:
                await outbox.queue_in(
                    session,
                    conversation_id,
                    decision.acknowledge,
                    agent=AUTO_AUTHOR,
                    default_region=options.default_region,
                    domains=options.reply_domains,
                    own=options.own,  # a contact form "from" us: no answer to ourselves
                    cc=(),  # an automatic answer is for the one who wrote
                )
            except OmniError as exc:  # e.g. an alphanumeric sender: the case is still routed
                log.warning("conversation %d: no acknowledgement: %s", conversation_id, exc)


async def _is_duplicate(session: AsyncSession, inbound: InboundMessage, region: str) -> bool:
    """The rule of ``ingest_batch.EmailBatch._stored``, for one message."""
    if inbound.provider_id is not None:  # "IS NULL" would match every message without one
        query = select(Message.id).where(
            Message.account == inbound.account, Message.provider_id == inbound.provider_id
        )
        if (await session.exec(query)).first() is not None:
            return True
    if inbound.channel != "email":
        return False
    conn = await session.connection()
    if inbound.raw is not None:
        sha = blobs.raw_row(inbound.raw)["sha256"]
        if (await conn.exec_driver_sql(raw.stored_sql(1), (sha,))).first() is not None:
            return True
    message_id = clean_line(inbound.message_id)
    if not message_id:
        return False
    if inbound.direction == "in":
        sender = ingest_prepare.who(inbound, region).address
    else:
        sender = clean_line(inbound.sender)
    sent_at, subject, text, _ = ingest_prepare.content(inbound)
    query = select(
        Message.direction, Message.sender, Message.subject, Message.text, Message.sent_at
    ).where(Message.message_id == message_id)
    copies = [
        (direction, who, ingest_rows.words_of(said, words), to_ms(when), words)
        for direction, who, said, words, when in (await session.exec(query)).all()
    ]
    words = ingest_rows.words_of(subject, text)
    return ingest_rows.a_copy(copies, sender, words, to_ms(sent_at), text)


async def _resolve_customer(
    session: AsyncSession, inbound: InboundMessage, options: IngestOptions
) -> tuple[int, int | None, identity.Address, bool]:
    """Customer id, identity id and normalised address of the customer's side, and
    whether the address is new (a customer made for it)."""
    who = ingest_prepare.who(inbound, options.default_region)
    if not who.address:
        # nobody to recognise: a customer of its own, so unrelated anonymous
        # senders never share one history (an agent can merge them by hand)
        customer = Customer(name=who.display_name or "")
        session.add(customer)
        await session.flush()
        assert customer.id is not None
        return customer.id, None, who, False
    linked_to = None
    known = await identity.find_identity(session, who.channel, who.address)
    if inbound.channel == "chat" and known is None:
        linked_to = await _linked_by_context(session, inbound, options)
    ident, is_new = await identity.resolve(session, who, customer_id=linked_to)
    assert ident.id is not None
    if inbound.channel == "chat" and linked_to is None:
        await _emails_given(session, ident.customer_id, inbound.context)
    if is_new and linked_to is None:
        phone = who.address.partition(":")[2] if who.channel == "chat" else who.address
        if phone.startswith("+") and not identity.is_alphanumeric_sender(phone):
            await identity.suggest_from_phones(
                session, ident.customer_id, [phone], where=f"a new {who.channel} identity"
            )
            await identity.suggest_from_mentions(session, ident.customer_id, phone)
    return ident.customer_id, ident.id, who, is_new and linked_to is None


async def _linked_by_context(
    session: AsyncSession, inbound: InboundMessage, options: IngestOptions
) -> int | None:
    """A chat visitor who gave an email or phone is the customer with that identity."""
    for key, channels in (("email", ("email",)), ("phone", identity.PHONE_CHANNELS)):
        value = inbound.context.get(key)
        if not value:
            continue
        for channel in channels:
            who = identity.normalise(channel, str(value), options.default_region)
            found = await identity.find_identity(session, channel, who.address)
            if found is not None:
                return found.customer_id
    return None


async def _emails_given(session: AsyncSession, customer_id: int, context: dict[str, str]) -> None:
    """An email a chat visitor gave that did not join them to its customer.  One nobody
    has becomes theirs, so their next email lands beside this chat (unless typed into a
    form a site asked to be signed: anyone can type any address).  One another customer
    has is put to the agent; nothing is joined."""
    for key, why in (("unverified_email", " (not verified)"), ("email", "")):
        if not (given := context.get(key)):
            continue
        who = identity.normalise("email", given)
        found = await identity.find_identity(session, "email", who.address)
        if found is None and key == "email" and addresses.is_plain_email(who.address):
            await identity.resolve(session, who, customer_id=customer_id)
        elif found is not None and found.customer_id != customer_id:
            reason = f"a chat visitor gave {who.address}{why}"
            await identity.suggest(session, customer_id, found.customer_id, who.address, reason)


#: The carriers' keywords (CTIA; Twilio answers them the same way).
OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"})
OPT_IN = frozenset({"START", "UNSTOP", "YES", "OPTIN"})


async def _opt_keywords(
    session: AsyncSession, customer_id: int, text: str, at: datetime, message_id: int | None
) -> None:
    """A text that is just STOP opts the customer out of SMS; START opts them back in."""
    word = text.strip().strip(".!").upper()
    if word not in OPT_OUT and word not in OPT_IN:
        return
    customer = await session.get(Customer, customer_id)
    if customer is None:
        return
    latest = await session.exec(
        select(Event.at)
        .where(Event.customer_id == customer_id, col(Event.kind).in_(("opt-out", "opt-in")))
        .order_by(col(Event.at).desc())
        .limit(1)
    )
    last_word = aware(latest.first())
    if last_word is not None and last_word > (aware(at) or at):
        return  # an older keyword arriving late (a gateway's retry): the newer one stands
    opted_out = word in OPT_OUT
    if (customer.opted_out_at is not None) == opted_out and not opted_out:
        return  # "yes" from someone texting us anyway: nothing to note
    if (customer.opted_out_at is not None) != opted_out:
        customer.opted_out_at = at if opted_out else None
        session.add(customer)
    events.record(  # a repeated STOP too: a late, older START must not outrank it
        session,
        "opt-out" if opted_out else "opt-in",
        actor="customer",
        customer_id=customer_id,
        at=at,
        message_id=message_id,
        keyword=word,
    )


async def _ingest_one(
    session: AsyncSession, store: Store, inbound: InboundMessage, options: IngestOptions
) -> tuple[int, int] | None:
    """One message, any channel: the rules ``ingest_batch`` follows for email."""
    if await _is_duplicate(session, inbound, options.default_region):
        return None
    customer_id, identity_id, who, new_address = await _resolve_customer(session, inbound, options)
    sent_at, subject, text, html_text = ingest_prepare.content(inbound)

    conversation = await threads.find(
        session,
        customer_id=customer_id,
        channel=inbound.channel,
        subject=subject,
        in_reply_to=inbound.in_reply_to,
        references=list(inbound.references),
        at=sent_at,
        window=options.join_window,
        robot=inbound.channel == "email" and is_robot(inbound.sender),
    )
    if not ingest_rows.our_answer_in(conversation, inbound.direction, customer_id):
        conversation = None
    if conversation is None:
        conversation = Conversation(
            customer_id=customer_id,
            subject=case_title(subject, text, [a.filename for a in inbound.attachments]),
            created_at=sent_at,
            updated_at=sent_at,
        )
    else:
        theirs = conversation.customer_id == customer_id
        robot = inbound.channel == "email" and is_robot(who.address)  # a bounce, say
        if new_address and inbound.direction == "in" and not theirs and not robot:
            await identity.suggest_from_thread(
                session, customer_id, conversation.customer_id, who.address, conversation.id or 0
            )
        if inbound.direction == "in" and conversation.status in ingest_batch.WAKES_ON_REPLY:
            if conversation.status == "resolved" and conversation.id is not None:
                events.customer_reopened(
                    session, conversation.id, at=sent_at, channel=inbound.channel
                )
            conversation.status, conversation.snoozed_until = "open", None
    if not conversation.last_message_at or conversation.last_message_at < sent_at:
        conversation.last_message_at = sent_at
    conversation.updated_at = max(conversation.updated_at, sent_at)
    session.add(conversation)
    await session.flush()
    assert conversation.id is not None

    message = Message(
        conversation_id=conversation.id,
        customer_id=customer_id,
        identity_id=identity_id,
        channel=inbound.channel,
        direction=inbound.direction,
        account=inbound.account,
        provider_id=inbound.provider_id,
        sender=who.address if inbound.direction == "in" else clean_line(inbound.sender),
        sender_name=(who.display_name if inbound.direction == "in" else None)
        or clean_line(inbound.sender_name)
        or None,
        recipients=[clean_line(r) for r in inbound.recipients],
        subject=subject,
        text=text,
        html_text=html_text,
        message_id=clean_line(inbound.message_id) or None,
        in_reply_to=clean_line(inbound.in_reply_to) or None,
        references=[clean_line(r) for r in inbound.references],
        sent_at=sent_at,
        received_at=aware(inbound.received_at) or utcnow(),
        status="received" if inbound.direction == "in" else "sent",
        context={clean_line(k): clean(str(v)) for k, v in inbound.context.items()},
        raw_sha256=await raw.keep(session, inbound.raw) if inbound.raw else None,
    )
    session.add(message)
    await session.flush()
    assert message.id is not None
    for part in inbound.attachments:
        sha256 = problem = None  # written (and fsynced) off the event loop: MMS media are big
        if part.data is not None:
            sha256, problem = await asyncio.to_thread(
                blobs.keep, store.attachments_dir, part.data, raw_kept=bool(inbound.raw)
            )
        session.add(
            Attachment(
                message_id=message.id,
                filename=clean_line(part.filename) or "attachment",
                content_type=clean_line(part.content_type) or "application/octet-stream",
                size=part.size if part.size is not None else len(part.data or b""),
                sha256=sha256,
                inline=part.inline,
                skipped_reason=clean_line(problem or part.skipped_reason) or None,
            )
        )
    if inbound.channel == "sms" and inbound.direction == "in":
        await _opt_keywords(session, customer_id, text, sent_at, message.id)
    if inbound.channel == "email" and inbound.direction == "in":
        phones = identity.phones_in_text(text, options.default_region)
        await identity.remember_phones(session, customer_id, phones)
        await identity.suggest_from_phones(session, customer_id, phones, where="an email's text")
    return message.id, conversation.id
