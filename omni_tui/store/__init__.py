"""The SQLite store: tables, migrations and transactions."""

from __future__ import annotations

from omni_tui.store.engine import Store, refresh_summaries
from omni_tui.store.models import (
    AccountHealth,
    Agent,
    Attachment,
    ChannelSwitch,
    Conversation,
    ConversationTag,
    Customer,
    CustomerTag,
    DailyVolume,
    Draft,
    Event,
    Identity,
    LinkSuggestion,
    Message,
    Outbox,
    PhoneMention,
    Presence,
    RawMessage,
    SyncCursor,
    utcnow,
)
from omni_tui.store.sqlite import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "AccountHealth",
    "Agent",
    "Attachment",
    "ChannelSwitch",
    "Conversation",
    "ConversationTag",
    "Customer",
    "CustomerTag",
    "DailyVolume",
    "Draft",
    "Event",
    "Identity",
    "LinkSuggestion",
    "Message",
    "Outbox",
    "PhoneMention",
    "Presence",
    "RawMessage",
    "Store",
    "SyncCursor",
    "refresh_summaries",
    "utcnow",
]
