"""Delivering the outbox: each queued reply is marked ``sending`` (committed) before
the network is touched, then ``sent`` or ``failed`` with the provider's word.

A transient failure retries with exponential backoff; a refusal (bad address,
auth) fails at once and is shown on the message in every console.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
from dataclasses import dataclass, field, replace
from datetime import timedelta

from sqlmodel import col, select

from adapters.base import (
    AttachmentData,
    AuthError,
    ChannelError,
    OutboundMessage,
    RejectedError,
    TransientError,
)
from adapters.email.smtp import send_email
from omni_tui import accounts, blobs, identity
from omni_tui.config import AccountConfig, Config, OutboxConfig
from omni_tui.errors import ConfigError, NotFound, StoreError
from omni_tui.outbox import advances
from omni_tui.relay_pull import relay_client
from omni_tui.store import (
    Attachment,
    Customer,
    Message,
    Outbox,
    Store,
    refresh_summaries,
    utcnow,
)
from omni_tui.store.sqlite import AUTO_AUTHOR

log = logging.getLogger(__name__)
RECORD_RETRY_S = 1.0  # the first wait before recording a send again, doubling

MAX_BACKOFF_S = 3600.0  # however many attempts, our own retry is at most an hour away
MAX_RETRY_AFTER_S = 86400.0  # a gateway asking for longer is asked again after a day


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    errors: list[str] = field(default_factory=list)


def account_for(config: Config, item: Outbox) -> AccountConfig | None:
    if item.account:
        try:
            return config.account(item.account)
        except NotFound:
            return None
    return next((a for a in config.accounts if a.channel == item.channel), None)


async def _claim(store: Store, limit: int) -> list[tuple[Outbox, Message]]:
    """Take due items and mark them ``sending`` in one transaction.

    The delivery loop takes one at a time, just before it sends it, so a crash
    leaves at most the one reply being sent in doubt, not the rest of the queue."""
    now = utcnow()
    async with store.write() as session:
        items = (
            await session.exec(
                select(Outbox)
                .where(col(Outbox.status) == "queued", col(Outbox.next_attempt_at) <= now)
                .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
                .limit(limit)
            )
        ).all()
        claimed = []
        for item in items:
            message = await session.get(Message, item.message_id)
            assert message is not None
            item.status, item.attempts = "sending", item.attempts + 1
            session.add(item)
            claimed.append((item, message))
        return claimed


async def _record(
    store: Store,
    item: Outbox,
    *,
    provider_id: str | None,
    error: ChannelError | None,
    account: str | None,
    retry: OutboxConfig,
    note: str | None = None,
) -> str:
    """:func:`_finish`, however long the store stays busy: the send has happened, and
    a reply left ``sending`` would be sent again by the next start's recovery."""
    for attempt in itertools.count():
        try:
            return await _finish(
                store, item, provider_id=provider_id, error=error, account=account, retry=retry,
                note=note,
            )  # fmt: skip
        except StoreError as exc:
            what = "sent" if error is None else "tried"
            log.warning("outbox %d: %s, not yet recorded (%s); trying again", item.id, what, exc)
            await asyncio.sleep(min(RECORD_RETRY_S * 2**attempt, 30.0))
    raise AssertionError("unreachable")


async def _finish(
    store: Store,
    item: Outbox,
    *,
    provider_id: str | None = None,
    error: ChannelError | None = None,
    account: str | None = None,
    retry: OutboxConfig | None = None,
    note: str | None = None,
) -> str:
    """``note``: said on a sent message (e.g. it has no copy in the Sent folder)."""
    retry = retry or OutboxConfig()
    async with store.write() as session:
        row = await session.get(Outbox, item.id)
        message = await session.get(Message, item.message_id)
        assert row is not None and message is not None
        if row.status != "sending" and error is not None:
            return row.status  # settled meanwhile (recovery): a failed try changes nothing
        row.account = row.account or account
        message.account = message.account or account
        if error is None:
            row.status, row.sent_at, row.last_error = "sent", utcnow(), None
            message.provider_id = provider_id
            if advances(message.status, "sent"):  # a delivery report may have come first
                message.status, message.status_reason = "sent", note
            outcome = "sent"
        elif isinstance(error, (RejectedError, AuthError)) or row.attempts >= retry.max_attempts:
            row.status, row.last_error = "failed", str(error)
            message.status, message.status_reason = "failed", str(error)
            outcome = "failed"
        else:
            row.status, row.last_error = "queued", str(error)
            row.next_attempt_at = utcnow() + retry_wait(retry, row.attempts, error)
            message.status_reason = f"retrying: {error}"
            outcome = "retrying"
        session.add_all([row, message])
        if outcome == "failed":  # it never reached the customer: they wait on us again
            await session.flush()
            await refresh_summaries(session, [message.conversation_id])
        return outcome


def retry_wait(retry: OutboxConfig, attempts: int, error: ChannelError) -> timedelta:
    """Doubling from the first wait up to an hour, or longer if the gateway asks (a day
    at most): a reply retried for days, or a Retry-After of "1e400", stays a time."""
    wait = min(retry.retry_after_seconds * 2.0 ** min(attempts - 1, 64), MAX_BACKOFF_S)
    asked = error.retry_after if isinstance(error, TransientError) else None
    if asked is not None and math.isfinite(asked):  # the gateway's Retry-After
        wait = max(wait, min(asked, MAX_RETRY_AFTER_S))
    return timedelta(seconds=wait)


