"""A customer's own tags, note and addresses: what every agent should know about them.

Case tags say what a case is about; a customer's tags say who they are (``wholesale``,
``vip``) and routing rules match them (``customer_tags``). The note is one text, kept
with the customer and shown beside every case of theirs. An address the customer gives
an agent (a new number on the phone) is added here, so their next text lands beside
the rest of their history instead of opening a stranger's case.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import select

from omni_tui import events, identity, recipients
from omni_tui.customers import live_customer
from omni_tui.errors import Refused
from omni_tui.store import Store
from omni_tui.store.models import CustomerTag
from omni_tui.text import clean, clean_line

#: A note is a paragraph or two, not a document.
MAX_NOTE = 4000


async def tag_customer(
    store: Store, customer_id: int, tags: Iterable[str], *, agent: str, remove: bool = False
) -> list[str]:
    """Add (or remove) tags; the customer's tags afterwards. A merged id finds the person."""
    wanted = {clean_line(t).lower().lstrip("#") for t in tags} - {""}
    async with store.write() as session:
        customer = await live_customer(session, customer_id)
        assert customer.id is not None
        rows = await session.exec(select(CustomerTag).where(CustomerTag.customer_id == customer.id))
        current = {row.tag: row for row in rows.all()}
        changed = (wanted & current.keys()) if remove else (wanted - current.keys())
        for tag in sorted(changed):
            if remove:
                await session.delete(current[tag])
            else:
                session.add(CustomerTag(customer_id=customer.id, tag=tag))
        if changed:
            kind = "customer-untag" if remove else "customer-tag"
            events.record(session, kind, actor=agent, customer_id=customer.id, tags=sorted(changed))
        return sorted(current.keys() - changed if remove else current.keys() | changed)


class NoteChanged(Refused):
    """Another agent saved the customer's note after this one began editing it."""

    def __init__(self, current: str) -> None:
        super().__init__("another agent changed the note meanwhile — open it again to merge")
        self.current = current


async def set_note(
    store: Store, customer_id: int, note: str, *, agent: str, expected: str | None = None
) -> str:
    """Replace the customer's note ("" clears it); the note as kept. ``expected``: the
    note as the agent saw it when they began (else :class:`NoteChanged`): two agents
    editing at once silently lost the first one's words."""
    kept = clean(note).strip()[:MAX_NOTE]
    async with store.write() as session:
        customer = await live_customer(session, customer_id)
        if expected is not None and customer.note != clean(expected).strip()[:MAX_NOTE]:
            raise NoteChanged(customer.note)
        if customer.note != kept:
            customer.note = kept
            session.add(customer)
            events.record(session, "customer-note", actor=agent, customer_id=customer.id)
        return kept


class AddressTaken(Refused):
    """The address is another customer's: merging them is the agent's call, not ours."""

    def __init__(self, address: str, customer_id: int, owner: int) -> None:
        super().__init__(
            f"{address} is customer {owner}'s — if they are one person:"
            f" omni-tui customer merge {customer_id} {owner}"
        )
        self.address, self.owner = address, owner


async def add_address(
    store: Store,
    customer_id: int,
    address: str,
    *,
    agent: str,
    region: str,
    channel: str = "",
    flag: str = "ADDRESS",
) -> tuple[str, str, bool]:
    """(channel, address as stored, whether it is new) for an address of the customer.

    ``channel`` is "email" or "sms"; left out, an address with an "@" is email. One
    another customer has is refused (``AddressTaken``): never moved in silence."""
    if not channel and "@" not in address and not any(c.isdigit() for c in address):
        raise Refused(
            f"{recipients.as_typed(address, flag)} is neither an email address nor a phone number"
            " — write one like ana@example.com or +14155550134"
        )
    channel = channel or ("email" if "@" in address else "sms")
    if channel not in ("email", "sms"):
        raise Refused(f"--channel {channel!r}: an address is email or sms")
    who = recipients.one_address(channel, address, region, flag=flag)
    async with store.write() as session:
        customer = await live_customer(session, customer_id)
        assert customer.id is not None
        found = await identity.find_identity(session, channel, who.address)
        if found is not None and found.customer_id != customer.id:
            raise AddressTaken(who.address, customer.id, found.customer_id)
        if found is not None:
            return channel, who.address, False
        await identity.resolve(session, who, customer_id=customer.id)
        if channel == "sms":  # someone who once wrote this number in an email
            await identity.suggest_from_mentions(session, customer.id, who.address)
        events.record(
            session, "address-added", actor=agent, customer_id=customer.id,
            channel=channel, address=who.address,
        )  # fmt: skip
    return channel, who.address, True
