"""The SQLite store: tables, migrations and transactions.

The table classes are imported on first use (PEP 562): ``Store``, its snapshots
and the plain-SQL readers need only the stdlib, so the console can paint before
SQLModel and SQLAlchemy are loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omni_tui.store.engine import Store, refresh_summaries
from omni_tui.store.sqlite import SCHEMA_VERSION

if TYPE_CHECKING:
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
_MODELS = frozenset(__all__) - {"SCHEMA_VERSION", "Store", "refresh_summaries"}


def __getattr__(name: str) -> Any:
    if name in _MODELS:
        from omni_tui.store import models

        return getattr(models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