async def deliver_outbox(
    store: Store, config: Config, *, limit: int = 100, stop: asyncio.Event | None = None
) -> DeliveryReport:
    """Send what is due, one at a time; ``stop`` ends it between two replies."""
    report = DeliveryReport()
    for _ in range(limit):
        if stop is not None and stop.is_set():
            break
        claimed = await _claim(store, 1)
        if not claimed:
            break
        [(item, message)] = claimed
        account = account_for(config, item)
        error: ChannelError | None = None
        provider_id = note = None
        if account is None:
            error = RejectedError(f"no {item.channel} account configured to send from")
        else:
            try:
                provider_id = await _send(store, account, item, message)
            except SentWithoutCopy as sent:
                provider_id, note = sent.provider_id, sent.why
            except AuthError as exc:
                account.forget_secrets()  # a rotated password is read again next time
                error = exc
            except ChannelError as exc:
                error = exc
            except ConfigError as exc:  # e.g. password_command failed (a vault locked):
                error = TransientError(str(exc))  # no login was tried; it may work later
            except Exception as exc:  # a surprise in one reply must not hold up the others
                log.exception("outbox %d: delivery failed", item.id)
                error = TransientError(f"unexpected {type(exc).__name__}: {exc}"[:500])
        outcome = await _record(
            store,
            item,
            provider_id=provider_id,
            error=error,
            account=account.name if account else None,
            retry=config.outbox,
            note=note,
        )
        if outcome == "sent":
            report.sent += 1
            if note:  # sent, but something about it wants the agent's eye
                report.errors.append(f"reply {item.message_id}: sent, but {note}")
        else:  # named by the message id, as `outbox retry` and `show` take it
            report.errors.append(f"reply {item.message_id}: {error}")
            report.failed += outcome == "failed"
            report.retrying += outcome == "retrying"
            log.warning("reply %d (%s): %s: %s", item.message_id, item.channel, outcome, error)
    return report


async def _send(store: Store, account: AccountConfig, item: Outbox, message: Message) -> str:
    if account.channel != item.channel:
        raise RejectedError(f"account {account.name!r} is not an {item.channel} account")
    if item.channel == "email":
        return await _send_email(store, account, item, message)
    if item.channel == "sms":
        return await _send_sms(store, account, item, message)
    if item.channel == "chat":
        return await _send_chat(account, item, message)
    raise RejectedError(f"sending {item.channel} is not available yet")


async def _send_chat(account: AccountConfig, item: Outbox, message: Message) -> str:
    """Through the relay; the idempotency key is the reply's id there, so a resend
    after a crash mid-send is recognised instead of shown twice."""
    relay = await asyncio.to_thread(relay_client, account)  # may run a command
    out = _outbound(account, item, message)
    return await relay.send(out, author=message.author)


def _outbound(account: AccountConfig, item: Outbox, message: Message) -> OutboundMessage:
    return OutboundMessage(
        channel=item.channel,  # type: ignore[arg-type]
        account=account.name,
        to=item.to_address,
        text=message.text,
        idempotency_key=item.idempotency_key,
        subject=message.subject if item.channel == "email" else None,
        message_id=message.message_id if item.channel == "email" else None,
        in_reply_to=message.in_reply_to if item.channel == "email" else None,
        references=message.references if item.channel == "email" else (),
        cc=tuple(message.recipients[1:]) if item.channel == "email" else (),
        auto_submitted=message.author == AUTO_AUTHOR,
    )


async def _send_sms(store: Store, account: AccountConfig, item: Outbox, message: Message) -> str:
    async with store.read() as session:
        customer = await session.get(Customer, message.customer_id)
    if customer is not None and customer.opted_out_at is not None:
        raise RejectedError("the customer texted STOP: an opted-out number is not texted")
    if identity.is_alphanumeric_sender(item.to_address):
        raise RejectedError(f"{item.to_address} is an alphanumeric sender id: it cannot be texted")
    out = _outbound(account, item, message)
    if account.provider == "twilio":
        twilio = await asyncio.to_thread(accounts.twilio_account, account)  # may run a command
        sid, _ = await twilio.send(out)
        return sid
    kannel = await asyncio.to_thread(accounts.kannel_account, account)
    return await kannel.send(out)


async def _send_email(store: Store, account: AccountConfig, item: Outbox, message: Message) -> str:
    out = _outbound(account, item, message)
    out = replace(out, attachments=await _attachments(store, message))
    settings = await asyncio.to_thread(accounts.smtp_settings, account)  # may run a command
    message_id, raw = await send_email(settings, out)
    if account.sent_folder:
        try:
            imap = await asyncio.to_thread(accounts.imap_account, account)  # may run a command
            await imap.append(account.sent_folder, raw)
        except Exception as exc:  # the customer has the reply: sending again would repeat it
            folder = account.sent_folder
            log.warning("outbox %d: sent, but no copy in %s: %s", item.id, folder, exc)
            raise SentWithoutCopy(
                message_id, f"no copy in {folder!r} ({exc}) — check the account's sent_folder"
            ) from None
    return message_id


class SentWithoutCopy(Exception):
    """The reply went out; its copy in the Sent folder did not (said on the message)."""

    def __init__(self, provider_id: str, why: str) -> None:
        super().__init__(why)
        self.provider_id, self.why = provider_id, why


async def _attachments(store: Store, message: Message) -> list[AttachmentData]:
    """The files the agent attached, read back from the store's blobs."""
    async with store.read() as session:
        query = select(Attachment).where(Attachment.message_id == message.id)
        rows = (await session.exec(query.order_by(col(Attachment.id)))).all()
    out = []
    for row in rows:
        try:
            data = await asyncio.to_thread(blobs.get, store.attachments_dir, row.sha256 or "")
        except (OSError, ValueError):
            raise RejectedError(
                f"the attached file {row.filename!r} is gone from the store"
            ) from None
        out.append(AttachmentData(row.filename, row.content_type, data, len(data)))
    return out
