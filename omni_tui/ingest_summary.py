"""The inbox summary of a case a batch of email opened, worked out from the batch.

Every message of such a case is in the batch, so its summary needs nothing the
store holds: the rules of ``store.sqlite``'s refresh statements, applied to the
batch's rows, give the same columns without reading each message back. A first
sync opens thousands of cases, and reading them back was a sixth of its store time.
A test holds these rules to the SQL's (``test_ingest_summary``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: the snippet's length, as ``store.sqlite.REFRESH_SUMMARY_SQL`` cuts it
SNIPPET_CHARS = 400

COLUMNS = (
    "last_message_at", "last_inbound_at", "last_outbound_at", "unread", "message_count",
    "first_response_at", "channels", "snippet", "waiting_since", "first_inbound_at",
    "first_inbound_channel", "first_reply_at", "first_reply_channel", "channel_switches",
)  # fmt: skip
UPDATE_SQL = f"UPDATE conversation SET {', '.join(f'{c} = ?' for c in COLUMNS)} WHERE id = ?"


@dataclass(frozen=True, slots=True)
class Line:
    """What the summary needs of one new message: an email, received or sent (seen
    again in a Sent folder), unread, by no automatic author, not cancelled nor failed."""

    sent_at: int  # ms
    id: int
    direction: str
    channel: str
    text: str
    first_attachment: str | None


def row(conversation_id: int, lines: Sequence[Line]) -> tuple[Any, ...] | None:
    """``UPDATE_SQL``'s parameters for a case whose messages are ``lines``; None for
    one whose customer changed channel (its pairs are the SQL's to count)."""
    ordered = sorted(lines, key=lambda m: (m.sent_at, m.id))
    inbound = [m for m in ordered if m.direction == "in"]
    outbound = [m for m in ordered if m.direction == "out"]
    last_in = inbound[-1].sent_at if inbound else None
    last_out = max((m.sent_at for m in outbound), default=None)
    latest = ordered[-1]
    snippet = latest.text[:SNIPPET_CHARS] if latest.text else ""
    if not latest.text and latest.first_attachment is not None:
        snippet = "📎 " + latest.first_attachment
    waiting = None
    if last_in is not None and (last_out is None or last_out < last_in):
        waiting = min(m.sent_at for m in inbound if last_out is None or m.sent_at > last_out)
    first_in = inbound[0] if inbound else None
    replies = [m for m in outbound if first_in is not None and m.sent_at >= first_in.sent_at]
    if any(a.channel != b.channel for a, b in zip(inbound, inbound[1:], strict=False)):
        return None
    return (
        latest.sent_at,
        last_in,
        last_out,
        len(inbound),
        len(ordered),
        outbound[0].sent_at if outbound else None,
        ",".join(sorted({m.channel for m in ordered})),
        snippet,
        waiting,
        first_in.sent_at if first_in else None,
        first_in.channel if first_in else None,
        replies[0].sent_at if replies else None,
        replies[0].channel if replies else None,
        0,
        conversation_id,
    )
