"""A reply caught mid-send by a crash: find out whether it went, then settle it.

Only the process holding the sync lock delivers, so when it starts, any reply
still ``sending`` was interrupted.  The rule, per channel (README, "Interrupted
sends"):

* **chat**: sent again; the relay knows the reply by its idempotency key and
  drops the repeat, so the customer sees it once.
* **email**: when the account keeps a Sent folder, a copy there with the reply's
  Message-ID means the server took it (the copy is saved after SMTP accepts):
  marked sent, not sent again.  Otherwise it is sent again with the same
  Message-ID, which mail clients show once, and the message says so.
* **SMS through Twilio**: what our number sent to theirs since the reply was
  queued is searched for the same text; a match is adopted with its sid.
* **SMS through Kannel**: the gateway cannot be asked; sent again and flagged.

A check that cannot be made (the server is down) counts as "not found": the
reply is sent again and flagged, never lost.
"""

from __future__ import annotations

import asyncio

from sqlmodel import col, select

from adapters.base import ChannelError
from omni_tui import accounts, events
from omni_tui.config import AccountConfig, Config
from omni_tui.delivery import account_for
from omni_tui.outbox import advances
from omni_tui.store import Event, Message, Outbox, Store, utcnow

AGAIN = {
    "chat": "sent again; the relay drops the repeat",
    "email": "sent again after an interrupted send: the customer may see it twice",
    "sms": "sent again after an interrupted send: the customer may get it twice",
}


async def recover_interrupted(store: Store, config: Config | None = None) -> int:
    """Settle every reply left ``sending``; returns how many there were."""
    async with store.read() as session:
        rows = (
            await session.exec(
                select(Outbox, Message)
                .join(Message, col(Message.id) == col(Outbox.message_id))
                .where(Outbox.status == "sending")
            )
        ).all()
    for item, message in rows:
        account = account_for(config, item) if config is not None else None
        found, why = await _already_sent(store, account, item, message)
        await _settle(store, item, found, why)
    return len(rows)


async def _already_sent(
    store: Store, account: AccountConfig | None, item: Outbox, message: Message
) -> tuple[str | None, str | None]:
    """The provider's id of the reply if it did go out, and why we think so or not."""
    if account is None or account.channel != item.channel:
        return None, None
    try:
        if item.channel == "email" and account.sent_folder and message.message_id:
            imap = await asyncio.to_thread(accounts.imap_account, account)
            if await imap.has_message_id(account.sent_folder, message.message_id):
                return message.message_id, f"found in {account.sent_folder}: not sent again"
        if item.channel == "sms" and account.provider == "twilio":
            twilio = await asyncio.to_thread(accounts.twilio_account, account)
            known = await _sids_sent_to(store, item)
            sid = await twilio.find_sent(item.to_address, message.text, item.created_at, known)
            if sid:
                return sid, "found among the texts Twilio sent: not sent again"
    except ChannelError as exc:
        return None, f"{AGAIN[item.channel]} (could not check: {exc})"
    return None, None


async def _sids_sent_to(store: Store, item: Outbox) -> set[str]:
    """The provider ids our other replies to this number already have, and those of this
    reply's own earlier tries (sent, then reported undelivered, then retried)."""
    async with store.read() as session:
        tries = await session.exec(
            select(Event.data).where(
                Event.conversation_id == item.conversation_id,
                col(Event.kind).in_(("retry", "edit")),
            )
        )
        earlier = {
            str(data["previous_provider_id"])
            for data in tries.all()
            if data.get("message_id") == item.message_id and data.get("previous_provider_id")
        }
        rows = await session.exec(
            select(Message.provider_id)
            .join(Outbox, col(Outbox.message_id) == col(Message.id))
            .where(
                Outbox.channel == item.channel,
                Outbox.to_address == item.to_address,
                col(Outbox.id) != item.id,
                col(Message.provider_id).is_not(None),
            )
        )
        return {sid for sid in rows.all() if sid} | earlier


async def _settle(store: Store, item: Outbox, found: str | None, why: str | None) -> None:
    async with store.write() as session:
        row = await session.get(Outbox, item.id)
        message = await session.get(Message, item.message_id)
        if row is None or message is None or row.status != "sending":
            return
        if found is not None:
            row.status, row.sent_at, row.last_error = "sent", utcnow(), None
            message.provider_id = found
            if advances(message.status, "sent"):
                message.status = "sent"
            message.status_reason = why
            kind = "recovered"
        else:
            row.status, row.next_attempt_at = "queued", utcnow()
            why = why or AGAIN.get(item.channel)
            if item.channel != "chat":
                message.status_reason = why
            kind = "resend"
        events.record(
            session,
            kind,
            actor="outbox",
            conversation_id=item.conversation_id,
            message_id=item.message_id,
            channel=item.channel,
            note=why,
        )
        session.add_all([row, message])
