"""Mail a machine sent: bounces, out-of-office notes, mailing lists.

A helpdesk that acknowledges those starts a conversation between two robots
(RFC 3834 asks responders not to); agents still see them, marked.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import Message
from email.parser import HeaderParser

_BULK = frozenset({"bulk", "junk", "list", "auto_reply"})
#: the mailbox names of senders that never read replies
ROBOTS = frozenset(
    {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"}
)


def automated_by(first: Callable[[str], str | None]) -> str | None:
    """Why a machine sent this, from ``first(header)`` (the first value of a header, or
    None): RFC 3834 ``Auto-Submitted``, ``Precedence``, a mailing list, an auto-reply."""
    submitted = (first("auto-submitted") or "").strip().lower()
    if submitted and submitted.split(";")[0].strip() != "no":
        return f"auto-submitted: {submitted[:40]}"
    precedence = (first("precedence") or "").strip().lower()
    if precedence in _BULK:
        return f"precedence: {precedence}"
    if first("list-id") or first("list-unsubscribe"):
        return "a mailing list"
    if first("x-autoreply") or first("x-autorespond"):
        return "an auto-reply"
    return None


def is_robot(address: str) -> bool:
    """``MAILER-DAEMON@…``, ``no-reply@…`` and the like: nobody reads what goes there."""
    local = address.rpartition("@")[0].lower() if "@" in address else ""
    return local in ROBOTS or local.startswith(("bounce", "mailer-daemon"))


def returned_message_id(msg: Message) -> str | None:
    """The Message-ID header of the mail a delivery report (RFC 3464, 6522) returns: a
    bounce of our reply then joins that reply's case, not one robot's case of bounces."""
    if msg.get_content_type() != "multipart/report":
        return None
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            value = inner.get("message-id") if isinstance(inner, Message) else None
        elif kind == "text/rfc822-headers":
            data = part.get_payload(decode=True)
            text = data.decode("ascii", "replace") if isinstance(data, bytes) else ""
            value = HeaderParser().parsestr(text).get("message-id")
        else:
            continue
        if value:
            return str(value)
    return None


def delivery_failure(msg: Message) -> str | None:
    """Why a delivery report (RFC 3464) says the mail it returns was not delivered: the
    status and the server's words, e.g. ``5.1.1 smtp; 550 User unknown``. None for a
    report of a delay or a success, and for any other mail."""
    if msg.get_content_type() != "multipart/report":
        return None
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, Message):
                continue
            if str(block.get("action", "")).strip().lower() == "failed":
                status = str(block.get("status", "")).strip()
                said = " ".join(str(block.get("diagnostic-code", "")).split())
                return " ".join(w for w in (status, said) if w)[:200] or "failed"
    return None
