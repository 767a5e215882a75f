"""The tables of the store.

Times are stored as integer milliseconds since the epoch (UTC): cheap to index,
to compare and to aggregate in SQL, and free of time-zone ambiguity.  Python
sees aware ``datetime`` values.  JSON-valued columns hold lists/dicts as text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, Text, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# kept importable from here: the store's modules and older callers take them from models
from omni_tui.timestamps import from_ms as from_ms
from omni_tui.timestamps import to_ms as to_ms
from omni_tui.timestamps import utcnow as utcnow


class Timestamp(TypeDecorator[datetime]):
    """Aware UTC datetime <-> integer epoch milliseconds."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp() * 1000)

    def process_result_value(self, value: int | None, dialect: Any) -> datetime | None:
        return None if value is None else from_ms(value)


class JSONText(TypeDecorator[Any]):
    """A list or dict kept as compact JSON text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else json.dumps(value, separators=(",", ":"))

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        return None if value is None else json.loads(value)


def _ts(**kw: Any) -> Any:
    return Field(sa_type=Timestamp, **kw)


def _json(default: Any) -> Any:
    return Field(default_factory=lambda: default.copy(), sa_type=JSONText)


STATUSES = ("open", "pending", "snoozed", "resolved")
DIRECTIONS = ("in", "out", "note")
CHANNELS = ("email", "sms", "chat", "phone", "in-person")
PRIORITIES = ("low", "normal", "high", "urgent")


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = ""
    note: str = ""
    created_at: datetime = _ts(default_factory=utcnow)
    merged_into: int | None = Field(default=None, foreign_key="customer.id")
    opted_out_at: datetime | None = _ts(default=None)
    """When the customer texted STOP; an opted-out number is not texted."""


class CustomerTag(SQLModel, table=True):
    __tablename__ = "customer_tag"
    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    tag: str = Field(primary_key=True)


class Identity(SQLModel, table=True):
    """One address of a customer on one channel."""

    __table_args__ = (UniqueConstraint("channel", "address"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str
    address: str
    display_name: str | None = None
    created_at: datetime = _ts(default_factory=utcnow)


class Agent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    email: str | None = None
    team: str | None = None
    created_at: datetime = _ts(default_factory=utcnow)


#: The covering index of the reports: every per-case figure is read from it alone.
REPORT_COLUMNS = (
    "created_at",
    "first_inbound_channel",
    "assignee",
    "team",
    "status",
    "resolved_at",
    "first_inbound_at",
    "first_reply_at",
    "first_reply_channel",
    "channel_switches",
)


class Conversation(SQLModel, table=True):
    """A case; it may span channels.  The summary columns paint the inbox."""

    __table_args__ = (
        Index("ix_conversation_status_last", "status", "last_message_at"),
        Index("ix_conversation_assignee_last", "assignee", "last_message_at"),
        Index("ix_conversation_last", "last_message_at"),
        Index("ix_conversation_report", *REPORT_COLUMNS),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    subject: str = ""
    status: str = "open"
    assignee: str | None = None
    team: str | None = None
    priority: str = "normal"
    snoozed_until: datetime | None = _ts(default=None)
    created_at: datetime = _ts(default_factory=utcnow)
    updated_at: datetime = _ts(default_factory=utcnow)
    first_response_at: datetime | None = _ts(default=None)
    resolved_at: datetime | None = _ts(default=None)
    # summary, kept by the store after every write that touches messages
    last_message_at: datetime | None = _ts(default=None)
    last_inbound_at: datetime | None = _ts(default=None)
    last_outbound_at: datetime | None = _ts(default=None)
    waiting_since: datetime | None = _ts(default=None)
    unread: int = 0
    message_count: int = 0
    channels: str = ""
    snippet: str = ""
    # report columns, kept with the summary: one covering index paints every report
    first_inbound_at: datetime | None = _ts(default=None)
    """The customer's first message in the case: where response time starts."""
    first_inbound_channel: str | None = None
    """The channel the case arrived on."""
    first_reply_at: datetime | None = _ts(default=None)
    """The first agent reply at or after ``first_inbound_at`` (auto-replies do not count)."""
    first_reply_channel: str | None = None
    channel_switches: int = 0
    """Consecutive inbound messages on different channels."""


class ConversationTag(SQLModel, table=True):
    __tablename__ = "conversation_tag"
    __table_args__ = (Index("ix_conversation_tag_tag", "tag"),)
    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True)
    tag: str = Field(primary_key=True)


class Message(SQLModel, table=True):
    __table_args__ = (
        Index(
            "ux_message_account_provider",
            "account",
            "provider_id",
            unique=True,
            sqlite_where=Column("provider_id").isnot(None),
        ),
        Index("ix_message_message_id", "message_id"),
        Index("ix_message_conversation_sent", "conversation_id", "sent_at"),
        Index("ix_message_customer_sent", "customer_id", "sent_at"),
        Index("ix_message_identity", "identity_id"),
        Index("ix_message_sent_direction_channel", "sent_at", "direction", "channel", "author"),
    )
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    customer_id: int = Field(foreign_key="customer.id")
    identity_id: int | None = Field(default=None, foreign_key="identity.id")
    channel: str
    direction: str
    account: str | None = None
    provider_id: str | None = None
    sender: str = ""
    sender_name: str | None = None
    recipients: list[str] = _json([])
    subject: str | None = None
    text: str = ""
    html_text: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = _json([])
    sent_at: datetime = _ts(default_factory=utcnow)
    received_at: datetime | None = _ts(default=None)
    status: str = "received"
    status_reason: str | None = None
    author: str | None = None
    read_at: datetime | None = _ts(default=None)
    context: dict[str, Any] = _json({})
    raw_sha256: str | None = None


