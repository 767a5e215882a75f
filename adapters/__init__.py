"""Channel adapters: each speaks one provider's protocol and nothing else.

An adapter turns what it pulls into :class:`InboundMessage` values plus a
:class:`Cursor`, and delivers :class:`OutboundMessage` values.  Adapters never
touch the store and never import the console, so they stay testable against
real servers on their own.
"""

from __future__ import annotations

from adapters.base import (
    AttachmentData,
    AuthError,
    Channel,
    ChannelError,
    Cursor,
    InboundMessage,
    OutboundMessage,
    PullResult,
    RejectedError,
    TransientError,
)

__all__ = [
    "AttachmentData",
    "AuthError",
    "Channel",
    "ChannelError",
    "Cursor",
    "InboundMessage",
    "OutboundMessage",
    "PullResult",
    "RejectedError",
    "TransientError",
]
