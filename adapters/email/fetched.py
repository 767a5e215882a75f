"""A batch of email as fetched, and how it is parsed.

Apart from the IMAP client: the batch is parsed in a worker process too
(``omni_tui.parse_worker``), which loads this module and the parser only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from adapters.base import Cursor, InboundMessage
from adapters.email.mime import parse_message

__all__ = ["FetchedBatch", "RawMail", "parse_fetched"]

RawMail = tuple[int, bytes, "datetime | None"]  # uid, the message, INTERNALDATE


@dataclass(frozen=True, slots=True)
class FetchedBatch:
    """A batch as fetched, before parsing; ``left`` batches of the folder follow it."""

    folder: str
    uidvalidity: int
    items: list[RawMail]
    cursor: Cursor
    left: int = 0
    #: messages in the ``left`` batches
    messages_left: int = 0
    #: the account's own address (``ImapSettings.own_address``)
    own: str | None = None
    #: the batch is of the account's Sent folder (``ImapSettings.sent_folder``)
    sent: bool = False


def parse_fetched(
    account: str, max_attachment_bytes: int, fetched: FetchedBatch
) -> list[InboundMessage]:
    """The messages of a fetched batch (a module function: it runs in another process too)."""
    return [
        parse_message(
            raw,
            account=account,
            provider_id=f"{fetched.folder}/{fetched.uidvalidity}/{uid}",
            max_attachment_bytes=max_attachment_bytes,
            received_at=when,
            own_address=fetched.own,
            in_sent=fetched.sent,
        )
        for uid, raw, when in fetched.items
    ]
