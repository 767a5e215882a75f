"""What a batch of email's rows need that does not depend on the store.

Cleaning the text, taking the sender apart, finding phone numbers, hashing the
raw message, encoding the JSON columns: none of it reads the store, so a sync
does it on a worker thread for the next batch while the store writes this one
(``sync._store_batches``).  ``ingest_batch`` then only decides what the store
decides: who the customer is, which conversation, which ids.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.base import InboundMessage, pickled_by_fields
from omni_tui import addresses, blobs
from omni_tui.text import clean, clean_line, cut, html_to_text
from omni_tui.timestamps import to_ms, utcnow

__all__ = ["Prepared", "aware", "content", "fits", "prepare", "who"]


def aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def html_text_of(inbound: InboundMessage) -> str | None:
    """Text from the HTML body, only when there is no plain one to show instead.

    Converting costs more than parsing the whole message, and the raw message is
    kept, so a text/plain + HTML email is not converted at all."""
    if not inbound.html or inbound.text.strip():
        return None
    return html_to_text(inbound.html)


def fits(messages: Sequence[InboundMessage]) -> bool:
    """Email with an account and a provider id: what this path knows how to store."""
    return bool(messages) and all(
        m.channel == "email" and m.account is not None and m.provider_id is not None
        for m in messages
    )


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))  # as the store's JSONText writes it


@pickled_by_fields
@dataclass(slots=True)
class Prepared:
    """One message's store-independent values, in the form the store keeps them."""

    who: addresses.Address
    sent_at: datetime
    subject: str | None
    text: str
    html_text: str | None
    message_id: str | None
    #: the message row's columns that need no decision, as SQL values
    columns: dict[str, Any]
    raw: dict[str, Any] | None
    #: numbers in an inbound message's text, for merge suggestions
    phones: list[str]
    #: the attachments' blobs, when ``prepare`` wrote them (None: not written yet)
    attachment_shas: list[str | None] | None = None
    #: why an attachment ``prepare`` should have written is not stored (``blobs.keep``)
    attachment_problems: list[str | None] | None = None


def who(inbound: InboundMessage, region: str) -> addresses.Address:
    """The customer's side of the message, normalised."""
    address = inbound.sender if inbound.direction == "in" else (list(inbound.recipients) or [""])[0]
    found = addresses.normalise(inbound.channel, address, region)
    if inbound.direction == "in" and inbound.sender_name and not found.display_name:
        found = addresses.Address(found.channel, found.address, clean_line(inbound.sender_name))
    return found


def sent_at_of(inbound: InboundMessage) -> datetime:
    """When it was sent: its Date, else when the server got it, else now.  Never after
    the server got it: a sender's clock running fast would date the message after our
    answer to it, and the case would wait on that answer for ever."""
    sent, received = aware(inbound.sent_at), aware(inbound.received_at)
    if sent is not None and received is not None:
        return min(sent, received)
    return sent or received or utcnow()


def content(inbound: InboundMessage) -> tuple[datetime, str | None, str, str | None]:
    """When it was sent, the subject, the text to show and the text of its HTML."""
    sent_at = sent_at_of(inbound)
    html_text = html_text_of(inbound)
    text = cut(clean(inbound.text).strip("\n"))  # a 20 MB text/plain is the raw's to keep
    if not text.strip() and html_text:
        text = html_text
    return sent_at, clean_line(inbound.subject) or None, text, html_text


def prepare(
    messages: Sequence[InboundMessage], region: str, attachments_dir: Path | None = None
) -> list[Prepared]:
    """With ``attachments_dir``, the attachments are written there too (not yet made
    durable: ``blobs.flush`` before the rows that name them commit)."""
    return [_one(inbound, region, attachments_dir) for inbound in messages]


def _one(inbound: InboundMessage, region: str, attachments_dir: Path | None) -> Prepared:
    customer = who(inbound, region)
    sent_at, subject, text, html_text = content(inbound)
    inbound_side = inbound.direction == "in"
    received_at = aware(inbound.received_at) or utcnow()
    columns = {
        "channel": inbound.channel,
        "direction": inbound.direction,
        "account": inbound.account,
        "provider_id": inbound.provider_id,
        "sender": customer.address if inbound_side else clean_line(inbound.sender),
        "sender_name": (customer.display_name if inbound_side else None)
        or clean_line(inbound.sender_name)
        or None,
        "recipients": _json([clean_line(r) for r in inbound.recipients]),
        "in_reply_to": clean_line(inbound.in_reply_to) or None,
        "references": _json([clean_line(r) for r in inbound.references]),
        "sent_at": to_ms(sent_at),
        "received_at": to_ms(received_at),
        "status": "received" if inbound_side else "sent",
        "status_reason": None,
        "author": None,
        "read_at": None,
        "context": _json({clean_line(k): clean(str(v)) for k, v in inbound.context.items()}),
    }
    kept = (
        None
        if attachments_dir is None
        else [
            (None, None)
            if part.data is None
            else blobs.keep(attachments_dir, part.data, sync=False, raw_kept=bool(inbound.raw))
            for part in inbound.attachments
        ]
    )
    return Prepared(
        who=customer,
        sent_at=sent_at,
        subject=subject,
        text=text,
        html_text=html_text,
        message_id=clean_line(inbound.message_id) or None,
        columns=columns,
        raw=blobs.raw_row(inbound.raw) if inbound.raw else None,
        phones=addresses.phones_in_text(text, region) if inbound_side else [],
        attachment_shas=None if kept is None else [sha for sha, _ in kept],
        attachment_problems=None if kept is None else [why for _, why in kept],
    )
