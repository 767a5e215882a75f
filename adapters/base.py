"""The contract between adapters and the rest of omni-tui.

Exceptions raised by adapters, so the sync engine can decide between retrying
and giving up without knowing the protocol::

    ChannelError
     ├── AuthError        credentials refused: stop, tell the agent
     ├── TransientError   network, timeout, 429/5xx: retry with backoff
     └── RejectedError    the provider refused this one message: do not retry
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar

ChannelName = Literal["email", "sms", "chat", "phone", "in-person"]
Direction = Literal["in", "out", "note"]

_Class = TypeVar("_Class", bound=type)


def pickled_by_fields(cls: _Class) -> _Class:
    """Pickle a dataclass as its constructor's arguments.

    A slotted dataclass's own pickling looks its fields up again for every object;
    a first sync sends ten thousand messages between processes, and that lookup was
    a third of the time the pipe cost."""
    names = [f.name for f in fields(cls)]
    get = operator.attrgetter(*names)  # one name gives the value itself, not a tuple
    values = get if len(names) > 1 else lambda obj: (get(obj),)

    def __reduce__(self: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]
    return cls


class ChannelError(Exception):
    """Base of every error an adapter raises."""


class AuthError(ChannelError):
    """The provider refused our credentials; retrying will not help."""


class TransientError(ChannelError):
    """A failure that may pass: network, timeout, rate limit, server error."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RejectedError(ChannelError):
    """The provider refused one message for good (invalid number, opted out...)."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class AttachmentData:
    """An attachment as the provider gave it; ``data`` is None when it was skipped."""

    filename: str
    content_type: str = "application/octet-stream"
    data: bytes | None = None
    size: int | None = None
    inline: bool = False
    skipped_reason: str | None = None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message pulled from a provider, before it becomes rows.

    Addresses are as the provider wrote them; ingest normalises them.
    ``direction`` is ``out`` for our own messages seen again on a pull (a Sent
    folder, a gateway's message list) so they thread without being re-sent.
    """

    channel: ChannelName
    account: str
    provider_id: str
    sender: str
    text: str = ""
    sender_name: str | None = None
    recipients: Sequence[str] = ()
    subject: str | None = None
    html: str | None = None
    sent_at: datetime | None = None
    received_at: datetime | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: Sequence[str] = ()
    attachments: Sequence[AttachmentData] = ()
    direction: Direction = "in"
    context: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a pull stopped, per account and folder; opaque to everything but its adapter."""

    account: str
    folder: str
    value: str


@dataclass(frozen=True, slots=True)
class PullResult:
    messages: Sequence[InboundMessage]
    cursor: Cursor | None
    #: messages the pull knows it will bring after these (None: it cannot tell)
    still_to_come: int | None = None


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A reply to deliver; ``idempotency_key`` lets a retry avoid sending twice."""

    channel: ChannelName
    account: str
    to: str
    text: str
    idempotency_key: str
    subject: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: Sequence[str] = ()
    attachments: Sequence[AttachmentData] = ()
    cc: Sequence[str] = ()  #: email: copies, in the Cc header and the envelope
    #: an automatic answer (an acknowledgement), marked so that the customer's own
    #: vacation responder does not answer it (RFC 3834)
    auto_submitted: bool = False


class Channel(Protocol):
    """What the sync engine needs from every adapter."""

    name: str

    async def pull(self, cursor: Cursor | None) -> PullResult: ...

    async def send(self, message: OutboundMessage) -> str:
        """Deliver and return the provider's id for the message."""
        ...
