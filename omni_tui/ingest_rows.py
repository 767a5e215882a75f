"""What a batch of email knows of the store's identities and conversations: each
row as read (or made) for the batch, and whether it must be written back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from omni_tui.store.models import to_ms
from omni_tui.text import normalise_subject


@dataclass(slots=True)
class BatchIdentity:
    id: int
    customer_id: int
    address: str
    display_name: str | None
    stored: bool = True
    dirty: bool = False
    created_at: datetime | None = None

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "channel": "email",
            "address": self.address,
            "display_name": self.display_name,
            "created_at": self.created_at,
        }


@dataclass(slots=True)
class BatchConversation:
    id: int
    customer_id: int
    subject: str
    status: str
    snoozed_until: datetime | None
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime | None
    channels: set[str] = field(default_factory=set)
    stored: bool = True
    dirty: bool = False
    key: str = ""

    def __post_init__(self) -> None:
        self.key = normalise_subject(self.subject)

    def active_ms(self) -> int:
        return to_ms(self.last_message_at or self.created_at)

    def new_row(self) -> dict[str, Any]:
        return {
            **NEW_CONVERSATION,
            "id": self.id,
            "customer_id": self.customer_id,
            "subject": self.subject,
            "status": self.status,
            "snoozed_until": self.snoozed_until,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "last_message_at": self.last_message_at,
        }

    def changed_row(self) -> dict[str, Any]:
        return {
            "cid": self.id,
            "status": self.status,
            "snoozed_until": self.snoozed_until,
            "updated_at": self.updated_at,
            "last_message_at": self.last_message_at,
        }


NEW_CONVERSATION: dict[str, Any] = {
    "assignee": None,
    "team": None,
    "priority": "normal",
    "first_response_at": None,
    "resolved_at": None,
    "last_inbound_at": None,
    "last_outbound_at": None,
    "waiting_since": None,
    "unread": 0,
    "message_count": 0,
    "channels": "",
    "snippet": "",
}


def a_copy(copies: Iterable[tuple[str, str, Any]], sender: str, at: Any, *, dated: bool) -> bool:
    """Whether a message is another copy of one stored under its Message-ID, given
    those messages' (direction, sender, sent at): one from the same sender at the same
    time (a Cc that came twice; without a Date each copy's time is its own arrival, so
    the sender alone), or one of our replies.  A Message-ID alone is not enough:
    broken mailers give different messages the same one."""
    return any(
        direction == "out" or (who == sender and (when == at or not dated))
        for direction, who, when in copies
    )
