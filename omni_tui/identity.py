"""Who wrote: resolving normalised addresses to customers.

An address is normalised once, at ingest (``addresses``), so the same person
written three ways is one identity; this module finds, creates and links them.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from omni_tui.addresses import (
    PHONE_CHANNELS,
    Address,
    is_alphanumeric_sender,
    normalise,
    normalise_chat,
    normalise_email,
    normalise_phone,
    phone_candidates,
    phones_in_text,
)
from omni_tui.store.models import Customer, Identity, LinkSuggestion, PhoneMention

#: identity.normalise and friends are still here for the rest of omni-tui
__all__ = [
    "PHONE_CHANNELS",
    "Address",
    "find_identity",
    "is_alphanumeric_sender",
    "normalise",
    "normalise_chat",
    "normalise_email",
    "normalise_phone",
    "phone_candidates",
    "phones_in_text",
    "remember_phones",
    "resolve",
    "suggest",
    "suggest_from_mentions",
    "suggest_from_phones",
    "suggest_from_thread",
]


async def find_identity(session: AsyncSession, channel: str, address: str) -> Identity | None:
    result = await session.exec(
        select(Identity).where(Identity.channel == channel, Identity.address == address)
    )
    return result.first()


async def resolve(
    session: AsyncSession,
    who: Address,
    *,
    customer_id: int | None = None,
) -> tuple[Identity, bool]:
    """The identity for ``who``, creating it (and a customer, unless one is
    given) when unknown.  Returns the identity and whether it is new."""
    identity = await find_identity(session, who.channel, who.address)
    if identity is not None:
        if who.display_name and not identity.display_name:
            identity.display_name = who.display_name
            session.add(identity)
        return identity, False
    if customer_id is None:
        customer = Customer(name=who.display_name or "")
        session.add(customer)
        await session.flush()
        assert customer.id is not None
        customer_id = customer.id
    else:
        customer = await session.get(Customer, customer_id)
        if customer is not None and not customer.name and who.display_name:
            customer.name = who.display_name
            session.add(customer)
    identity = Identity(
        customer_id=customer_id,
        channel=who.channel,
        address=who.address,
        display_name=who.display_name,
    )
    session.add(identity)
    await session.flush()
    return identity, True


async def suggest(
    session: AsyncSession, customer_id: int, other_customer_id: int, address: str, reason: str
) -> LinkSuggestion | None:
    """Record that two customers may be one person, once per (pair, address)."""
    if customer_id == other_customer_id:
        return None
    existing = await session.exec(
        select(LinkSuggestion).where(
            col(LinkSuggestion.customer_id).in_([customer_id, other_customer_id]),
            col(LinkSuggestion.other_customer_id).in_([customer_id, other_customer_id]),
            LinkSuggestion.address == address,
        )
    )
    if existing.first() is not None:
        return None
    suggestion = LinkSuggestion(
        customer_id=customer_id, other_customer_id=other_customer_id, address=address, reason=reason
    )
    session.add(suggestion)
    return suggestion


async def suggest_from_thread(
    session: AsyncSession, customer_id: int, case_customer_id: int, address: str, case: int
) -> None:
    """A new address answered in another customer's case (by its headers): maybe the
    same person writing from another address, maybe a colleague they copied."""
    if address:
        reason = f"{address} wrote in case #{case} of customer {case_customer_id}"
        await suggest(session, customer_id, case_customer_id, address, reason)


async def remember_phones(session: AsyncSession, customer_id: int, phones: list[str]) -> None:
    for phone in phones:
        await session.merge(PhoneMention(address=phone, customer_id=customer_id))


async def suggest_from_mentions(session: AsyncSession, customer_id: int, phone: str) -> None:
    """A new phone identity that another customer once wrote in an email."""
    result = await session.exec(
        select(PhoneMention).where(
            PhoneMention.address == phone, PhoneMention.customer_id != customer_id
        )
    )
    for mention in result.all():
        await suggest(
            session,
            mention.customer_id,
            customer_id,
            phone,
            f"{phone} texted us and appears in an email from another customer",
        )


async def suggest_from_phones(
    session: AsyncSession, customer_id: int, phones: list[str], *, where: str
) -> None:
    """A number in a message that is another customer's phone identity."""
    if not phones:
        return
    result = await session.exec(
        select(Identity).where(
            col(Identity.channel).in_(PHONE_CHANNELS),
            col(Identity.address).in_(phones),
            Identity.customer_id != customer_id,
        )
    )
    for identity in result.all():
        await suggest(
            session,
            customer_id,
            identity.customer_id,
            identity.address,
            f"{identity.address} appears in {where} and is another customer's"
            f" {identity.channel.upper() if identity.channel == 'sms' else identity.channel}"
            " number",
        )