class Attachment(SQLModel, table=True):
    """File content lives under the data dir, named by its sha256."""

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    filename: str
    content_type: str = "application/octet-stream"
    size: int = 0
    sha256: str | None = None
    inline: bool = False
    skipped_reason: str | None = None


class Outbox(SQLModel, table=True):
    """A reply is a committed row first and a delivery second."""

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", unique=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    channel: str
    account: str | None = None
    to_address: str
    status: str = "queued"
    attempts: int = 0
    next_attempt_at: datetime = _ts(default_factory=utcnow)
    last_error: str | None = None
    idempotency_key: str = Field(unique=True)
    created_at: datetime = _ts(default_factory=utcnow)
    sent_at: datetime | None = _ts(default=None)


class SyncCursor(SQLModel, table=True):
    __tablename__ = "sync_cursor"
    account: str = Field(primary_key=True)
    folder: str = Field(primary_key=True)
    value: str
    updated_at: datetime = _ts(default_factory=utcnow)


class Event(SQLModel, table=True):
    """Who did what when: assignment, status change, merge, split, tag, note."""

    __table_args__ = (
        Index("ix_event_conversation", "conversation_id", "at"),
        Index("ix_event_customer", "customer_id", "at"),
        Index("ix_event_kind_at", "kind", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(default_factory=utcnow)
    actor: str | None = None
    kind: str
    conversation_id: int | None = None
    customer_id: int | None = None
    data: dict[str, Any] = _json({})


class LinkSuggestion(SQLModel, table=True):
    """Evidence that two customers may be one person, for an agent to accept or dismiss."""

    __tablename__ = "link_suggestion"
    __table_args__ = (UniqueConstraint("customer_id", "other_customer_id", "address"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    other_customer_id: int = Field(foreign_key="customer.id", index=True)
    address: str
    reason: str
    status: str = "pending"
    created_at: datetime = _ts(default_factory=utcnow)
    decided_at: datetime | None = _ts(default=None)
    decided_by: str | None = None


class PhoneMention(SQLModel, table=True):
    """A phone number a customer wrote in an email, kept to link a later SMS to them."""

    __tablename__ = "phone_mention"
    address: str = Field(primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", primary_key=True)


class Draft(SQLModel, table=True):
    """What an agent was typing, kept so a crash or quit loses nothing."""

    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True)
    agent: str = Field(primary_key=True)
    mode: str = Field(default="reply", primary_key=True)  # "reply" or "note": one each
    channel: str | None = None
    to_address: str | None = None
    body: str = ""
    updated_at: datetime = _ts(default_factory=utcnow)
    #: paths of the files attached in the composer, copied into the store only on send
    files: list[str] = _json([])


class Presence(SQLModel, table=True):
    """An agent's console heartbeat, and the case they are writing in, if any."""

    agent: str = Field(primary_key=True)
    status: str = "online"
    seen_at: datetime = _ts(default_factory=utcnow)
    composing_conversation_id: int | None = None
    composing_since: datetime | None = _ts(default=None)


class AccountHealth(SQLModel, table=True):
    """The sync engine's view of each account, for every console to show."""

    __tablename__ = "account_health"
    account: str = Field(primary_key=True)
    state: str = "unknown"
    last_success_at: datetime | None = _ts(default=None)
    last_error: str | None = None
    next_retry_at: datetime | None = _ts(default=None)
    updated_at: datetime = _ts(default_factory=utcnow)


class DailyVolume(SQLModel, table=True):
    """Messages per UTC day and channel, kept by triggers on ``message`` for the reports."""

    __tablename__ = "daily_volume"
    day: int = Field(primary_key=True)
    """Days since 1970-01-01."""
    channel: str = Field(primary_key=True)
    inbound: int = 0
    outbound: int = 0
    """Agents' replies; automatic acknowledgements are not counted."""


class ChannelSwitch(SQLModel, table=True):
    """How often a case's customer moved from one channel to another, kept with its summary."""

    __tablename__ = "channel_switch"
    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True)
    previous: str = Field(primary_key=True)
    channel: str = Field(primary_key=True)
    n: int


class RawMessage(SQLModel, table=True):
    """A received message exactly as it arrived, so it can be parsed again later."""

    __tablename__ = "raw_message"
    sha256: str = Field(primary_key=True)
    data: bytes


class SearchBatch(SQLModel, table=True):
    """Has a row only inside a transaction that indexes its own messages (schema v8)."""

    __tablename__ = "search_batch"
    active: int = Field(primary_key=True)
