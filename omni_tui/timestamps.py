"""Times as the store keeps them: UTC milliseconds.

A module of its own (stdlib only): the parsing worker needs these without
loading the store's table classes.
"""

from __future__ import annotations

from datetime import UTC, datetime


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def to_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def utcnow() -> datetime:
    """Now, truncated to the millisecond the store keeps."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
