"""Who a reply goes to: the customer's address on its channel, and for email, whom
the customer's last mail copied (reply to all, as Chatwoot and Zammad offer).

An address an agent types is checked to be one real address first: a typo would be
saved as the customer's identity, a second address silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from email.utils import getaddresses

import phonenumbers
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.email.compose import ascii_address
from omni_tui import identity
from omni_tui.addresses import is_plain_email
from omni_tui.errors import Refused
from omni_tui.store.models import Identity, Message
from omni_tui.text import clean_line

REPLY_CHANNELS = ("email", "sms", "chat")
#: what a label of an email address's domain may not hold
_NOT_IN_DOMAIN = re.compile(r"[\s@<>()\[\],;:\"\\]")


async def last_inbound(
    session: AsyncSession, conversation_id: int, channel: str | None = None
) -> Message | None:
    query = select(Message).where(
        Message.conversation_id == conversation_id,
        Message.direction == "in",
        col(Message.channel).in_([channel] if channel else REPLY_CHANNELS),
    )
    query = query.order_by(col(Message.sent_at).desc(), col(Message.id).desc())
    return (await session.exec(query)).first()


def as_typed(value: str, flag: str) -> str:
    """How an error names what the agent typed: after its flag, or alone in a dialog."""
    return f"{flag} {clean_line(value)!r}".lstrip()


def one_address(channel: str, to: str, region: str, flag: str = "--to") -> identity.Address:
    """The one address an agent typed (as ``flag``; "" in a dialog), or ``Refused``."""
    to = clean_line(to)  # a zero-width space or a BOM pasted from a browser or a chat
    typed = as_typed(to, flag)
    if channel == "email":
        pairs = getaddresses([to])
        if len(pairs) != 1:
            each = f"one per {flag}" if flag else "one at a time"
            raise Refused(f"{typed} names more addresses — give {each}")
        local, _, domain = pairs[0][1].rpartition("@")
        labels = domain.split(".")
        # one label is a typo ("ana@gmailcom"); a space in the local part kept only what
        # followed it ("alex 2@example.com" became 2@example.com, someone else)
        if (
            not local
            or len(labels) < 2
            or any(not label or _NOT_IN_DOMAIN.search(label) for label in labels)
            or identity.normalise(channel, to, region).address != pairs[0][1].lower()
        ):
            raise Refused(f"{typed} is not an email address — write one like ana@example.com")
    who = identity.normalise(channel, to, region)
    if channel == "sms":
        try:
            number = phonenumbers.parse(to, region)
        except phonenumbers.NumberParseException:
            number = None
        e164 = number and phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        # valid, not merely possible: "555-0134" made +15550134, queued, and kept for good
        if number is None or not phonenumbers.is_valid_number(number) or e164 != who.address:
            raise Refused(
                f"{typed} is not a phone number in use (region {region})"
                " — write it in full, like +14155550134"
            )
    return who


async def recipient(
    session: AsyncSession,
    customer_id: int,
    conversation_id: int,
    channel: str,
    to: str | None,
    region: str,
) -> Identity:
    if to:
        known = await identity.find_identity(session, channel, to.strip())
        if known is not None and known.customer_id == customer_id:
            return known  # one of theirs already (the console offers those)
        who = one_address(channel, to, region)
        found = await identity.find_identity(session, channel, who.address)
        if found is not None and found.customer_id != customer_id:
            raise Refused(
                f"{who.address} belongs to customer {found.customer_id}, not to this case's"
                f" customer {customer_id} — merge them first or pick another address"
            )
        if found is None:
            found, _ = await identity.resolve(session, who, customer_id=customer_id)
        return found
    last = await last_inbound(session, conversation_id, channel)
    if last is not None and last.identity_id is not None:
        found = await session.get(Identity, last.identity_id)
        if found is not None and found.customer_id == customer_id:
            return found
    query = (
        select(Identity)
        .where(Identity.customer_id == customer_id, Identity.channel == channel)
        .order_by(col(Identity.id).desc())
    )
    found = (await session.exec(query)).first()
    if found is None:
        raise Refused(f"customer {customer_id} has no {channel} address — pass --to ADDRESS")
    return found


async def addresses_of(session: AsyncSession, customer_id: int, channel: str) -> set[str]:
    query = select(Identity.address).where(
        Identity.customer_id == customer_id, Identity.channel == channel
    )
    return set((await session.exec(query)).all())


def copies_of(last: Message | None, own: Collection[str]) -> list[str]:
    """Who else the last email in the case (``last``) involved: :func:`copies_from`."""
    if last is None or last.channel != "email":
        return []
    return copies_from((last.context or {}).get("cc", ""), own, author=last.sender or "")


def copies_from(cc: str, own: Collection[str], *, author: str = "") -> list[str]:
    """The plain addresses of the last email's ``author`` and of its stored Cc (``mime``
    joins them with ", "), in that order, none of them us (``own``): as a mail client's
    reply to all, so someone the customer copied who then wrote is answered too (the
    caller leaves out whom the reply goes to). One quoted, spaced or otherwise unusual
    is left out rather than parsed again into someone else's address."""
    skip = {_key(a) for a in own}
    found: list[str] = []
    for piece in [author, *(cc.split(", ") if cc else [])]:
        address = identity.normalise("email", piece).address
        plain = is_plain_email(address) and address == piece.strip().lower()
        if plain and _key(address) not in skip and address not in found:
            found.append(address)
    return found


def checked_copies(cc: Sequence[str], to: str, region: str, own: Collection[str]) -> list[str]:
    """The copies an agent typed, each one real address, none the one replied to, and
    none of ours (``own``): a copy to our own mailbox comes back in as new mail."""
    ours = {_key(a) for a in own}
    found: list[str] = []
    for raw in cc:
        who = one_address("email", raw, region, flag="--cc")
        if _key(who.address) in ours:
            raise Refused(f"--cc {who.address} is an address of this team's own email account")
        if who.address != to.lower() and who.address not in found:
            found.append(who.address)
    return found


def _key(address: str) -> str:
    """``address`` as compared: lower case, its domain as SMTP carries it (IDNA)."""
    plain = identity.normalise("email", address).address if address else ""
    try:
        return (ascii_address(plain) or plain).lower()
    except ValueError:
        return plain
