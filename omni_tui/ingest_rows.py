"""What a batch of email knows of the store's identities and conversations: each
row as read (or made) for the batch, and whether it must be written back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from omni_tui.text import normalise_subject

#: Each row is written as the store keeps it: times as epoch milliseconds
#: (``models.Timestamp``), in these columns' order.
IDENTITY_COLUMNS = ("id", "customer_id", "channel", "address", "display_name", "created_at")
CONVERSATION_COLUMNS = (
    "id", "customer_id", "subject", "status", "snoozed_until", "created_at", "updated_at",
    "last_message_at", "assignee", "team", "priority", "first_response_at", "resolved_at",
    "last_inbound_at", "last_outbound_at", "waiting_since", "unread", "message_count",
    "channels", "snippet", "first_inbound_at", "first_inbound_channel", "first_reply_at",
    "first_reply_channel", "channel_switches",
)  # fmt: skip
#: a new case's columns after ``last_message_at``: the summary refresh fills them in
_NEW_CONVERSATION = (None, None, "normal", None, None, None, None, None, 0, 0, "", "", None,
                     None, None, None, 0)  # fmt: skip
#: what a batch reads of a case: ``BatchConversation``'s fields in order, then channels
CONVERSATION_READ = CONVERSATION_COLUMNS[:8] + ("channels",)
#: the columns a batch changes in a stored case, then its id
CONVERSATION_CHANGED_SQL = (
    "UPDATE conversation SET status = ?, snoozed_until = ?, updated_at = ?,"
    " last_message_at = ? WHERE id = ?"
)
IDENTITY_RENAMED_SQL = "UPDATE identity SET display_name = ? WHERE id = ?"


def insert_sql(table: str, columns: Sequence[str]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"


@dataclass(slots=True)
class BatchIdentity:
    id: int
    customer_id: int
    address: str
    display_name: str | None
    stored: bool = True
    dirty: bool = False
    created_at: int | None = None  # ms

    def row(self) -> tuple[Any, ...]:
        return (self.id, self.customer_id, "email", self.address, self.display_name,
                self.created_at)  # fmt: skip


@dataclass(slots=True)
class BatchConversation:
    """A case as a batch sees it; times in epoch milliseconds, as the store keeps them."""

    id: int
    customer_id: int
    subject: str
    status: str
    snoozed_until: int | None
    created_at: int
    updated_at: int
    last_message_at: int | None
    channels: set[str] = field(default_factory=set)
    stored: bool = True
    dirty: bool = False
    key: str = ""

    def __post_init__(self) -> None:
        self.key = normalise_subject(self.subject)

    def active_ms(self) -> int:
        return self.last_message_at or self.created_at

    def new_row(self) -> tuple[Any, ...]:
        return (
            self.id, self.customer_id, self.subject, self.status, self.snoozed_until,
            self.created_at, self.updated_at, self.last_message_at, *_NEW_CONVERSATION,
        )  # fmt: skip

    def changed_row(self) -> tuple[Any, ...]:
        return (self.status, self.snoozed_until, self.updated_at, self.last_message_at, self.id)


def our_answer_in(case: Any, direction: str, customer_id: int) -> bool:
    """Whether a message may join the ``case`` its headers found: not our mail to
    someone else in a customer's thread (a forward to a supplier, from the Sent
    folder), which would mark the customer answered and file the supplier under them."""
    return case is None or direction != "out" or case.customer_id == customer_id


def words_of(subject: str | None, text: str) -> int:
    """What a copy of a message has the same of: its subject and words, as stored."""
    return hash((subject or "", text))


#: what ``a_copy`` knows of each stored message under a Message-ID: (direction, sender,
#: ``words_of``, sent at in ms, text)
Copy = tuple[str, str, int, int, str]


def a_copy(copies: Iterable[Copy], sender: str, words: int, at: int, text: str) -> bool:
    """Whether a message is another copy of one stored under its Message-ID: one of our
    replies; or one from the same sender in the same words (a Cc that came twice,
    whenever each copy arrived); or from the same sender at the same time whose words
    one copy only added to (a list's footer, a group's "[list]" tag on the subject).

    A Message-ID alone is not enough: broken mailers (a shop's contact form) give every
    message the same one, and each submission must be kept."""
    for direction, who, said, when, their_text in copies:
        if direction == "out":
            return True
        if who != sender:
            continue
        if said == words:
            return True
        shorter, longer = sorted((text, their_text), key=len)
        if when == at and shorter and longer.startswith(shorter):
            return True
    return False
