"""Mail a machine sent: bounces, out-of-office notes, mailing lists.

A helpdesk that acknowledges those starts a conversation between two robots
(RFC 3834 asks responders not to); agents still see them, marked.
"""

from __future__ import annotations

from collections.abc import Callable

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
